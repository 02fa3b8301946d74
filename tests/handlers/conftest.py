"""Handler tests: a station context over a real domain on SQLite, no socket, a fixed clock."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest

from opencsms.domain import Domain
from opencsms.handlers.context import StationContext
from opencsms.store import Store

NOW = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)


@pytest.fixture
async def domain(tmp_path: Path) -> AsyncIterator[Domain]:
    store = await Store.open(f"sqlite+aiosqlite:///{tmp_path / 'handlers.db'}")
    try:
        yield Domain(store, clock=lambda: NOW)
    finally:
        await store.close()


@pytest.fixture
def make_ctx(domain: Domain) -> Callable[..., StationContext]:
    """A context for station ``station_id`` speaking ``version`` (registration Accepted unless told)."""

    def make(
        station_id: str = "CS1", version: str = "2.0.1", registration: str | None = "Accepted"
    ) -> StationContext:
        return StationContext(station_id, version, domain, clock=lambda: NOW, registration=registration)

    return make


@pytest.fixture
def ctx(make_ctx: Callable[..., StationContext]) -> StationContext:
    return make_ctx()
