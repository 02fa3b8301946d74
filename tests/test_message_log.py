"""The message log's buffer, batches and retention (src/opencsms/message_log.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from opencsms import message_log
from opencsms.message_log import MessageLog
from opencsms.store import Store
from tests.conftest import server_settings


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[Store]:
    s = await Store.open(f"sqlite+aiosqlite:///{tmp_path / 'log.db'}")
    try:
        yield s
    finally:
        await s.close()


async def test_a_full_buffer_drops_the_oldest_frames_and_counts_them(store: Store) -> None:
    log = MessageLog(store, max_buffered=3, max_frame_chars=5)
    for i in range(5):
        log.record("CP1", "in", f"frame-{i}".encode())
    await log.flush()
    frames, total = await message_log.frames_of(store, "CP1", descending=False)
    assert log.dropped == 2 and total == 3
    assert [f.frame for f in frames] == ["frame", "frame", "frame"]  # cut at max_frame_chars
    assert log.written == 3


async def test_frames_older_than_the_retention_are_purged(store: Store) -> None:
    now = datetime(2026, 1, 10, tzinfo=UTC)
    clock = iter([now - timedelta(days=8), now - timedelta(days=1), now])
    log = MessageLog(store, retention=timedelta(days=7), clock=lambda: next(clock))
    log.record("CP1", "in", "old")
    log.record("CP1", "out", "new")
    await log.flush()
    assert await log.purge() == 1
    frames, _ = await message_log.frames_of(store, "CP1")
    assert [f.frame for f in frames] == ["new"]


async def test_the_writer_task_writes_in_the_background_and_on_close(store: Store) -> None:
    log = MessageLog(store, flush_interval=3600)
    log.start()
    log.record("CP1", "in", "x")
    await log.close()
    assert (await message_log.frames_of(store, "CP1"))[1] == 1


async def test_a_retention_of_zero_turns_the_log_off(tmp_path: Path) -> None:
    from opencsms import runtime

    rt = await runtime.start(server_settings(tmp_path, message_log_retention_days=0))
    try:
        assert rt.message_log is None and rt.sessions.frame_recorder is None
    finally:
        await rt.stop()
