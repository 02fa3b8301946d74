"""The raw OCPP message log: every frame in and out, per station, with direction and time.

It sits on the message path, so recording is an append to a bounded in-memory buffer; a
background task writes the buffer in batches and deletes rows older than the retention. When
the buffer is full the oldest unwritten frames are dropped and counted: the log is for
diagnosis, never a reason to slow a station.

Where the rows go is a :class:`FrameTable`. With SQLite the log has a database file of its own
next to the main one (:class:`SqliteFrameFile`): its writes take neither the main database's
write lock nor the group-commit writer's turn, and they run in a thread of their own as
multi-row statements, during which SQLite holds no GIL. With PostgreSQL the frames go into the
main database through the store (:class:`StoreFrames`).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import sqlite3
import time
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any, Protocol, TypeVar

from sqlalchemy import delete, func, insert, select
from sqlalchemy.engine import URL, Connection, Engine, make_url

from opencsms.retention import DEFAULT_BATCH, BatchResult, purge_batch, walk
from opencsms.security.redaction import redact_frame
from opencsms.sqlite_backup import message_log_file
from opencsms.store import Store
from opencsms.store.column_types import sqlite_utc_text
from opencsms.store.driver_statements import DriverStatement
from opencsms.store.engine import SqliteSynchronous, create_sqlite_writer_engine
from opencsms.store.schema_operator_api import message_log

log = logging.getLogger(__name__)

T = TypeVar("T")
SORTABLE = ("id", "timestamp")
# (station_id, direction, timestamp, frame): a buffered frame, in the column order of the inserts.
Row = tuple[str, str, datetime, str]
_COLUMNS = ("station_id", "direction", "timestamp", "frame")
# Two rows per station message: straight to the driver, as the other hot inserts.
_INSERT = DriverStatement(insert(message_log), columns=_COLUMNS)
# Rows per multi-row INSERT in the log's own SQLite file: few statements per flush (each one
# takes the GIL back once), well under SQLite's bound-parameter limit.
_ROWS_PER_STATEMENT = 1000


@dataclass(frozen=True, slots=True)
class LoggedFrame:
    id: int
    station_id: str
    direction: str
    timestamp: datetime
    frame: str


class FrameTable(Protocol):
    """Where logged frames are kept: the ``message_log`` table of some database."""

    async def append(self, rows: Sequence[Row]) -> None:
        """Insert ``rows`` in order (their ids ascend in that order).

        Raises:
            sqlalchemy.exc.SQLAlchemyError | sqlite3.Error: the write failed; nothing was written.
        """
        ...

    async def purge(self, cutoff: datetime) -> int:
        """Delete the frames logged before ``cutoff``; returns how many."""
        ...

    async def read(self, job: Callable[[Connection], T]) -> T:
        """Run a read ``job`` on a connection to the table's database."""
        ...

    async def close(self) -> None:
        """Release what the table holds; pending calls have finished."""
        ...


class StoreFrames:
    """The ``message_log`` table of the main database, written behind through the store."""

    def __init__(self, store: Store) -> None:
        self._store = store

    async def append(self, rows: Sequence[Row]) -> None:
        await self._store.write_behind(partial(_INSERT.execute_many_tuples, rows=rows))

    async def purge(self, cutoff: datetime) -> int:
        async def run_batch(after: int) -> BatchResult:
            job = partial(purge_batch, table=message_log, time_column=message_log.c.timestamp, cutoff=cutoff,
                          after=after, batch=DEFAULT_BATCH)  # fmt: skip
            return await self._store.write(job)

        return await walk(run_batch)

    async def read(self, job: Callable[[Connection], T]) -> T:
        return await self._store.read(job)

    async def close(self) -> None:
        """Nothing to do: the store belongs to its owner."""


