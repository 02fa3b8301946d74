"""Rows of ``connectors`` and the append-only ``connector_status_history``."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, func, select
from sqlalchemy.engine import Connection, Row

from opencsms.store.driver_statements import DriverStatement
from opencsms.store.schema import connector_status_history, connectors
from opencsms.store.upsert import upsert_driver_statement

_KEY = ("station_id", "evse_id", "connector_id")
_CHANGE = ("status", "error_code", "info", "vendor_error_code")

_OF_STATION = (
    select(connectors)
    .where(connectors.c.station_id == bindparam("station_id"))
    .order_by(connectors.c.evse_id, connectors.c.connector_id)
)
_history = connector_status_history
_HISTORY_COLUMNS = ("station_id", "evse_id", "connector_id", *_CHANGE, "timestamp", "received_at")
_INSERT_HISTORY = DriverStatement(_history.insert(), columns=_HISTORY_COLUMNS)
_HISTORY = (
    select(_history)
    .where(
        _history.c.station_id == bindparam("station_id"), _history.c.connector_id == bindparam("connector_id")
    )
    .order_by(_history.c.id.desc())
    .limit(bindparam("limit"))
    .offset(bindparam("offset"))
)
_HISTORY_OF_EVSE = (
    select(_history)
    .where(
        _history.c.station_id == bindparam("station_id"),
        _history.c.connector_id == bindparam("connector_id"),
        _history.c.evse_id == bindparam("evse_id"),
    )
    .order_by(_history.c.id.desc())
    .limit(bindparam("limit"))
    .offset(bindparam("offset"))
)


def record_status(
    connection: Connection,
    station_id: str,
    evse_id: int,
    connector_id: int,
    *,
    status: str,
    error_code: str | None,
    info: str | None,
    vendor_error_code: str | None,
    timestamp: datetime,
    now: datetime,
) -> None:
    """Set the connector's current status and append it to the history.

    The station row must exist (foreign key).
    """
    values = {
        "station_id": station_id,
        "evse_id": evse_id,
        "connector_id": connector_id,
        "status": status,
        "error_code": error_code,
        "info": info,
        "vendor_error_code": vendor_error_code,
    }
    current = upsert_driver_statement(
        connection, connectors, keys=_KEY, update=(*_CHANGE, "updated_at"), columns=(*values, "updated_at")
    )
    current.execute(connection, {**values, "updated_at": timestamp})
    _INSERT_HISTORY.execute(connection, {**values, "timestamp": timestamp, "received_at": now})


def list_for_station(connection: Connection, station_id: str) -> Sequence[Row[Any]]:
    """The station's connectors, by EVSE then connector."""
    return connection.execute(_OF_STATION, {"station_id": station_id}).all()


def history(
    connection: Connection,
    station_id: str,
    connector_id: int,
    *,
    evse_id: int | None,
    limit: int,
    offset: int = 0,
) -> Sequence[Row[Any]]:
    """The connector's last ``limit`` status changes after ``offset``, newest first (any EVSE
    unless given)."""
    params: dict[str, Any] = {
        "station_id": station_id,
        "connector_id": connector_id,
        "limit": limit,
        "offset": offset,
    }
    if evse_id is None:
        return connection.execute(_HISTORY, params).all()
    return connection.execute(_HISTORY_OF_EVSE, {**params, "evse_id": evse_id}).all()


def count_history(connection: Connection, station_id: str, connector_id: int, *, evse_id: int | None) -> int:
    query = (
        select(func.count())
        .select_from(_history)
        .where(_history.c.station_id == station_id, _history.c.connector_id == connector_id)
    )
    if evse_id is not None:
        query = query.where(_history.c.evse_id == evse_id)
    return int(connection.execute(query).scalar_one())
