"""The raw OCPP message log: every frame in and out, per station, with direction and time.

It sits on the message path, so recording is an append to a bounded in-memory buffer; a
background task writes the buffer in batches (one insert per flush, through the store's
write-behind path) and deletes rows older than the retention. When the buffer is full the oldest
unwritten frames are dropped and counted: the log is for diagnosis, never a reason to slow a station.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, func, insert, select
from sqlalchemy.engine import Connection

from opencsms.security.redaction import redact_frame
from opencsms.store import Store
from opencsms.store.driver_statements import DriverStatement
from opencsms.store.schema_operator_api import message_log

log = logging.getLogger(__name__)

SORTABLE = ("id", "timestamp")
# Two rows per station message: straight to the driver, as the other hot inserts.
_INSERT = DriverStatement(insert(message_log), columns=("station_id", "direction", "timestamp", "frame"))


@dataclass(frozen=True, slots=True)
class LoggedFrame:
    id: int
    station_id: str
    direction: str
    timestamp: datetime
    frame: str


class MessageLog:
    """Buffers frames and writes them in batches. Call :meth:`start` on the loop, :meth:`close` to stop."""

    def __init__(
        self,
        store: Store,
        *,
        retention: timedelta = timedelta(days=7),
        max_buffered: int = 20_000,
        max_frame_chars: int = 65_536,
        flush_interval: float = 0.5,
        purge_interval: float = 3600.0,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._store = store
        self.retention = retention
        # (station_id, direction, timestamp, frame): the columns of _INSERT, in its order.
        self._buffer: deque[tuple[str, str, datetime, str]] = deque(maxlen=max_buffered)
        self._max_frame_chars = max_frame_chars
        self._flush_interval = flush_interval
        self._purge_interval = purge_interval
        self._clock = clock
        self._task: asyncio.Task[None] | None = None
        self.dropped = 0
        self.written = 0

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
        """An ``on_frame`` callback for one station's connection."""

        def on_frame(direction: str, frame: str | bytes) -> None:
            self.record(station_id, direction, frame)

        return on_frame

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

        def job(connection: Connection) -> None:
            _INSERT.execute_many_tuples(connection, rows)

        await self._store.write_behind(job)
        self.written += len(rows)

    async def purge(self) -> int:
        """Delete frames older than the retention; returns how many."""
        cutoff = self._clock() - self.retention

        def job(connection: Connection) -> int:
            return connection.execute(delete(message_log).where(message_log.c.timestamp < cutoff)).rowcount

        return int(await self._store.write_behind(job))

    async def close(self) -> None:
        """Stop the writer, writing what is buffered."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        with contextlib.suppress(Exception):
            await self.flush()


async def frames_of(
    store: Store,
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
        sqlalchemy.exc.SQLAlchemyError: the store failed.
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

    return await store.read(job)
