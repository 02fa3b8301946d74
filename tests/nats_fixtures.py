"""NATS for the cluster tests: the server at ``OPENCSMS_TEST_NATS_URL`` (default 127.0.0.1:4222).

``nats_url`` checks the server answers, once per run: when it does not, the tests using it are
skipped, or fail when ``CI=true``. ``bus_prefix`` is a subject prefix of its own for each test,
so tests (and anything else on the same server) never see each other's messages.
"""

from __future__ import annotations

import asyncio
import os
import secrets
from urllib.parse import urlsplit

import pytest

NATS_URL_ENV = "OPENCSMS_TEST_NATS_URL"
DEFAULT_NATS_URL = "nats://127.0.0.1:4222"
_UNREACHABLE = pytest.StashKey[str]()
_REACHABLE = pytest.StashKey[bool]()


async def _probe(url: str) -> None:
    import nats

    address = urlsplit(url)
    # A refused port fails here at once (the NATS client would keep retrying it until the timeout).
    _, writer = await asyncio.open_connection(address.hostname or "127.0.0.1", address.port or 4222)
    writer.close()
    await writer.wait_closed()
    connection = await nats.connect(url, connect_timeout=3, allow_reconnect=False, max_reconnect_attempts=0)
    try:
        await connection.flush(timeout=3)
    finally:
        await connection.close()


@pytest.fixture
async def nats_url(request: pytest.FixtureRequest) -> str:
    """A reachable NATS server's URL (skips, or fails under CI, when there is none)."""
    config = request.config
    url = os.environ.get(NATS_URL_ENV, DEFAULT_NATS_URL)
    if _REACHABLE not in config.stash and _UNREACHABLE not in config.stash:
        try:
            await asyncio.wait_for(_probe(url), 10)
        except Exception as error:
            config.stash[_UNREACHABLE] = f"NATS not reachable at {url} ({error!r}); set {NATS_URL_ENV}"
        else:
            config.stash[_REACHABLE] = True
    if _UNREACHABLE in config.stash:
        if os.environ.get("CI") == "true":
            pytest.fail(config.stash[_UNREACHABLE], pytrace=False)
        pytest.skip(config.stash[_UNREACHABLE])
    return url


@pytest.fixture
def bus_prefix() -> str:
    return f"opencsms-test-{secrets.token_hex(6)}"
