"""The store jobs behind :class:`~opencsms.domain.transactions.TransactionService`.

Each function runs inside one group-committed write (``Store.write``): it may run twice and on
the store's writer thread, so it only reads its arguments and returns its outcome.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any, NamedTuple

import orjson
from sqlalchemy.engine import Connection

from opencsms.domain import inferred_ends, remote_starts, sequence_numbers
from opencsms.domain.live_transactions import ENERGY_REGISTER, reading
from opencsms.domain.meter_readings import energy_register_wh, sample_rows, samples_json
from opencsms.domain.model import (
    IdTokenInfo,
    MeterSample,
    TransactionEvent,
    TransactionEventType,
    TransactionStart,
    TransactionStop,
)
from opencsms.domain.tokens import authorize_in
from opencsms.store import meter_values as meter_rows
from opencsms.store import orphan_stops as orphan_rows
from opencsms.store import stations as station_rows
from opencsms.store import transactions as transaction_rows
from opencsms.store.schema_billing import charging_state_changes

BEGIN = "Transaction.Begin"


class Where(NamedTuple):
    """Where a transaction runs (the EVSE and connector a message named, else those stored) and
    its start reading, as far as the store knows them."""

    evse_id: int | None
    connector_id: int | None
    meter_start_wh: float | None


_NOWHERE = Where(None, None, None)
# A station sends the register in (nearly) every sample: one without it in its first samples
# sends it never.
_FIRST_SAMPLES_SEARCHED = 50


@dataclass(frozen=True, slots=True)
class Started:
    """What a start did."""

    transaction_id: int
    transaction_ref: str
    id_token_info: IdTokenInfo
    created: bool
    # A stop for this transaction had arrived first (OCPP 2.0.1 messages out of order).
    ended_by_early_stop: bool = False
    # Transactions this start showed to be over (an earlier one on the same connector).
    inferred: tuple[inferred_ends.InferredEnd, ...] = ()


@dataclass(frozen=True, slots=True)
class Stopped:
    """What a stop did; ``transaction_id`` is None for an unknown transaction."""

    transaction_id: int | None
    transaction_ref: str
    id_token_info: IdTokenInfo | None
    # False for a repeat of a stop already stored.
    first_time: bool
    # The stop named a transaction id of this other station (it was left alone).
    other_station: str | None = None
    # The stop replaced an end the CSMS had inferred.
    replaced_inferred: bool = False


@dataclass(frozen=True, slots=True)
class Sampled:
    """Where meter values went: the transaction (None when unknown) and the reference kept."""

    transaction_id: int | None
    transaction_ref: str | None
    where: Where = _NOWHERE
    #: False when the samples named no known transaction and were not kept (over the quota).
    stored: bool = True


@dataclass(frozen=True, slots=True)
class EventApplied:
    """What an OCPP 2.0.1 TransactionEvent did."""

    transaction_id: int
    id_token_info: IdTokenInfo | None
    created: bool
    ended: bool
    # The same seqNo again: a resend, stored the first time.
    duplicate: bool
    # Transactions a new one on the same EVSE showed to be over.
    inferred: tuple[inferred_ends.InferredEnd, ...] = ()
    # The Ended event replaced an end the CSMS had inferred.
    replaced_inferred: bool = False
    # As the event tells, else as earlier ones did (only a Started event names the EVSE, as a rule).
    where: Where = _NOWHERE
    # The event's token, else the one of the remote start that made the transaction.
    id_token: str | None = None


def start(connection: Connection, req: TransactionStart, new_station_status: str, now: datetime) -> Started:
    """Store a start unless it is a retry (1.6: same fingerprint; 2.0.1: same reference)."""
    info = authorize_in(connection, req.id_token, req.timestamp)
    if req.transaction_ref is not None:
        existing = transaction_rows.find_key(connection, req.station_id, transaction_ref=req.transaction_ref)
        start_key = None
    else:
        start_key = _start_key(req)
        existing = transaction_rows.find_by_start_key(connection, start_key)
    if existing is not None:
        return Started(existing.id, existing.transaction_ref, info, created=False)

    station_rows.ensure(connection, req.station_id, registration_status=new_station_status, now=now)
    transaction_id = transaction_rows.insert(
        connection,
        {
            "station_id": req.station_id,
            # OCPP 1.6: the id is the reference, known only after the insert; the start key is
            # a unique placeholder until then.
            "transaction_ref": req.transaction_ref if req.transaction_ref is not None else start_key,
            "start_key": start_key,
            "evse_id": req.evse_id,
            "connector_id": req.connector_id,
            "id_token": req.id_token or None,
            "token_type": req.token_type,
            "reservation_id": req.reservation_id,
            "started_at": req.timestamp,
            "meter_start_wh": req.meter_start_wh,
            "updated_at": now,
        },
    )
    inferred = tuple(
        inferred_ends.on_new_start(
            connection,
            req.station_id,
            transaction_id,
            evse_id=req.evse_id,
            connector_id=req.connector_id,
            started_at=req.timestamp,
            now=now,
        )
    )
    if req.transaction_ref is None:
        ref = str(transaction_id)
        transaction_rows.set_ref(connection, transaction_id, ref)
        if req.connector_id is not None:
            remote_starts.tie_16_start(
                connection, req.station_id, req.id_token, req.connector_id, transaction_id, now
            )
        return Started(transaction_id, ref, info, created=True, inferred=inferred)
    ended = _claim_early_arrivals(connection, req.station_id, req.transaction_ref, transaction_id, now)
    return Started(
        transaction_id, req.transaction_ref, info, created=True, ended_by_early_stop=ended, inferred=inferred
    )


def stop(connection: Connection, req: TransactionStop, now: datetime) -> Stopped:
    """Store a stop: end the transaction, or record an orphan stop; a repeat changes nothing."""
    info = authorize_in(connection, req.id_token, req.timestamp) if req.id_token else None
    row = transaction_rows.find_key(
        connection, req.station_id, transaction_id=req.transaction_id, transaction_ref=req.transaction_ref
    )
    if row is None:
        ref = _ref_of(req.transaction_id, req.transaction_ref) or ""
        first_time = orphan_rows.record(
            connection,
            req.station_id,
            ref,
            stop_key=_stop_key(req, ref),
            stopped_at=req.timestamp,
            meter_stop_wh=req.meter_stop_wh,
            reason=req.reason,
            id_token=req.id_token,
            payload=_stop_payload(req),
            now=now,
        )
        if first_time:
            _insert_samples(
                connection, req.station_id, req.samples, None, ref, evse_id=None, connector_id=None
            )
        owner = transaction_rows.owner_of(connection, req.transaction_id) if req.transaction_id else None
        return Stopped(None, ref, info, first_time=first_time, other_station=owner)
    ended = transaction_rows.end(
        connection,
        row.id,
        stopped_at=req.timestamp,
        meter_stop_wh=req.meter_stop_wh,
        stop_reason=req.reason,
        stop_id_token=req.id_token,
        now=now,
    )
    # A repeated stop's samples were stored with the first one (an inferred end stored none).
    if ended:
        _insert_samples(
            connection,
            req.station_id,
            req.samples,
            row.id,
            row.transaction_ref,
            evse_id=row.evse_id,
            connector_id=row.connector_id,
        )
    replaced = ended and row.ended_by == transaction_rows.INFERRED
    return Stopped(row.id, row.transaction_ref, info, first_time=ended, replaced_inferred=replaced)


def meter_values(
    connection: Connection,
    station_id: str,
    samples: Sequence[MeterSample],
    *,
    evse_id: int | None,
    connector_id: int | None,
    transaction_id: int | None,
    transaction_ref: str | None,
    keep_orphans: bool = True,
) -> Sampled:
    """Store samples, on the station's transaction when it is known (which then fills in a
    missing EVSE or connector), else with the station's name for it (unless not ``keep_orphans``)."""
    row = transaction_rows.find_key(
        connection, station_id, transaction_id=transaction_id, transaction_ref=transaction_ref
    )
    if row is None:
        ref = _ref_of(transaction_id, transaction_ref)
        if not keep_orphans:
            return Sampled(None, ref, Where(evse_id, connector_id, None), stored=False)
        _insert_samples(
            connection, station_id, samples, None, ref, evse_id=evse_id, connector_id=connector_id
        )
        return Sampled(None, ref, Where(evse_id, connector_id, None))
    evse_id = _first_known(evse_id, row.evse_id)
    connector_id = _first_known(connector_id, row.connector_id)
    _insert_samples(
        connection,
        station_id,
        samples,
        row.id,
        row.transaction_ref,
        evse_id=evse_id,
        connector_id=connector_id,
    )
    return Sampled(row.id, row.transaction_ref, Where(evse_id, connector_id, row.meter_start_wh))


