"""Fixtures shared by the whole suite: a real opencsms on 127.0.0.1 with a fresh SQLite store."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from opencsms.settings import Settings

if TYPE_CHECKING:
    from opencsms.runtime import Runtime


def server_settings(tmp_path: Path, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "ocpp_host": "127.0.0.1",
        "ocpp_port": 0,
        "http_host": "127.0.0.1",
        "http_port": 0,
        "database_url": f"sqlite+aiosqlite:///{tmp_path / 'opencsms.db'}",
        "call_timeout": 5.0,
        "heartbeat_interval": 60,
    }
    values.update(overrides)
    return Settings(**values)


@pytest.fixture
async def server(tmp_path: Path) -> AsyncIterator[Runtime]:
    """A running opencsms (OCPP + HTTP on free ports of 127.0.0.1) backed by SQLite in tmp_path."""
    from opencsms import runtime  # imported here so pure unit tests never load the server stack

    rt = await runtime.start(server_settings(tmp_path))
    try:
        yield rt
    finally:
        await rt.stop()


@pytest.fixture
def server_factory(tmp_path: Path) -> Callable[..., Any]:
    """Start servers with custom settings (same database each time, so restarts keep data)."""
    from opencsms import runtime

    async def start(**overrides: Any) -> Runtime:
        rt = await runtime.start(server_settings(tmp_path, **overrides))
        return rt

    return start


def admin_key(rt: Runtime) -> str:
    """The admin API key the server made on its first start (fresh store)."""
    assert rt.bootstrap_api_key is not None, "the store had keys already"
    return rt.bootstrap_api_key


def auth(key: str) -> dict[str, str]:
    """Headers sending ``key``."""
    return {"Authorization": f"Bearer {key}"}
