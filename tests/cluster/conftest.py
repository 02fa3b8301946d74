"""Two opencsms nodes in this process sharing one PostgreSQL database and one NATS server.

Each test gets an empty database and a NATS subject prefix of its own; the nodes listen on free
ports of 127.0.0.1. Without PostgreSQL or NATS the tests skip (fail when ``CI=true``).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from opencsms.runtime import Runtime
from tests.conftest import server_settings
from tests.db_fixtures import _empty_schema, _postgres_database
from tests.nats_fixtures import bus_prefix, nats_url

__all__ = ["bus_prefix", "nats_url"]


@dataclass
class Nodes:
    a: Runtime
    b: Runtime
    #: The admin key node A made on the first start (both nodes share the key table).
    admin_key: str


@pytest.fixture
def pg_url(request: pytest.FixtureRequest) -> str:
    url = _postgres_database(request.config)
    _empty_schema(url)
    return url


@pytest.fixture
async def nodes(tmp_path: Path, pg_url: str, nats_url: str, bus_prefix: str) -> AsyncIterator[Nodes]:
    from opencsms import runtime

    def settings(name: str):  # type: ignore[no-untyped-def]
        return server_settings(
            tmp_path / name,
            database_url=pg_url,
            bus_url=nats_url,
            bus_prefix=bus_prefix,
            node_id=name,
            message_log_retention_days=0.0,
        )

    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    a = await runtime.start(settings("a"))
    try:
        b = await runtime.start(settings("b"))
    except BaseException:
        await a.stop()
        raise
    assert a.bootstrap_api_key is not None and b.bootstrap_api_key is None
    try:
        yield Nodes(a, b, a.bootstrap_api_key)
    finally:
        await b.stop()
        await a.stop()
