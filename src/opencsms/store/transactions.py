"""Rows of ``transactions``."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Select, bindparam, func, or_, select, type_coerce, update
from sqlalchemy.engine import Connection, Row
from sqlalchemy.types import NullType

from opencsms.store.driver_statements import DriverStatement, NamedRow
from opencsms.store.schema import transactions

ACTIVE = "active"
ENDED = "ended"
#: ``ended_by``: the station's stop, or the CSMS's inference (ADR 0017).
BY_STATION = "station"
INFERRED = "inferred"

_tx = transactions
_INSERT = _tx.insert().returning(_tx.c.id)
_SET_REF = DriverStatement(
    update(_tx).where(_tx.c.id == bindparam("tid")).values(transaction_ref=bindparam("ref"))
)
# A station's stop ends an active transaction, or replaces an end the CSMS inferred.
_END = DriverStatement(
    update(_tx)
    .where(_tx.c.id == bindparam("tid"), or_(_tx.c.status == ACTIVE, _tx.c.ended_by == INFERRED))
    .values(
        status=ENDED,
        ended_by=BY_STATION,
        inferred_cause=None,
        stopped_at=bindparam("at"),
        meter_stop_wh=bindparam("meter_stop"),
        stop_reason=bindparam("reason"),
        stop_id_token=bindparam("token"),
        updated_at=bindparam("now"),
    )
)
_END_INFERRED = (
    update(_tx)
    .where(_tx.c.id == bindparam("tid"), _tx.c.status == ACTIVE)
    .values(
        status=ENDED,
        ended_by=INFERRED,
        inferred_cause=bindparam("cause"),
        stopped_at=bindparam("at"),
        meter_stop_wh=bindparam("meter_stop"),
        updated_at=bindparam("now"),
    )
)
# What an inference needs of a running transaction.
_OPEN_COLUMNS = (
    _tx.c.id,
    _tx.c.transaction_ref,
    _tx.c.evse_id,
    _tx.c.connector_id,
    _tx.c.started_at,
    _tx.c.meter_start_wh,
)
_OPEN_OF_STATION: Select[Any] = select(*_OPEN_COLUMNS).where(
    _tx.c.station_id == bindparam("station_id"), _tx.c.status == ACTIVE
)
# What an OCPP 2.0.1 TransactionEvent may add to a running transaction: the highest seqNo and
# the gaps below it, the latest charging state and trigger reason; a token, EVSE, reservation or
# meter start (a Transaction.Begin reading sent once the EVSE is known, J02) only where none is
# known yet.
_PROGRESS = DriverStatement(
    update(_tx)
    .where(_tx.c.id == bindparam("tid"))
    .values(
        last_seq_no=bindparam("seq_no"),
        seq_gaps=bindparam("gaps"),
        trigger_reason=func.coalesce(bindparam("trigger"), _tx.c.trigger_reason),
        charging_state=func.coalesce(bindparam("state"), _tx.c.charging_state),
        id_token=func.coalesce(_tx.c.id_token, bindparam("token")),
        token_type=func.coalesce(_tx.c.token_type, bindparam("type")),
        evse_id=func.coalesce(_tx.c.evse_id, bindparam("evse")),
        connector_id=func.coalesce(_tx.c.connector_id, bindparam("connector")),
        remote_start_id=func.coalesce(_tx.c.remote_start_id, bindparam("remote_start")),
        reservation_id=func.coalesce(_tx.c.reservation_id, bindparam("reservation")),
        meter_start_wh=func.coalesce(_tx.c.meter_start_wh, bindparam("meter_start")),
        offline=or_(_tx.c.offline, bindparam("was_offline")),
        updated_at=bindparam("now"),
    )
)
# A Started event that arrives after later events of its transaction (E15 replay out of order).
_LATE_START = (
    update(_tx)
    .where(_tx.c.id == bindparam("tid"))
    .values(
        started_at=bindparam("at"),
        meter_start_wh=func.coalesce(bindparam("meter_start"), _tx.c.meter_start_wh),
        start_trigger_reason=bindparam("trigger"),
    )
)
_BY_ID = select(_tx).where(_tx.c.id == bindparam("tid"))
_OF_STATION_BY_ID = select(_tx).where(
    _tx.c.station_id == bindparam("station_id"), _tx.c.id == bindparam("tid")
)
_OF_STATION_BY_REF = select(_tx).where(
    _tx.c.station_id == bindparam("station_id"), _tx.c.transaction_ref == bindparam("ref")
)
# What the write path needs of a transaction it is given (all plain numbers and text): the
# events it publishes name the EVSE, connector and start reading the transaction has, and a
# token missing from a 2.0.1 remote start is looked up once, when its remoteStartId first shows.
_KEY_COLUMNS = (
    _tx.c.id,
    _tx.c.transaction_ref,
    _tx.c.evse_id,
    _tx.c.connector_id,
    _tx.c.last_seq_no,
    _tx.c.seq_gaps,
    _tx.c.ended_by,
    # The drivers give a float as is; SQLAlchemy's Float processor would need the cursor's types.
    type_coerce(_tx.c.meter_start_wh, NullType()).label("meter_start_wh"),
    _tx.c.id_token,
    _tx.c.remote_start_id,
)
_KEY_BY_ID = DriverStatement(
    select(*_KEY_COLUMNS).where(_tx.c.station_id == bindparam("station_id"), _tx.c.id == bindparam("tid"))
)
_KEY_BY_REF = DriverStatement(
    select(*_KEY_COLUMNS).where(
        _tx.c.station_id == bindparam("station_id"), _tx.c.transaction_ref == bindparam("ref")
    )
)
_KEY_BY_START_KEY = DriverStatement(select(*_KEY_COLUMNS).where(_tx.c.start_key == bindparam("key")))


def insert(connection: Connection, values: Mapping[str, Any]) -> int:
    """Insert a transaction row (``status`` defaults to active); return its id.

    Raises:
        sqlalchemy.exc.IntegrityError: the ``(station_id, transaction_ref)`` or ``start_key``
            is taken (by another node: callers look these up first) or the station row is missing.
    """
    transaction_id: int = connection.execute(_INSERT, {"status": ACTIVE, **values}).scalar_one()
    return transaction_id


def set_ref(connection: Connection, transaction_id: int, transaction_ref: str) -> None:
    """Set the station-facing reference (OCPP 1.6 uses the id, known only after the insert)."""
    _SET_REF.execute(connection, {"tid": transaction_id, "ref": transaction_ref})


def end(
    connection: Connection,
    transaction_id: int,
    *,
    stopped_at: datetime,
    meter_stop_wh: float | None,
    stop_reason: str | None,
    stop_id_token: str | None,
    now: datetime,
) -> bool:
    """Mark an active transaction ended by the station's stop, or replace an inferred end with it;
    return False when the station had ended it already."""
    params = {
        "tid": transaction_id,
        "at": stopped_at,
        "meter_stop": meter_stop_wh,
        "reason": stop_reason,
        "token": stop_id_token,
        "now": now,
    }
    return _END.execute(connection, params).rowcount == 1


def end_inferred(
    connection: Connection,
    transaction_id: int,
    *,
    cause: str,
    stopped_at: datetime,
    meter_stop_wh: float | None,
    now: datetime,
) -> bool:
    """Mark an active transaction ended by inference (``cause``); False when it was not active."""
    params = {"tid": transaction_id, "cause": cause, "at": stopped_at, "meter_stop": meter_stop_wh}
    return connection.execute(_END_INFERRED, params | {"now": now}).rowcount == 1


def open_of_station(connection: Connection, station_id: str) -> Sequence[Row[Any]]:
    """The station's active transactions (``id``, ``transaction_ref``, ``evse_id``,
    ``connector_id``, ``started_at``, ``meter_start_wh``), through the (station, status) index."""
    return connection.execute(_OPEN_OF_STATION, {"station_id": station_id}).all()


def open_untouched_since(connection: Connection, station_id: str, moment: datetime) -> Sequence[Row[Any]]:
    """As :func:`open_of_station`, those not written since ``moment`` (CSMS time): started, and
    for OCPP 2.0.1 last reported on, before it."""
    return connection.execute(
        _OPEN_OF_STATION.where(_tx.c.updated_at < bindparam("moment")),
        {"station_id": station_id, "moment": moment},
    ).all()


def record_progress(
    connection: Connection,
    transaction_id: int,
    *,
    seq_no: int,
    seq_gaps: str | None,
    trigger_reason: str | None,
    charging_state: str | None,
    id_token: str | None,
    token_type: str | None,
    evse_id: int | None,
    connector_id: int | None,
    remote_start_id: int | None,
    reservation_id: int | None,
    offline: bool,
    now: datetime,
    meter_start_wh: float | None = None,
) -> None:
    """Apply what an OCPP 2.0.1 TransactionEvent tells about a known transaction.

    ``seq_no`` (the highest seen) and ``seq_gaps`` replace the stored ones, as do a given charging
    state and trigger reason; token, EVSE, connector, remote start, reservation and meter start
    fill only what is still unknown; ``offline`` sticks once set.
    """
    params = {
        "tid": transaction_id,
        "seq_no": seq_no,
        "gaps": seq_gaps,
        "trigger": trigger_reason,
        "state": charging_state,
        "token": id_token,
        "type": token_type,
        "evse": evse_id,
        "connector": connector_id,
        "remote_start": remote_start_id,
        "reservation": reservation_id,
        "meter_start": meter_start_wh,
        "was_offline": offline,
        "now": now,
    }
    _PROGRESS.execute(connection, params)


def fill_token(connection: Connection, transaction_id: int, id_token: str, token_type: str | None) -> None:
    """Give the transaction this token unless it has one."""
    statement = (
        update(_tx)
        .where(_tx.c.id == transaction_id, _tx.c.id_token.is_(None))
        .values(id_token=id_token, token_type=token_type)
    )
    connection.execute(statement)


def record_late_start(
    connection: Connection,
    transaction_id: int,
    *,
    started_at: datetime,
    meter_start_wh: float | None,
    trigger_reason: str,
) -> None:
    """Set the start of a transaction whose Started event came after later events."""
    params = {
        "tid": transaction_id,
        "at": started_at,
        "meter_start": meter_start_wh,
        "trigger": trigger_reason,
    }
    connection.execute(_LATE_START, params)


def get(connection: Connection, transaction_id: int) -> Row[Any] | None:
    """The transaction's row, or None."""
    return connection.execute(_BY_ID, {"tid": transaction_id}).first()


