"""Attack 6 of the hostile audit: a fresh install used to listen for OCPP on every interface, at
security profile 0, accepting any station id. It now listens on loopback until configured."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from opencsms.settings import Settings


def test_ocpp_and_http_listen_on_loopback_by_default() -> None:
    settings = Settings.from_env({})
    assert settings.ocpp_host == "127.0.0.1" and settings.http_host == "127.0.0.1"
    assert Settings.from_env({"OPENCSMS_OCPP_HOST": "0.0.0.0"}).ocpp_host == "0.0.0.0"


async def test_a_server_with_default_settings_is_reachable_from_this_machine_only(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    from opencsms import runtime

    settings = Settings(
        ocpp_port=0, http_port=0, database_url=f"sqlite+aiosqlite:///{tmp_path / 'db.sqlite'}"
    )
    with caplog.at_level(logging.WARNING, logger="opencsms.runtime"):
        rt = await runtime.start(settings)
    try:
        for _, server, _ in rt.listeners:
            assert {sock.getsockname()[0] for sock in server.sockets} == {"127.0.0.1"}
        assert "without authentication" not in caplog.text  # nothing is exposed, nothing to warn of
    finally:
        await rt.stop()


@pytest.mark.parametrize(
    ("host", "exposed"),
    [("127.0.0.1", False), ("::1", False), ("localhost", False), ("0.0.0.0", True), ("10.1.2.3", True)],
)
def test_which_hosts_count_as_exposed(host: str, exposed: bool) -> None:
    from opencsms.runtime import _loopback

    assert _loopback(host) is not exposed
