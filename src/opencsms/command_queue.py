"""Commands queued for offline stations, delivered when the station is back.

An operator may ask for a command to wait (``?queue=true``) instead of failing with "offline". It
is stored with an expiry and sent after the station's next accepted BootNotification (or, for a
station that reconnects without booting, a few seconds after it connects), oldest first. The
station's answer, or why it failed, is kept with the command. A command sent without an answer
(the station disconnected or stayed silent) ends ``unanswered`` and is never sent again on its
own: the station may have carried it out.
"""

from __future__ import annotations

import asyncio
import builtins
import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import bindparam, func, insert, select, update
from sqlalchemy.engine import Connection, Row

from opencsms.bus import EventBus, EventFilter
from opencsms.domain import commands as c
from opencsms.sessions import SessionManager
from opencsms.store import Store
from opencsms.store.schema_operator_api import queued_commands

log = logging.getLogger(__name__)

QUEUED, DELIVERED, FAILED, EXPIRED, CANCELLED = "queued", "delivered", "failed", "expired", "cancelled"
#: Sent, but no answer came (the station disconnected or stayed silent): it may have been carried
#: out, so it is never sent again on its own.
UNANSWERED = "unanswered"
STATUSES = (QUEUED, DELIVERED, FAILED, UNANSWERED, EXPIRED, CANCELLED)

# Every station that connects or boots is looked up; almost none has anything queued.
_ANY_QUEUED = (
    select(queued_commands.c.id)
    .where(queued_commands.c.station_id == bindparam("station_id"), queued_commands.c.status == QUEUED)
    .limit(1)
)


@dataclass(frozen=True, slots=True)
class QueuedCommand:
    id: int
    station_id: str
    command: str
    args: dict[str, Any]
    status: str
    created_at: datetime
    expires_at: datetime
    finished_at: datetime | None
    result: dict[str, Any] | None
    error: str | None
    created_by: str | None


def _queued(row: Row[Any]) -> QueuedCommand:
    return QueuedCommand(
        row.id,
        row.station_id,
        row.command,
        dict(row.args or {}),
        row.status,
        row.created_at,
        row.expires_at,
        row.finished_at,
        row.result,
        row.error,
        row.created_by,
    )