def transaction_event(
    connection: Connection, event: TransactionEvent, new_station_status: str, now: datetime
) -> EventApplied:
    """Apply an OCPP 2.0.1 TransactionEvent of any type.

    The first event seen for a reference creates the transaction, whatever its type (the
    station owns the id; a lost Started must not lose the rest). A repeated seqNo is a resend
    and changes nothing.
    """
    info = authorize_in(connection, event.id_token, event.timestamp) if event.id_token else None
    row = transaction_rows.find_key(connection, event.station_id, transaction_ref=event.transaction_ref)
    created = row is None
    inferred: tuple[inferred_ends.InferredEnd, ...] = ()
    remote_start = None
    if event.remote_start_id is not None and (row is None or row.remote_start_id is None):
        # Once per transaction: the first event that names its remote start.
        remote_start = remote_starts.of_remote_start_id(connection, event.station_id, event.remote_start_id)
    stored = event
    if remote_start is not None and event.id_token is None and (row is None or row.id_token is None):
        stored = replace(event, id_token=remote_start.id_token, token_type=remote_start.token_type)
    if row is None:
        transaction_id = _create_from_event(connection, stored, new_station_status, now)
        where = Where(
            event.evse_id,
            event.connector_id,
            event.energy_wh if event.event_type == TransactionEventType.STARTED else None,
        )
        if event.event_type == TransactionEventType.STARTED:
            inferred = tuple(
                inferred_ends.on_new_start(
                    connection,
                    event.station_id,
                    transaction_id,
                    evse_id=event.evse_id,
                    connector_id=event.connector_id,
                    started_at=event.timestamp,
                    now=now,
                )
            )
        if remote_start is not None:
            remote_starts.tie(
                connection, remote_start, transaction_id, event.transaction_ref, where.evse_id, now
            )
        if _claim_early_arrivals(connection, event.station_id, event.transaction_ref, transaction_id, now):
            return EventApplied(
                transaction_id,
                info,
                created=True,
                ended=True,
                duplicate=False,
                inferred=inferred,
                where=where,
                id_token=stored.id_token,
            )
    else:
        seq = sequence_numbers.check(event.seq_no, row.last_seq_no, sequence_numbers.parse_gaps(row.seq_gaps))
        if seq.duplicate:
            return EventApplied(row.id, info, created=False, ended=False, duplicate=True)
        transaction_id = row.id
        where = Where(
            _first_known(event.evse_id, row.evse_id),
            _first_known(event.connector_id, row.connector_id),
            row.meter_start_wh,
        )
        if not seq.newest and event.event_type == TransactionEventType.STARTED:
            transaction_rows.record_late_start(
                connection,
                transaction_id,
                started_at=event.timestamp,
                meter_start_wh=event.energy_wh,
                trigger_reason=event.trigger_reason,
            )
            late_start = event.energy_wh if event.energy_wh is not None else row.meter_start_wh
            where = where._replace(meter_start_wh=late_start)
        transaction_rows.record_progress(
            connection,
            transaction_id,
            seq_no=seq.highest,
            seq_gaps=sequence_numbers.format_gaps(seq.gaps),
            # An older event that arrives late does not set the current state.
            trigger_reason=event.trigger_reason if seq.newest else None,
            charging_state=event.charging_state if seq.newest else None,
            id_token=stored.id_token,
            token_type=stored.token_type,
            evse_id=event.evse_id,
            connector_id=event.connector_id,
            remote_start_id=event.remote_start_id,
            reservation_id=event.reservation_id,
            offline=event.offline,
            now=now,
            meter_start_wh=begin_reading_wh(event),
        )
        if where.meter_start_wh is None:  # as the store has it now
            where = where._replace(meter_start_wh=begin_reading_wh(event))
        if remote_start is not None:
            remote_starts.tie(
                connection, remote_start, transaction_id, event.transaction_ref, where.evse_id, now
            )
    if event.charging_state is not None:
        # The history costing reads time and parking time from (rare: on a change of state).
        connection.execute(
            charging_state_changes.insert(),
            {"transaction_id": transaction_id, "timestamp": event.timestamp, "state": event.charging_state},
        )
    _insert_samples(
        connection,
        event.station_id,
        event.samples,
        transaction_id,
        event.transaction_ref,
        evse_id=where.evse_id,
        connector_id=where.connector_id,
    )
    ended = event.event_type == TransactionEventType.ENDED and transaction_rows.end(
        connection,
        transaction_id,
        stopped_at=event.timestamp,
        meter_stop_wh=event.energy_wh,
        stop_reason=event.stopped_reason,
        stop_id_token=event.id_token,
        now=now,
    )
    replaced = ended and row is not None and row.ended_by == transaction_rows.INFERRED
    return EventApplied(
        transaction_id,
        info,
        created=created,
        ended=ended,
        duplicate=False,
        inferred=inferred,
        replaced_inferred=replaced,
        where=where,
        id_token=stored.id_token,
    )