def find(
    connection: Connection,
    station_id: str,
    *,
    transaction_id: int | None = None,
    transaction_ref: str | None = None,
) -> Row[Any] | None:
    """The station's transaction with this id (preferred) or reference, or None.

    A transaction of another station is not found: a station can only address its own.
    """
    if transaction_id is not None:
        return connection.execute(
            _OF_STATION_BY_ID, {"station_id": station_id, "tid": transaction_id}
        ).first()
    if transaction_ref is not None:
        return connection.execute(
            _OF_STATION_BY_REF, {"station_id": station_id, "ref": transaction_ref}
        ).first()
    return None


def owner_of(connection: Connection, transaction_id: int) -> str | None:
    """The station whose transaction has this id, or None (no such transaction)."""
    owner: str | None = connection.execute(
        select(_tx.c.station_id).where(_tx.c.id == transaction_id)
    ).scalar_one_or_none()
    return owner


def find_key(
    connection: Connection,
    station_id: str,
    *,
    transaction_id: int | None = None,
    transaction_ref: str | None = None,
) -> NamedRow | None:
    """Like :func:`find`, but only ``id``, ``transaction_ref``, ``evse_id``, ``connector_id``,
    ``last_seq_no``, ``seq_gaps``, ``ended_by``, ``meter_start_wh``, ``id_token`` and
    ``remote_start_id``: what store jobs need, read at a fraction of the cost."""
    if transaction_id is not None:
        return _KEY_BY_ID.execute(connection, {"station_id": station_id, "tid": transaction_id}).first_named()
    if transaction_ref is not None:
        return _KEY_BY_REF.execute(
            connection, {"station_id": station_id, "ref": transaction_ref}
        ).first_named()
    return None


def find_by_start_key(connection: Connection, start_key: str) -> NamedRow | None:
    """The transaction an identical OCPP 1.6 StartTransaction created (as :func:`find_key`), or None."""
    return _KEY_BY_START_KEY.execute(connection, {"key": start_key}).first_named()


def running_without_start(connection: Connection) -> Sequence[Row[Any]]:
    """``id`` and ``station_id`` of the active transactions that have no start reading."""
    query: Select[Any] = select(_tx.c.id, _tx.c.station_id)
    return connection.execute(query.where(_tx.c.status == ACTIVE, _tx.c.meter_start_wh.is_(None))).all()


def list_recent(
    connection: Connection, *, station_id: str | None, active: bool | None, limit: int
) -> Sequence[Row[Any]]:
    """Up to ``limit`` transactions, newest first, optionally of one station / by activity."""
    query = select(_tx)
    if station_id is not None:
        query = query.where(_tx.c.station_id == station_id)
    if active is not None:
        query = query.where(_tx.c.status == (ACTIVE if active else ENDED))
    return connection.execute(query.order_by(_tx.c.id.desc()).limit(limit)).all()