class CommandQueue:
    """Stores queued commands and delivers them. :meth:`start` subscribes to the bus; :meth:`close` stops."""

    def __init__(
        self,
        store: Store,
        sessions: SessionManager,
        bus: EventBus,
        *,
        boot_delay: float = 1.0,
        connect_grace: float = 10.0,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._store = store
        self._sessions = sessions
        self._bus = bus
        self._boot_delay = boot_delay
        self._connect_grace = connect_grace
        self._clock = clock
        self._locks: dict[str, asyncio.Lock] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._listener: asyncio.Task[None] | None = None

    # -- storing ----------------------------------------------------------------------------------

    async def enqueue(
        self, station_id: str, command: c.Command, expires_at: datetime, created_by: str | None = None
    ) -> QueuedCommand:
        as_dict = c.command_to_dict(command)
        values = {
            "station_id": station_id,
            "command": as_dict["command"],
            "args": as_dict["args"],
            "status": QUEUED,
            "created_at": self._clock(),
            "expires_at": expires_at,
            "created_by": created_by,
        }

        def job(connection: Connection) -> Row[Any]:
            new_id = connection.execute(
                insert(queued_commands).values(**values).returning(queued_commands.c.id)
            ).scalar_one()
            return connection.execute(select(queued_commands).where(queued_commands.c.id == new_id)).one()

        queued = _queued(await self._store.write(job))
        if station_id in self._sessions.sessions:  # it came back meanwhile
            self._spawn(self.deliver(station_id))
        return queued

    async def _expire_due(self) -> None:
        now = self._clock()
        await self._store.write(
            lambda connection: connection.execute(
                update(queued_commands)
                .where(queued_commands.c.status == QUEUED, queued_commands.c.expires_at <= now)
                .values(status=EXPIRED, finished_at=now)
            )
        )

    async def get(self, command_id: int) -> QueuedCommand | None:
        await self._expire_due()
        row = await self._store.read(
            lambda connection: connection.execute(
                select(queued_commands).where(queued_commands.c.id == command_id)
            ).first()
        )
        return _queued(row) if row is not None else None

    async def list(
        self,
        *,
        station_id: str | None = None,
        status: str | None = None,
        descending: bool = True,
        limit: int = 50,
        offset: int = 0,
    ) -> tuple[builtins.list[QueuedCommand], int]:
        await self._expire_due()
        conditions = []
        if station_id is not None:
            conditions.append(queued_commands.c.station_id == station_id)
        if status is not None:
            conditions.append(queued_commands.c.status == status)
        order = queued_commands.c.id.desc() if descending else queued_commands.c.id.asc()

        def job(connection: Connection) -> tuple[builtins.list[Any], int]:
            rows = connection.execute(
                select(queued_commands).where(*conditions).order_by(order).limit(limit).offset(offset)
            ).all()
            total = connection.execute(
                select(func.count()).select_from(queued_commands).where(*conditions)
            ).scalar_one()
            return list(rows), int(total)

        rows, total = await self._store.read(job)
        return [_queued(r) for r in rows], total

    async def cancel(self, command_id: int) -> QueuedCommand:
        """Cancel a command still queued.

        Raises:
            LookupError: no such command.
            ValueError: it is no longer queued.
        """
        now = self._clock()

        def job(connection: Connection) -> Row[Any] | None:
            connection.execute(
                update(queued_commands)
                .where(queued_commands.c.id == command_id, queued_commands.c.status == QUEUED)
                .values(status=CANCELLED, finished_at=now)
            )
            return connection.execute(
                select(queued_commands).where(queued_commands.c.id == command_id)
            ).first()

        await self._expire_due()
        row = await self._store.write(job)
        if row is None:
            raise LookupError(f"no queued command {command_id}")
        queued = _queued(row)
        if queued.status != CANCELLED:
            raise ValueError(f"command {command_id} is {queued.status}, not queued")
        return queued

    # -- delivering -------------------------------------------------------------------------------

    def start(self) -> None:
        if self._listener is None:
            # The node holding the station publishes its events and delivers its queued commands.
            subscription = self._bus.subscribe(
                EventFilter.of(["station.booted", "station.connected"], local_only=True)
            )
            self._listener = asyncio.get_running_loop().create_task(self._listen(subscription))

    async def _listen(self, subscription: Any) -> None:
        try:
            async for event in subscription:
                if event.kind == "station.booted":
                    if event.data.get("registration_status") == "Accepted":
                        self._spawn(self._deliver_later(event.station_id, self._boot_delay))
                else:
                    self._spawn(self._deliver_later(event.station_id, self._connect_grace))
        finally:
            subscription.close()

    def _spawn(self, work: Any) -> None:
        task = asyncio.get_running_loop().create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _deliver_later(self, station_id: str, delay: float) -> None:
        # A boot's answer must reach the station before our calls do.
        await asyncio.sleep(delay)
        await self.deliver(station_id)

    async def deliver(self, station_id: str) -> int:
        """Send the station's queued commands, oldest first; returns how many got an answer or failed."""
        lock = self._locks.setdefault(station_id, asyncio.Lock())
        done = 0
        async with lock:
            if not await self._has_queued(station_id):
                return 0  # the common case, answered by one indexed read instead of a write and two reads
            await self._expire_due()
            pending, _ = await self.list(station_id=station_id, status=QUEUED, descending=False, limit=1000)
            for queued in pending:
                try:
                    command = c.command_from_dict({"command": queued.command, "args": queued.args})
                    result = await self._sessions.execute(station_id, command)
                except c.StationOffline:
                    break  # it went away again before this one was sent: the rest wait for its next visit
                except c.SentNoAnswer as exc:
                    # It went away with this one in flight: the station may have carried it out, so
                    # it is not sent again (a Hard reset would reset twice); the rest wait.
                    await self._finish(queued.id, UNANSWERED, None, f"{type(exc).__name__}: {exc}")
                    done += 1
                    break
                except c.CommandTimeout as exc:
                    await self._finish(queued.id, UNANSWERED, None, f"{type(exc).__name__}: {exc}")
                except c.CommandError as exc:
                    await self._finish(queued.id, FAILED, None, f"{type(exc).__name__}: {exc}")
                except Exception as exc:
                    log.exception("queued command %s for %s failed", queued.id, station_id)
                    await self._finish(queued.id, FAILED, None, f"internal error: {exc}")
                else:
                    outcome = {
                        "action": result.action,
                        "status": result.status,
                        "response": result.response,
                        "request": result.request,
                    }
                    await self._finish(queued.id, DELIVERED, outcome, None)
                done += 1
        return done

    async def _has_queued(self, station_id: str) -> bool:
        return await self._store.read(
            lambda connection: connection.execute(_ANY_QUEUED, {"station_id": station_id}).first() is not None
        )

    async def _finish(
        self, command_id: int, status: str, result: dict[str, Any] | None, error: str | None
    ) -> None:
        now = self._clock()
        await self._store.write(
            lambda connection: connection.execute(
                update(queued_commands)
                .where(queued_commands.c.id == command_id)
                .values(status=status, result=result, error=error, finished_at=now)
            )
        )

    async def close(self) -> None:
        tasks = [*self._tasks, *([self._listener] if self._listener else [])]
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self._listener = None