class SqliteFrameFile:
    """A SQLite file holding only the ``message_log`` table, written from a thread of its own.

    Open it with :meth:`open`. Every call runs in that one thread, on one connection. Rows go in
    as multi-row INSERTs: the thread binds a statement's values (holding the GIL for a moment)
    and SQLite then inserts them all without it, so the log's writing overlaps the event loop's
    work instead of taking turns with it.
    """

    def __init__(self, engine: Engine, thread: ThreadPoolExecutor) -> None:
        """Use :meth:`open`."""
        self._engine = engine
        self._thread = thread

    @classmethod
    async def open(
        cls, path: Path, *, synchronous: SqliteSynchronous = SqliteSynchronous.NORMAL
    ) -> SqliteFrameFile:
        """Open (creating if need be) the log file at ``path`` and its table.

        NORMAL synchronous is enough for a log: a crash of the process loses no written frame,
        a power loss may lose the last ones.

        Raises:
            OSError | sqlalchemy.exc.SQLAlchemyError: the file cannot be created or opened.
        """
        path.parent.mkdir(parents=True, exist_ok=True)
        engine = create_sqlite_writer_engine(make_url(f"sqlite:///{path}"), sqlite_synchronous=synchronous)
        thread = ThreadPoolExecutor(1, thread_name_prefix="opencsms-message-log")
        table = cls(engine, thread)
        try:
            await table._in_thread(table._create)
        except BaseException:
            await table.close()
            raise
        return table

    @property
    def path(self) -> Path:
        assert self._engine.url.database is not None
        return Path(self._engine.url.database)

    async def _in_thread(self, function: Callable[[], T]) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._thread, function)

    def _create(self) -> None:
        with self._engine.begin() as connection:
            message_log.create(connection, checkfirst=True)

    async def append(self, rows: Sequence[Row]) -> None:
        if rows:
            await self._in_thread(partial(self._append, rows))

    def _append(self, rows: Sequence[Row]) -> None:
        with self._engine.begin() as connection:
            driver = connection.connection.driver_connection
            assert isinstance(driver, sqlite3.Connection)
            cursor = driver.cursor()
            try:
                for first in range(0, len(rows), _ROWS_PER_STATEMENT):
                    chunk = rows[first : first + _ROWS_PER_STATEMENT]
                    values: list[str | None] = []
                    for station_id, direction, timestamp, frame in chunk:
                        values += (station_id, direction, sqlite_utc_text(timestamp), frame)
                    cursor.execute(_multi_row_insert(len(chunk)), values)
            finally:
                cursor.close()

    async def adopt_frames_of(self, store: Store) -> int:
        """Move the frames an earlier version kept in the main database's table into this file,
        with their ids, in chunks; returns how many. Copied first, then deleted there: a move cut
        short is taken up again at the next start (a frame copied twice is kept once)."""
        moved = 0
        last = 0
        while chunk := await store.read(partial(_old_frames_after, after=last)):
            await self._in_thread(partial(self._insert_raw, chunk))
            last = int(chunk[-1][0])
            moved += len(chunk)
        if moved:
            await store.write(partial(_delete_old_frames_up_to, last=last))
            log.info("message log: moved %d frames from the database into %s", moved, self.path)
        return moved

    def _insert_raw(self, rows: Sequence[tuple[Any, ...]]) -> None:
        with self._engine.begin() as connection:
            connection.exec_driver_sql(
                "INSERT OR IGNORE INTO message_log (id, station_id, direction, timestamp, frame)"
                " VALUES (?, ?, ?, ?, ?)",
                list(rows),
            )

    async def purge(self, cutoff: datetime) -> int:
        return await self._in_thread(partial(self._purge, cutoff))

    def _purge(self, cutoff: datetime) -> int:
        # A batch per transaction, so the log's writer is never kept waiting long.
        deleted, after = 0, 0
        while True:
            with self._engine.begin() as connection:
                result = purge_batch(
                    connection, message_log, message_log.c.timestamp, cutoff, after=after, batch=DEFAULT_BATCH
                )
            deleted += result.deleted
            if result.last_id is None or result.deleted == 0:
                return deleted
            after = result.last_id

    async def read(self, job: Callable[[Connection], T]) -> T:
        return await self._in_thread(partial(self._read, job))

    def _read(self, job: Callable[[Connection], T]) -> T:
        with self._engine.connect() as connection:
            return job(connection)

    async def close(self) -> None:
        await asyncio.get_running_loop().run_in_executor(None, self._thread.shutdown)
        self._engine.dispose()


_ADOPT_CHUNK = 5000


def _old_frames_after(connection: Connection, after: int) -> list[tuple[Any, ...]]:
    # The driver's values as stored (timestamps as SQLite text), to be stored again as they are.
    result = connection.exec_driver_sql(
        "SELECT id, station_id, direction, timestamp, frame FROM message_log"
        " WHERE id > ? ORDER BY id LIMIT ?",
        (after, _ADOPT_CHUNK),
    )
    return [tuple(row) for row in result]


def _delete_old_frames_up_to(connection: Connection, last: int) -> None:
    connection.execute(delete(message_log).where(message_log.c.id <= last))


@functools.lru_cache(maxsize=8)  # the full chunk, and the last few remainders
def _multi_row_insert(rows: int) -> str:
    one = "(" + ", ".join("?" * len(_COLUMNS)) + ")"
    return f"INSERT INTO message_log ({', '.join(_COLUMNS)}) VALUES " + ", ".join([one] * rows)


def log_file_of(url: URL) -> Path | None:
    """Where the message log of the SQLite database at ``url`` lives: ``<name>-messages<suffix>``
    next to its file; None for PostgreSQL (and a SQLite URI, whose file name is not a plain path)."""
    if url.get_backend_name() != "sqlite" or url.query.get("uri") or not url.database:
        return None
    return message_log_file(Path(url.database))


async def open_frame_table(store: Store) -> FrameTable:
    """The message log's own SQLite file next to a SQLite store, else the store's own table.

    Raises:
        OSError | sqlalchemy.exc.SQLAlchemyError: the log file cannot be opened.
    """
    path = log_file_of(store.engine.url)
    if path is None:
        return StoreFrames(store)
    table = await SqliteFrameFile.open(path)
    try:
        await table.adopt_frames_of(store)
    except BaseException:
        await table.close()
        raise
    return table


