"""Transactions: start, meter values, stop. Billing data is never refused.

Every start, stop and meter value is stored, whatever the token or the transaction's state;
only a storage failure raises. Retries of the same message are recognised and answered as
the first one was, because a station resends a message it got no answer to.
"""

from __future__ import annotations

import builtins
from collections import OrderedDict, deque
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.engine import Row

from opencsms.domain import inferred_ends
from opencsms.domain import transaction_jobs as jobs
from opencsms.domain.events import EventPublisher
from opencsms.domain.meter_readings import sampled_values, samples_json
from opencsms.domain.model import (
    MeterSample,
    SampledValue,
    StartResult,
    StopResult,
    Transaction,
    TransactionEvent,
    TransactionEventResult,
    TransactionStart,
    TransactionStatus,
    TransactionStop,
)
from opencsms.store import Store
from opencsms.store import meter_values as meter_rows
from opencsms.store import transactions as transaction_rows

#: Meter value messages remembered per station, and stations remembered, to spot resends.
_RECENT_METER_MESSAGES = 8
_RECENT_METER_STATIONS = 100_000


class MeterQuotaExceeded(ValueError):
    """A meter value message is over a storage quota; nothing of it was stored."""


class TransactionService:
    """Starts, meter values and stops of charging transactions."""

    def __init__(
        self,
        store: Store,
        events: EventPublisher,
        *,
        new_station_status: Callable[[], str],
        clock: Callable[[], datetime],
    ) -> None:
        self._store = store
        self._events = events
        self._new_station_status = new_station_status
        self._clock = clock
        #: Quotas (0: none): sampled values in one message, sampled values per station per UTC
        #: day that name no known transaction. ``on_quota(station_id, what)`` hears of a station
        #: going over one (once a day for the daily one).
        self.max_values_per_message = 0
        self.max_orphan_values_per_day = 0
        self.on_quota: Callable[[str, str], None] = lambda station_id, what: None
        #: station id -> [UTC day number, orphan values stored that day]
        self._orphan_values: dict[str, list[int]] = {}
        #: Per station, fingerprints of its latest stored meter value messages (a resend after a
        #: lost answer is acknowledged without being stored again); least recent station first.
        self._recent_meter_values: OrderedDict[str, deque[int]] = OrderedDict()

    async def start(self, req: TransactionStart) -> StartResult:
        """Store a transaction start and return its id, whatever the token's status.

        The token is judged at the start's timestamp. A retried OCPP 1.6 start (same station,
        connector, token, timestamp and meter start) or a 2.0.1 start whose transaction_ref
        the station already used gets the existing id.

        Raises:
            sqlalchemy.exc.SQLAlchemyError: the store failed; nothing was stored.
        """
        now = self._clock()
        new_status = self._new_station_status()
        started = await self._store.write(lambda connection: jobs.start(connection, req, new_status, now))
        inferred_ends.publish(self._events, started.inferred)
        if started.created:
            self._events.publish(
                "transaction.started",
                req.station_id,
                {
                    "transaction_id": started.transaction_id,
                    "transaction_ref": started.transaction_ref,
                    "evse_id": req.evse_id,
                    "connector_id": req.connector_id,
                    "id_token": req.id_token or None,
                    "authorization": started.id_token_info.status.value,
                    "meter_start_wh": req.meter_start_wh,
                    "started_at": req.timestamp.isoformat(),
                },
            )
        if started.ended_by_early_stop:
            self._events.publish(
                "transaction.ended",
                req.station_id,
                {
                    "transaction_id": started.transaction_id,
                    "transaction_ref": started.transaction_ref,
                    "ended_by": transaction_rows.BY_STATION,
                },
            )
        return StartResult(started.transaction_id, started.id_token_info)

    async def meter_values(
        self,
        station_id: str,
        samples: Sequence[MeterSample],
        *,
        connector_id: int | None = None,
        evse_id: int | None = None,
        transaction_id: int | None = None,
        transaction_ref: str | None = None,
    ) -> None:
        """Store the samples verbatim, attached to the transaction when the station has it.

        Samples naming an unknown transaction are stored all the same, with the name the
        station used kept in ``transaction_ref``.

        Raises:
            sqlalchemy.exc.SQLAlchemyError: the store failed; nothing was stored.
        """
        if not any(sample.values for sample in samples):
            return
        # A resent message (its answer was lost) is the same samples again: same connector,
        # transaction, count, first and last timestamp and first value. Cheap to compare, and
        # two different messages of one station agree on all of it only by mistake.
        first, last = samples[0], samples[-1]
        fingerprint = hash(
            (
                connector_id,
                evse_id,
                transaction_id,
                transaction_ref,
                len(samples),
                first.timestamp,
                last.timestamp,
                first.values[:1],
                last.values[-1:],
                len(first.values),
            )
        )
        recent = self._recent_meter_values.get(station_id)
        if recent is not None and fingerprint in recent:
            return
        if self.max_values_per_message:
            count = sum(len(sample.values) for sample in samples)
            if count > self.max_values_per_message:
                self.on_quota(
                    station_id,
                    f"{count} sampled values in one message (at most {self.max_values_per_message})",
                )
                raise MeterQuotaExceeded(
                    f"more than {self.max_values_per_message} sampled values in one message"
                )
        orphans = None
        if self.max_orphan_values_per_day:
            day = self._clock().toordinal()
            orphans = self._orphan_values.get(station_id)
            if orphans is None or orphans[0] != day:
                if len(self._orphan_values) >= _RECENT_METER_STATIONS:
                    self._orphan_values.clear()
                orphans = self._orphan_values[station_id] = [day, 0]
        keep_orphans = orphans is None or orphans[1] < self.max_orphan_values_per_day

        sampled = await self._store.write(
            lambda connection: jobs.meter_values(
                connection,
                station_id,
                samples,
                evse_id=evse_id,
                connector_id=connector_id,
                transaction_id=transaction_id,
                transaction_ref=transaction_ref,
                keep_orphans=keep_orphans,
            )
        )
        if orphans is not None and sampled.transaction_id is None:
            if not sampled.stored:
                return  # over the quota: acknowledged, not kept (the operator heard of it once)
            orphans[1] += sum(len(sample.values) for sample in samples)
            if orphans[1] >= self.max_orphan_values_per_day:
                self.on_quota(
                    station_id,
                    f"{orphans[1]} sampled values today naming no known transaction (at most "
                    f"{self.max_orphan_values_per_day}); more are acknowledged but not kept "
                    "until tomorrow (UTC)",
                )
        if recent is None:
            if len(self._recent_meter_values) >= _RECENT_METER_STATIONS:
                self._recent_meter_values.popitem(last=False)
            recent = self._recent_meter_values[station_id] = deque(maxlen=_RECENT_METER_MESSAGES)
        recent.append(fingerprint)
        if self._events.wants("transaction.meter"):
            self._publish_meter(
                station_id, sampled.transaction_id, sampled.transaction_ref, sampled.where, samples
            )

    def _publish_meter(
        self,
        station_id: str,
        transaction_id: int | None,
        transaction_ref: str | None,
        where: jobs.Where,
        samples: Sequence[MeterSample],
    ) -> None:
        # The EVSE and connector of the transaction when the message named none (a 2.0.1
        # TransactionEvent names them once, as a rule), and its start reading: live consumers
        # (load manager, dashboard, energy so far) need no state of their own to place them.
        data = {
            "transaction_id": transaction_id,
            "transaction_ref": transaction_ref,
            "evse_id": where.evse_id,
            "connector_id": where.connector_id,
            "meter_start_wh": where.meter_start_wh,
        }
        self._events.publish("transaction.meter", station_id, {**data, "samples": samples_json(samples)})

    async def stop(self, req: TransactionStop) -> StopResult:
        """Store a transaction stop and its samples; never refused.

        A stop of a transaction whose end was inferred replaces that end. A stop of an unknown
        transaction is kept in ``orphan_stops`` (with its samples) and
        answered ``known=False``. A repeated stop changes nothing and gets the same answer.
        ``id_token_info`` is given when the stop names a token (judged at the stop's time).

        Raises:
            sqlalchemy.exc.SQLAlchemyError: the store failed; nothing was stored.
        """
        now = self._clock()
        stopped = await self._store.write(lambda connection: jobs.stop(connection, req, now))
        if stopped.first_time and self._events.wanted:
            self._publish_stop(req, stopped)
        return StopResult(
            known=stopped.transaction_id is not None,
            id_token_info=stopped.id_token_info,
            other_station=stopped.other_station,
        )

    def _publish_stop(self, req: TransactionStop, stopped: jobs.Stopped) -> None:
        data: dict[str, Any] = {
            "transaction_ref": stopped.transaction_ref,
            "stopped_at": req.timestamp.isoformat(),
        }
        if stopped.transaction_id is None:
            self._events.publish("transaction.orphan_stop", req.station_id, data)
            return
        data |= {
            "transaction_id": stopped.transaction_id,
            "meter_stop_wh": req.meter_stop_wh,
            "reason": req.reason,
            "ended_by": transaction_rows.BY_STATION,
            "replaces_inferred": stopped.replaced_inferred,
        }
        self._events.publish("transaction.ended", req.station_id, data)

    async def transaction_event(self, event: TransactionEvent) -> TransactionEventResult:
        """Store an OCPP 2.0.1 TransactionEvent (E01-E15); never refused for a business reason.

        The first event seen for a transactionId creates the transaction, whatever its type (a
        Started one ends, as inferred, an earlier transaction still open on the EVSE); an Updated
        event adds its token, charging state and samples; an Ended event ends it, or replaces
        an inferred end.
        A resend (the seqNo last stored) changes nothing and gets the same answer.
        ``id_token_info`` is given when the event names a token (judged at its timestamp).

        Raises:
            sqlalchemy.exc.SQLAlchemyError: the store failed; nothing was stored.
        """
        now = self._clock()
        new_status = self._new_station_status()
        applied = await self._store.write(
            lambda connection: jobs.transaction_event(connection, event, new_status, now)
        )
        inferred_ends.publish(self._events, applied.inferred)
        if not applied.duplicate and self._events.wanted:
            self._publish_event(event, applied)
        return TransactionEventResult(applied.transaction_id, applied.id_token_info)

    def _publish_event(self, event: TransactionEvent, applied: jobs.EventApplied) -> None:
        ids = {"transaction_id": applied.transaction_id, "transaction_ref": event.transaction_ref}
        if applied.created:
            self._events.publish(
                "transaction.started",
                event.station_id,
                {
                    **ids,
                    "evse_id": event.evse_id,
                    "connector_id": event.connector_id,
                    "id_token": applied.id_token,
                    "authorization": applied.id_token_info.status.value if applied.id_token_info else None,
                    "meter_start_wh": event.energy_wh,
                    "started_at": event.timestamp.isoformat(),
                },
            )
        if self._events.wants("transaction.meter") and any(sample.values for sample in event.samples):
            self._publish_meter(
                event.station_id, applied.transaction_id, event.transaction_ref, applied.where, event.samples
            )
        if applied.ended:
            ended = {
                "meter_stop_wh": event.energy_wh,
                "reason": event.stopped_reason,
                "ended_by": transaction_rows.BY_STATION,
                "replaces_inferred": applied.replaced_inferred,
            }
            self._events.publish(
                "transaction.ended",
                event.station_id,
                {**ids, **ended, "stopped_at": event.timestamp.isoformat()},
            )

    async def first_readings_of_running(self) -> dict[tuple[str, int], float]:
        """The first stored register reading (Wh) of each running transaction that has no start
        reading, by (station id, transaction id): where its energy counts from.

        Raises:
            sqlalchemy.exc.SQLAlchemyError: the store failed.
        """
        return await self._store.read(jobs.first_readings_of_running)

    async def get(self, transaction_id: int) -> Transaction | None:
        """The transaction, or None.

        Raises:
            sqlalchemy.exc.SQLAlchemyError: the store failed.
        """
        row = await self._store.read(lambda connection: transaction_rows.get(connection, transaction_id))
        return _transaction(row) if row is not None else None

    async def find(self, station_id: str, transaction_ref: str) -> Transaction | None:
        """The station's transaction with this reference (2.0.1 transactionId), or None.

        Raises:
            sqlalchemy.exc.SQLAlchemyError: the store failed.
        """
        row = await self._store.read(
            lambda connection: transaction_rows.find(connection, station_id, transaction_ref=transaction_ref)
        )
        return _transaction(row) if row is not None else None

    async def list(
        self, *, station_id: str | None = None, active: bool | None = None, limit: int = 100
    ) -> builtins.list[Transaction]:
        """Up to ``limit`` transactions, newest first.

        Raises:
            sqlalchemy.exc.SQLAlchemyError: the store failed.
        """
        rows = await self._store.read(
            lambda connection: transaction_rows.list_recent(
                connection, station_id=station_id, active=active, limit=limit
            )
        )
        return [_transaction(row) for row in rows]

    async def meter_values_of(self, transaction_id: int) -> builtins.list[tuple[datetime, SampledValue]]:
        """The transaction's sampled values in time order, as stored.

        Raises:
            sqlalchemy.exc.SQLAlchemyError: the store failed.
        """
        rows = await self._store.read(
            lambda connection: meter_rows.of_transaction(connection, transaction_id)
        )
        return [pair for row in rows for pair in sampled_values(row)]

    async def meter_values_of_station(
        self, station_id: str, limit: int = 1000
    ) -> builtins.list[tuple[datetime, SampledValue]]:
        """The station's latest ``limit`` sampled values, in or outside transactions, in time order.

        Raises:
            sqlalchemy.exc.SQLAlchemyError: the store failed.
        """
        rows = await self._store.read(
            lambda connection: meter_rows.latest_of_station(connection, station_id, limit)
        )
        # Every sample holds at least one value: ``limit`` samples hold enough.
        values = [pair for row in reversed(rows) for pair in sampled_values(row)]
        return values[-limit:] if limit > 0 else []


def _transaction(row: Row[Any]) -> Transaction:
    return Transaction(
        id=row.id,
        station_id=row.station_id,
        transaction_ref=row.transaction_ref,
        evse_id=row.evse_id,
        connector_id=row.connector_id,
        id_token=row.id_token,
        started_at=row.started_at,
        stopped_at=row.stopped_at,
        meter_start_wh=row.meter_start_wh,
        meter_stop_wh=row.meter_stop_wh,
        stop_reason=row.stop_reason,
        status=TransactionStatus(row.status),
        token_type=row.token_type,
        stop_id_token=row.stop_id_token,
        reservation_id=row.reservation_id,
        charging_state=row.charging_state,
        offline=bool(row.offline),
        start_trigger_reason=row.start_trigger_reason,
        trigger_reason=row.trigger_reason,
        last_seq_no=row.last_seq_no,
        seq_gaps=row.seq_gaps,
        ended_by=row.ended_by,
        inferred_cause=row.inferred_cause,
    )
