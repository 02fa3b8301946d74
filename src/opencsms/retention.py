"""Retention: meter samples, events and OCPP frames older than their policy are deleted.

The purge walks a table in primary-key order, a small batch at a time, and deletes the rows of
each batch that are past the retention, each batch in a write of its own: a SQLite writer never
holds the write lock for more than one batch, so acknowledgements to stations keep flowing while
a large backlog goes. Rows are inserted roughly in time order, so the old ones are at the start;
the walk ends at the first batch with nothing to delete.

What goes (docs/operations.md):

- meter samples (``OPENCSMS_METER_SAMPLE_RETENTION_DAYS``), by their time, except those of a
  transaction still running: its cost and CDR still need them;
- events (``OPENCSMS_EVENT_RETENTION_DAYS``): connector status history and security events, by
  when they were received;
- OCPP frames (``OPENCSMS_MESSAGE_LOG_RETENTION_DAYS``): :mod:`opencsms.message_log` purges
  them in batches the same way (:func:`purge_batch`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import partial

from sqlalchemy import Column, Table, delete, select
from sqlalchemy.engine import Connection

from opencsms.store import Store
from opencsms.store.schema import connector_status_history, meter_samples, transactions
from opencsms.store.schema_security import security_events

log = logging.getLogger(__name__)

#: Rows looked at per write: a few milliseconds of work even on a slow disk.
DEFAULT_BATCH = 500


@dataclass(frozen=True, slots=True)
class BatchResult:
    deleted: int
    #: The last id looked at; None when the batch was empty (the end of the table).
    last_id: int | None


def purge_batch(
    connection: Connection,
    table: Table,
    time_column: Column[datetime],
    cutoff: datetime,
    *,
    after: int,
    batch: int,
    keep_running_transactions: bool = False,
) -> BatchResult:
    """Delete the rows past ``cutoff`` among the ``batch`` rows of ``table`` after id ``after``."""
    query = select(table.c.id, time_column)
    if keep_running_transactions:
        query = select(table.c.id, time_column, transactions.c.status).select_from(
            table.outerjoin(transactions, transactions.c.id == table.c.transaction_id)
        )
    rows = connection.execute(query.where(table.c.id > after).order_by(table.c.id).limit(batch)).all()
    if not rows:
        return BatchResult(0, None)
    old = [
        row[0] for row in rows if row[1] < cutoff and not (keep_running_transactions and row[2] == "active")
    ]
    if old:
        connection.execute(delete(table).where(table.c.id.in_(old)))
    return BatchResult(len(old), int(rows[-1][0]))


async def walk(run_batch: Callable[[int], Awaitable[BatchResult]]) -> int:
    """Run batches from the start of a table until one deletes nothing; returns rows deleted.

    Each batch is its own transaction; between batches other writers get their turn.
    """
    deleted = 0
    after = 0
    while True:
        result = await run_batch(after)
        deleted += result.deleted
        if result.last_id is None or result.deleted == 0:
            return deleted
        after = result.last_id
        await asyncio.sleep(0)


@dataclass(frozen=True, slots=True)
class RetentionPolicy:
    """Days each kind of data is kept; None keeps it forever."""

    meter_samples: timedelta | None = None
    events: timedelta | None = None

    @classmethod
    def of_days(cls, meter_samples: float, events: float) -> RetentionPolicy:
        return cls(
            timedelta(days=meter_samples) if meter_samples > 0 else None,
            timedelta(days=events) if events > 0 else None,
        )

    @property
    def keeps_everything(self) -> bool:
        return self.meter_samples is None and self.events is None


class RetentionPurge:
    """Purges the store by ``policy`` every ``interval`` seconds. :meth:`start` on the loop,
    :meth:`close` to stop."""

    def __init__(
        self,
        store: Store,
        policy: RetentionPolicy,
        *,
        interval: float = 3600.0,
        batch: int = DEFAULT_BATCH,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.store = store
        self.policy = policy
        self.interval = interval
        self.batch = batch
        self._clock = clock
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        if self._task is None and not self.policy.keeps_everything:
            self._task = asyncio.get_running_loop().create_task(self._run(), name="retention-purge")

    async def _run(self) -> None:
        while True:
            try:
                deleted = await self.purge()
                if any(deleted.values()):
                    log.info("retention: deleted %s", ", ".join(f"{n} {what}" for what, n in deleted.items()))
            except Exception:
                log.exception("retention: the purge failed; it runs again later")
            await asyncio.sleep(self.interval)

    async def purge(self) -> dict[str, int]:
        """Delete what the policy no longer keeps; returns how many rows of each kind."""
        now = self._clock()
        deleted: dict[str, int] = {}
        if self.policy.meter_samples is not None:
            deleted["meter samples"] = await self._purge_table(
                meter_samples,
                meter_samples.c.timestamp,
                now - self.policy.meter_samples,
                keep_running_transactions=True,
            )
        if self.policy.events is not None:
            cutoff = now - self.policy.events
            deleted["connector status changes"] = await self._purge_table(
                connector_status_history, connector_status_history.c.received_at, cutoff
            )
            deleted["security events"] = await self._purge_table(
                security_events, security_events.c.received_at, cutoff
            )
        return deleted

    async def _purge_table(
        self,
        table: Table,
        time_column: Column[datetime],
        cutoff: datetime,
        *,
        keep_running_transactions: bool = False,
    ) -> int:
        async def run_batch(after: int) -> BatchResult:
            job = partial(
                purge_batch, table=table, time_column=time_column, cutoff=cutoff, after=after,
                batch=self.batch, keep_running_transactions=keep_running_transactions,
            )  # fmt: skip
            return await self.store.write(job)

        return await walk(run_batch)

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
