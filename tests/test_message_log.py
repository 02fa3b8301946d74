"""The message log's buffer, batches, retention and where it keeps frames (src/opencsms/message_log.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from opencsms import message_log
from opencsms.message_log import FrameTable, MessageLog, SqliteFrameFile, StoreFrames, log_file_of
from opencsms.store import Store
from opencsms.store.schema_operator_api import message_log as message_log_table
from tests.conftest import server_settings
from tests.simulate.csms import poll


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[Store]:
    s = await Store.open(f"sqlite+aiosqlite:///{tmp_path / 'log.db'}")
    try:
        yield s
    finally:
        await s.close()


@pytest.fixture(params=["own-file", "store"])
async def frames(request: pytest.FixtureRequest, store: Store, tmp_path: Path) -> AsyncIterator[FrameTable]:
    """Both places frames go: the SQLite log file of its own, the main database's table."""
    table: FrameTable
    if request.param == "own-file":
        table = await SqliteFrameFile.open(tmp_path / "log-messages.db")
    else:
        table = StoreFrames(store)
    try:
        yield table
    finally:
        await table.close()


async def test_a_full_buffer_drops_the_oldest_frames_and_counts_them(frames: FrameTable) -> None:
    log = MessageLog(frames, max_buffered=3, max_frame_chars=5)
    for i in range(5):
        log.record("CP1", "in", f"frame-{i}".encode())
    await log.flush()
    logged, total = await message_log.frames_of(frames, "CP1", descending=False)
    assert log.dropped == 2 and total == 3
    assert [f.frame for f in logged] == ["frame", "frame", "frame"]  # cut at max_frame_chars
    assert log.written == 3


async def test_frames_older_than_the_retention_are_purged(frames: FrameTable) -> None:
    now = datetime(2026, 1, 10, tzinfo=UTC)
    clock = iter([now - timedelta(days=8), now - timedelta(days=1), now])
    log = MessageLog(frames, retention=timedelta(days=7), clock=lambda: next(clock))
    log.record("CP1", "in", "old")
    log.record("CP1", "out", "new")
    await log.flush()
    assert await log.purge() == 1
    logged, _ = await message_log.frames_of(frames, "CP1")
    assert [f.frame for f in logged] == ["new"]


async def test_the_writer_task_writes_on_close_and_closes_the_frame_table(tmp_path: Path) -> None:
    log = MessageLog(await SqliteFrameFile.open(tmp_path / "m.db"), flush_interval=3600)
    log.start()
    log.record("CP1", "in", "x")
    await log.close()
    reopened = await SqliteFrameFile.open(tmp_path / "m.db")
    try:
        assert (await message_log.frames_of(reopened, "CP1"))[1] == 1
    finally:
        await reopened.close()


async def test_the_writer_task_writes_in_the_background(frames: FrameTable) -> None:
    log = MessageLog(frames, flush_interval=0.01)
    log.start()
    log.record("CP1", "in", "x")
    try:
        await poll(lambda: log.written == 1)
        assert (await message_log.frames_of(frames, "CP1"))[1] == 1
    finally:
        await log.close()