def first_readings_of_running(connection: Connection) -> dict[tuple[str, int], float]:
    """The first stored register reading (Wh) of each running transaction without a start
    reading, by (station id, transaction id); within its first samples, else none."""
    found: dict[tuple[str, int], float] = {}
    for tx in transaction_rows.running_without_start(connection):
        for sample in meter_rows.first_of_transaction(connection, tx.id, _FIRST_SAMPLES_SEARCHED):
            wh = reading(orjson.loads(sample.sampled_values), ENERGY_REGISTER)
            if wh is not None:
                found[(tx.station_id, tx.id)] = wh
                break
    return found


def _create_from_event(
    connection: Connection, event: TransactionEvent, new_station_status: str, now: datetime
) -> int:
    station_rows.ensure(connection, event.station_id, registration_status=new_station_status, now=now)
    started = event.event_type == TransactionEventType.STARTED
    return transaction_rows.insert(
        connection,
        {
            "station_id": event.station_id,
            "transaction_ref": event.transaction_ref,
            "evse_id": event.evse_id,
            "connector_id": event.connector_id,
            "id_token": event.id_token,
            "token_type": event.token_type,
            # Only a Started event's timestamp and register reading are the start's.
            "started_at": event.timestamp,
            "meter_start_wh": event.energy_wh if started else None,
            "reservation_id": event.reservation_id,
            "remote_start_id": event.remote_start_id,
            "charging_state": event.charging_state,
            "last_seq_no": event.seq_no,
            # Events before the first one seen are missing, unless it is the Started one.
            "seq_gaps": sequence_numbers.format_gaps(
                sequence_numbers.first_gaps(event.seq_no, started=started)
            ),
            "start_trigger_reason": event.trigger_reason if started else None,
            "trigger_reason": event.trigger_reason,
            "offline": event.offline,
            "updated_at": now,
        },
    )


