"""Delivering queued commands (src/opencsms/command_queue.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from opencsms.bus import InProcessBus
from opencsms.command_queue import EXPIRED, CommandQueue
from opencsms.domain import commands as c
from opencsms.domain.services import Domain
from opencsms.sessions import SessionManager
from opencsms.store import Store


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[Store]:
    s = await Store.open(f"sqlite+aiosqlite:///{tmp_path / 'queue.db'}")
    try:
        yield s
    finally:
        await s.close()


def _queue(store: Store) -> CommandQueue:
    return CommandQueue(store, SessionManager(Domain(store)), InProcessBus())


async def test_a_station_with_nothing_queued_costs_no_write(store: Store) -> None:
    queue = _queue(store)
    jobs_before = store.write_stats.jobs
    assert await queue.deliver("CP-EMPTY") == 0
    assert store.write_stats.jobs == jobs_before


async def test_an_expired_command_is_marked_expired_when_its_station_comes_back(store: Store) -> None:
    queue = _queue(store)
    queued = await queue.enqueue("CP-Q", c.Reset(), datetime.now(UTC) - timedelta(seconds=1))
    assert await queue.deliver("CP-Q") == 0
    listed, _ = await queue.list(station_id="CP-Q")
    assert [(q.id, q.status) for q in listed] == [(queued.id, EXPIRED)]