async def test_frames_keep_their_order_time_and_station_across_many_statements(frames: FrameTable) -> None:
    """More frames than one multi-row INSERT holds: all written, ids ascending in recording order,
    each with its own timestamp (frames recorded at the same instant share one)."""
    base = datetime(2026, 3, 1, 12, 0, 0, 123456, tzinfo=UTC)
    times = [base + timedelta(microseconds=i // 2) for i in range(2_503)]
    ticks = iter(times)
    log = MessageLog(frames, clock=lambda: next(ticks))
    for i in range(2_503):
        log.record(f"CP{i % 3}", "in" if i % 2 else "out", f'[2,"{i}","Heartbeat",{{}}]')
    await log.flush()
    logged, total = await message_log.frames_of(frames, "CP1", descending=False, limit=10_000)
    assert total == len(range(1, 2_503, 3))
    assert [f.frame for f in logged] == [f'[2,"{i}","Heartbeat",{{}}]' for i in range(1, 2_503, 3)]
    assert [f.timestamp for f in logged] == [times[i] for i in range(1, 2_503, 3)]
    assert [f.direction for f in logged[:2]] == ["in", "out"]
    ids = [f.id for f in logged]
    assert ids == sorted(ids) and len(set(ids)) == len(ids)
    window, _ = await message_log.frames_of(frames, "CP1", since=times[1], until=times[7], descending=False)
    assert [f.frame for f in window] == ['[2,"1","Heartbeat",{}]', '[2,"4","Heartbeat",{}]']


def test_a_sqlite_database_logs_to_a_file_of_its_own_next_to_it(tmp_path: Path) -> None:
    url = make_url(f"sqlite+aiosqlite:///{tmp_path}/var/opencsms.db")
    assert log_file_of(url) == tmp_path / "var" / "opencsms-messages.db"
    assert log_file_of(make_url("postgresql+asyncpg://localhost/opencsms")) is None
    assert log_file_of(make_url("sqlite:///file:x.db?uri=true")) is None


async def test_a_server_on_sqlite_keeps_frames_out_of_the_main_database(tmp_path: Path) -> None:
    """The frames land in <db>-messages.db, through its own thread: the main database's table
    stays empty and the group-commit writer never carries them."""
    from opencsms import runtime

    # The services that write on their own at start-up (billing's sweep, the boot sweep) are off, so
    # that the writer's job count can only move through the frames.
    rt = await runtime.start(server_settings(tmp_path, billing_interval=0, boot_stop_grace=0))
    try:
        assert rt.message_log is not None and isinstance(rt.message_log.frames, SqliteFrameFile)
        assert rt.message_log.frames.path == log_file_of(rt.store.engine.url)
        # Jobs queued during start-up are committed first (the writer keeps their order), so the
        # count below can only move through the frames.
        await rt.store.write(lambda connection: None)
        jobs_before = rt.store.write_stats.jobs
        for i in range(50):
            rt.message_log.record("CP1", "in", f"frame-{i}")
        await rt.message_log.flush()
        assert rt.store.write_stats.jobs == jobs_before
        assert (await message_log.frames_of(rt.message_log.frames, "CP1"))[1] == 50
        in_main = await rt.store.read(
            lambda c: c.execute(select(func.count()).select_from(message_log_table)).scalar_one()
        )
        assert in_main == 0
    finally:
        await rt.stop()


async def test_a_retention_of_zero_turns_the_log_off(tmp_path: Path) -> None:
    from opencsms import runtime

    rt = await runtime.start(server_settings(tmp_path, message_log_retention_days=0))
    try:
        assert rt.message_log is None and rt.sessions.frame_recorder is None
    finally:
        await rt.stop()


async def test_frames_an_earlier_version_kept_in_the_database_move_to_the_log_file(
    store: Store, tmp_path: Path
) -> None:
    """Upgrading keeps the log: frames in the main database's table move, with their ids, into the
    log file; a move cut short is taken up again without doubling a frame."""
    from opencsms import message_log as module

    old = MessageLog(StoreFrames(store))
    for i in range(7):
        old.record("CP1", "in" if i % 2 else "out", f"frame-{i}")
    await old.flush()
    before, _ = await message_log.frames_of(StoreFrames(store), "CP1", descending=False)

    module._ADOPT_CHUNK, chunk = 3, module._ADOPT_CHUNK  # several chunks
    try:
        table = await message_log.open_frame_table(store)
    finally:
        module._ADOPT_CHUNK = chunk
    try:
        assert isinstance(table, SqliteFrameFile)
        after, total = await message_log.frames_of(table, "CP1", descending=False)
        assert total == 7 and after == before  # same ids, times, directions and frames
        assert (await message_log.frames_of(StoreFrames(store), "CP1"))[1] == 0
        # A move cut short before its delete leaves the frames in both places: they are kept once.
        rows = [
            {
                "id": f.id,
                "station_id": f.station_id,
                "direction": f.direction,
                "timestamp": f.timestamp,
                "frame": f.frame,
            }
            for f in before
        ]
        await store.write(lambda c: c.execute(message_log_table.insert(), rows))
        assert await table.adopt_frames_of(store) == 7
        assert (await message_log.frames_of(table, "CP1", descending=False)) == (before, 7)
        assert (await message_log.frames_of(StoreFrames(store), "CP1"))[1] == 0
    finally:
        await table.close()
