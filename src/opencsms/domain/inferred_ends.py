"""Sessions no station will close: found and ended by inference, for the operator to review.

A station may leave a transaction open for good: it starts another on the same connector, reboots
without sending the stop it owed, or abandons a session (e.g. after its start was answered
Blocked) and reports the connector Available (OCPP 1.6). Such a transaction is ended here, marked
``ended_by="inferred"`` with its ``inferred_cause``, at its last energy register reading and that
reading's time (else its start). A stop the station sends later still wins: it replaces the
inferred end (see ``store.transactions.end``). ADR 0017 says why.

The store jobs here run inside the write of the message that revealed the orphan (a start, a
connector status) or of the boot sweep, never on the meter value path.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Connection

from opencsms.domain.events import EventPublisher
from opencsms.domain.meter_readings import ENERGY_REGISTER, energy_register_wh, sampled_values
from opencsms.store import Store
from opencsms.store import meter_values as meter_rows
from opencsms.store import transactions as transaction_rows
from opencsms.store.schema import stations, transactions

log = logging.getLogger(__name__)

#: ``inferred_cause``: another start on the connector or EVSE; a boot after which the station
#: did not send the stop within the grace period; an Available status of the (1.6) connector.
NEW_START = "new_start"
BOOT = "boot"
AVAILABLE = "available"


@dataclass(frozen=True, slots=True)
class InferredEnd:
    """A transaction ended by inference."""

    station_id: str
    transaction_id: int
    transaction_ref: str
    cause: str
    stopped_at: datetime
    meter_stop_wh: float | None


def _end(connection: Connection, station_id: str, row: Any, cause: str, now: datetime) -> InferredEnd | None:
    stopped_at, meter_stop = row.started_at, row.meter_start_wh
    last = meter_rows.latest_naming(connection, row.id, ENERGY_REGISTER)
    if last is not None:
        register = energy_register_wh([value for _, value in sampled_values(last)])
        if register is not None and last.timestamp >= row.started_at:
            stopped_at, meter_stop = last.timestamp, register
    ended = transaction_rows.end_inferred(
        connection, row.id, cause=cause, stopped_at=stopped_at, meter_stop_wh=meter_stop, now=now
    )
    if not ended:
        return None
    return InferredEnd(station_id, row.id, row.transaction_ref, cause, stopped_at, meter_stop)


def _end_all(
    connection: Connection, station_id: str, rows: Iterable[Any], cause: str, now: datetime
) -> list[InferredEnd]:
    ended = (_end(connection, station_id, row, cause, now) for row in rows)
    return [end for end in ended if end is not None]


def on_new_start(
    connection: Connection,
    station_id: str,
    transaction_id: int,
    *,
    evse_id: int | None,
    connector_id: int | None,
    started_at: datetime,
    now: datetime,
) -> list[InferredEnd]:
    """End the station's other transactions on the connector (OCPP 1.6: ``evse_id`` None) or the
    EVSE (2.0.1: one transaction at a time) that started before this one did."""
    if evse_id is None and connector_id is None:
        return []
    rows = [
        row
        for row in transaction_rows.open_of_station(connection, station_id)
        if row.id != transaction_id
        and row.started_at <= started_at
        and (row.evse_id == evse_id if evse_id is not None else row.evse_id is None)
        and (evse_id is not None or row.connector_id == connector_id)
    ]
    return _end_all(connection, station_id, rows, NEW_START, now)


def on_available(
    connection: Connection, station_id: str, *, connector_id: int, at: datetime, now: datetime
) -> list[InferredEnd]:
    """End the station's OCPP 1.6 transactions on a connector reported Available at ``at`` (the
    station's time) that started before then.

    1.6 only: a 1.6 connector is Available only when it is free for a new user (section 7.7). A
    2.0.1 connector is Available when nothing is plugged in, which a transaction may outlive (E10,
    TC_E_26: StopTxOnEVSideDisconnect false), so there the station's own Ended event decides.
    """
    if connector_id <= 0:  # connector 0 is the station as a whole
        return []
    rows = [
        row
        for row in transaction_rows.open_of_station(connection, station_id)
        if row.evse_id is None and row.connector_id == connector_id and row.started_at <= at
    ]
    return _end_all(connection, station_id, rows, AVAILABLE, now)


def after_boots(
    connection: Connection, booted: Sequence[tuple[str, datetime]], now: datetime
) -> list[InferredEnd]:
    """End each station's transactions that nothing was heard of since its boot (station id, boot
    time, CSMS clock): the station rebooted and its grace period for the stop has passed."""
    ended: list[InferredEnd] = []
    for station_id, boot in booted:
        rows = transaction_rows.open_untouched_since(connection, station_id, boot)
        ended += _end_all(connection, station_id, rows, BOOT, now)
    return ended


def stations_with_orphans_of_boot(
    connection: Connection, booted_after: datetime | None, booted_until: datetime
) -> list[tuple[str, datetime]]:
    """Stations that booted in (``booted_after``, ``booted_until``] and still have a transaction
    nothing was heard of since, with their boot time."""
    query = (
        select(stations.c.id, stations.c.last_boot)
        .where(
            stations.c.last_boot <= booted_until,
            select(transactions.c.id)
            .where(
                transactions.c.station_id == stations.c.id,
                transactions.c.status == transaction_rows.ACTIVE,
                transactions.c.updated_at < stations.c.last_boot,
            )
            .exists(),
        )
        .order_by(stations.c.id)
    )
    if booted_after is not None:
        query = query.where(stations.c.last_boot > booted_after)
    return [(row.id, row.last_boot) for row in connection.execute(query)]


def publish(events: EventPublisher, ends: Iterable[InferredEnd]) -> None:
    """Announce each inferred end as ``transaction.ended`` (``ended_by``: ``inferred``)."""
    for end in ends:
        events.publish(
            "transaction.ended",
            end.station_id,
            {
                "transaction_id": end.transaction_id,
                "transaction_ref": end.transaction_ref,
                "meter_stop_wh": end.meter_stop_wh,
                "reason": None,
                "stopped_at": end.stopped_at.isoformat(),
                "ended_by": transaction_rows.INFERRED,
                "inferred_cause": end.cause,
            },
        )


class BootSweep:
    """Ends the transactions stations left open across a reboot, once ``grace`` has passed since
    the boot without the stop they owed (or any other word of them).

    Every node of a cluster may sweep: ending is conditional on the transaction being active, and
    only the node whose update took announces it.
    """

    def __init__(
        self, store: Store, events: EventPublisher, *, clock: Callable[[], datetime], grace: float
    ) -> None:
        self._store = store
        self._events = events
        self._clock = clock
        self.grace = timedelta(seconds=grace)
        #: Boots up to this time were swept; None before the first sweep (which looks at all).
        self._swept_until: datetime | None = None

    async def sweep(self) -> list[InferredEnd]:
        """One pass over the stations whose grace ended since the previous pass.

        Raises:
            sqlalchemy.exc.SQLAlchemyError: the store failed.
        """
        now = self._clock()
        until = now - self.grace
        # Overlap a little: a boot stamped just before the previous pass may have been committed
        # after it. Ending again is a no-op.
        after = None if self._swept_until is None else self._swept_until - timedelta(seconds=60)
        booted = await self._store.read(
            lambda connection: stations_with_orphans_of_boot(connection, after, until)
        )
        ended: list[InferredEnd] = []
        if booted:
            ended = await self._store.write(lambda connection: after_boots(connection, booted, now))
            publish(self._events, ended)
            if ended:
                log.info("%d transactions left open across a reboot ended as inferred", len(ended))
        self._swept_until = until
        return ended

    async def run(self) -> None:
        """Sweep every half grace period (at most every 30 s) until cancelled."""
        interval = min(max(self.grace.total_seconds() / 2, 0.1), 30.0)
        while True:
            try:
                await self.sweep()
            except Exception:
                log.exception("sweeping transactions left open across a reboot failed; trying again later")
            await asyncio.sleep(interval)