class MessageLog:
    """Buffers frames and writes them in batches. Call :meth:`start` on the loop, :meth:`close` to
    stop (it closes the frame table too)."""

    def __init__(
        self,
        frames: FrameTable,
        *,
        retention: timedelta = timedelta(days=7),
        max_buffered: int = 20_000,
        max_frame_chars: int = 65_536,
        flush_interval: float = 0.5,
        purge_interval: float = 3600.0,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.frames = frames
        self.retention = retention
        self._buffer: deque[Row] = deque(maxlen=max_buffered)
        self._max_frame_chars = max_frame_chars
        self._flush_interval = flush_interval
        self._purge_interval = purge_interval
        self._clock = clock
        self._task: asyncio.Task[None] | None = None
        self.dropped = 0
        self.written = 0
        #: Bytes of frames one station may have logged per UTC day (0: no quota), and who hears
        #: of a station reaching it: ``on_quota(station_id, what)``.
        self.max_bytes_per_station_day = 0
        self.on_quota: Callable[[str, str], None] = lambda station_id, what: None
        #: station id -> [UTC day number, bytes logged that day]
        self._bytes_today: dict[str, list[int]] = {}

    def record(self, station_id: str, direction: str, frame: str | bytes) -> None:
        """Buffer one frame (``direction`` is ``in`` or ``out``); never blocks, never raises."""
        if isinstance(frame, bytes):
            frame = frame.decode("utf-8", errors="replace")
        frame = redact_frame(frame)
        if len(frame) > self._max_frame_chars:
            frame = frame[: self._max_frame_chars]
        if len(self._buffer) == self._buffer.maxlen:
            self.dropped += 1
        self._buffer.append((station_id, direction, self._clock(), frame))

    def observer(self, station_id: str) -> Callable[[str, str | bytes], None]:
        """An ``on_frame`` callback for one station's connection. Past ``max_bytes_per_station_day``
        of frames in a UTC day, the station's further frames that day are not logged and
        ``on_quota`` hears of it once."""
        if not self.max_bytes_per_station_day:

            def on_frame(direction: str, frame: str | bytes) -> None:
                self.record(station_id, direction, frame)

            return on_frame
        quota = self.max_bytes_per_station_day
        usage = self._bytes_today

        def on_frame_within_quota(direction: str, frame: str | bytes) -> None:
            day = int(time.time() // 86_400)
            used = usage.get(station_id)
            if used is None or used[0] != day:
                used = usage[station_id] = [day, 0]
            if used[1] >= quota:
                return
            used[1] += len(frame)
            if used[1] >= quota:
                self.on_quota(
                    station_id,
                    f"{used[1]} bytes of frames logged today (at most {quota}); "
                    "the rest of today's frames are not logged",
                )
            self.record(station_id, direction, frame)

        return on_frame_within_quota

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._run(), name="message-log")

    async def _run(self) -> None:
        next_purge = 0.0
        loop = asyncio.get_running_loop()
        while True:
            await asyncio.sleep(self._flush_interval)
            try:
                await self.flush()
                if loop.time() >= next_purge:
                    await self.purge()
                    next_purge = loop.time() + self._purge_interval
            except Exception:
                log.exception("message log: write failed; frames of this batch are lost")

    async def flush(self) -> None:
        """Write every buffered frame now."""
        if not self._buffer:
            return
        rows = list(self._buffer)
        self._buffer.clear()
        await self.frames.append(rows)
        self.written += len(rows)

    async def purge(self) -> int:
        """Delete frames older than the retention; returns how many."""
        return await self.frames.purge(self._clock() - self.retention)

    async def close(self) -> None:
        """Stop the writer, write what is buffered and close the frame table."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        with contextlib.suppress(Exception):
            await self.flush()
        await self.frames.close()


async def frames_of(
    frames: FrameTable,
    station_id: str,
    *,
    direction: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    descending: bool = True,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[LoggedFrame], int]:
    """A page of the station's logged frames and how many match in all.

    Raises:
        sqlalchemy.exc.SQLAlchemyError: the database failed.
    """
    conditions = [message_log.c.station_id == station_id]
    if direction is not None:
        conditions.append(message_log.c.direction == direction)
    if since is not None:
        conditions.append(message_log.c.timestamp >= since)
    if until is not None:
        conditions.append(message_log.c.timestamp < until)
    order = message_log.c.id.desc() if descending else message_log.c.id.asc()

    def job(connection: Connection) -> tuple[list[LoggedFrame], int]:
        rows = connection.execute(
            select(message_log).where(*conditions).order_by(order).limit(limit).offset(offset)
        ).all()
        total = connection.execute(
            select(func.count()).select_from(message_log).where(*conditions)
        ).scalar_one()
        return [LoggedFrame(r.id, r.station_id, r.direction, r.timestamp, r.frame) for r in rows], int(total)

    return await frames.read(job)