def _claim_early_arrivals(
    connection: Connection, station_id: str, transaction_ref: str, transaction_id: int, now: datetime
) -> bool:
    # OCPP 2.0.1 messages may overtake the start (the station chose the id before sending it):
    # claim samples and a stop that arrived first. True when such a stop ended the transaction.
    meter_rows.link(connection, station_id, transaction_ref, transaction_id)
    early_stop = orphan_rows.first_unresolved(connection, station_id, transaction_ref)
    if early_stop is None:
        return False
    transaction_rows.end(
        connection,
        transaction_id,
        stopped_at=early_stop.stopped_at,
        meter_stop_wh=early_stop.meter_stop_wh,
        stop_reason=early_stop.reason,
        stop_id_token=early_stop.id_token,
        now=now,
    )
    orphan_rows.resolve(connection, station_id, transaction_ref, transaction_id)
    return True


def _insert_samples(
    connection: Connection,
    station_id: str,
    samples: Sequence[MeterSample],
    transaction_id: int | None,
    transaction_ref: str | None,
    *,
    evse_id: int | None,
    connector_id: int | None,
) -> None:
    rows = sample_rows(
        samples,
        station_id=station_id,
        evse_id=evse_id,
        connector_id=connector_id,
        transaction_id=transaction_id,
        transaction_ref=transaction_ref,
    )
    meter_rows.insert_many(connection, rows)


def begin_reading_wh(event: TransactionEvent) -> float | None:
    """The energy register of the event's Transaction.Begin samples, in Wh: a station that starts
    a transaction before it knows the EVSE sends them with the event that names it (J02.FR.19)."""
    begin = [value for sample in event.samples for value in sample.values if value.context == BEGIN]
    return energy_register_wh(begin)


def _first_known(given: int | None, stored: int | None) -> int | None:
    return given if given is not None else stored


def _ref_of(transaction_id: int | None, transaction_ref: str | None) -> str | None:
    if transaction_ref is not None:
        return transaction_ref
    return str(transaction_id) if transaction_id is not None else None


def _fingerprint(*parts: object) -> str:
    return hashlib.sha256("\x1f".join(map(str, parts)).encode()).hexdigest()


def _utc(moment: datetime) -> str:
    return (moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)).astimezone(UTC).isoformat()


def _start_key(req: TransactionStart) -> str:
    return _fingerprint(
        "start",
        req.station_id,
        req.evse_id,
        req.connector_id,
        req.id_token,
        _utc(req.timestamp),
        float(req.meter_start_wh),
    )


def _stop_key(req: TransactionStop, ref: str) -> str:
    meter_stop = None if req.meter_stop_wh is None else float(req.meter_stop_wh)
    return _fingerprint("stop", req.station_id, ref, _utc(req.timestamp), meter_stop)


def _stop_payload(req: TransactionStop) -> dict[str, Any]:
    return {
        "transaction_id": req.transaction_id,
        "transaction_ref": req.transaction_ref,
        "meter_stop_wh": req.meter_stop_wh,
        "timestamp": req.timestamp.isoformat(),
        "reason": req.reason,
        "id_token": req.id_token,
        "samples": samples_json(req.samples),
    }
