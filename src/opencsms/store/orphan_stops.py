"""Rows of ``orphan_stops``: stop messages naming a transaction the CSMS does not know."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, select, update
from sqlalchemy.engine import Connection, Row

from opencsms.store.schema import orphan_stops
from opencsms.store.upsert import upsert_statement

_UNRESOLVED = (
    orphan_stops.c.station_id == bindparam("station"),
    orphan_stops.c.transaction_ref == bindparam("ref"),
    orphan_stops.c.resolved_transaction_id.is_(None),
)
_FIRST_UNRESOLVED = select(orphan_stops).where(*_UNRESOLVED).order_by(orphan_stops.c.id).limit(1)
_RESOLVE = update(orphan_stops).where(*_UNRESOLVED).values(resolved_transaction_id=bindparam("tid"))


def record(
    connection: Connection,
    station_id: str,
    transaction_ref: str,
    *,
    stop_key: str,
    stopped_at: datetime,
    meter_stop_wh: float | None,
    reason: str | None,
    id_token: str | None,
    payload: Mapping[str, Any],
    now: datetime,
) -> bool:
    """Record the stop; return False when one with the same ``stop_key`` is already recorded."""
    statement = upsert_statement(connection, orphan_stops, keys=("stop_key",), update=(), returning=("id",))
    values = {
        "station_id": station_id,
        "transaction_ref": transaction_ref,
        "stop_key": stop_key,
        "stopped_at": stopped_at,
        "meter_stop_wh": meter_stop_wh,
        "reason": reason,
        "id_token": id_token,
        "payload": dict(payload),
        "received_at": now,
    }
    return connection.execute(statement, values).first() is not None


def first_unresolved(connection: Connection, station_id: str, transaction_ref: str) -> Row[Any] | None:
    """The earliest stop recorded for this reference and not yet matched to a transaction."""
    return connection.execute(_FIRST_UNRESOLVED, {"station": station_id, "ref": transaction_ref}).first()


def resolve(connection: Connection, station_id: str, transaction_ref: str, transaction_id: int) -> None:
    """Match every unresolved stop of this reference to the transaction that turned up."""
    connection.execute(_RESOLVE, {"station": station_id, "ref": transaction_ref, "tid": transaction_id})
