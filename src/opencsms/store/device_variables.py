"""Rows of ``device_variables`` and ``device_reports``: functions of a ``Connection`` for store jobs."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.engine import Connection, Row

from opencsms.store.schema_device_model import device_reports, device_variables
from opencsms.store.upsert import upsert_statement

KEY_COLUMNS = (
    "station_id",
    "component",
    "component_instance",
    "evse_id",
    "connector_id",
    "variable",
    "variable_instance",
    "attribute_type",
)
#: What a report says about an attribute besides its value.
DESCRIPTION_COLUMNS = (
    "mutability",
    "persistent",
    "constant",
    "unit",
    "data_type",
    "min_limit",
    "max_limit",
    "values_list",
)
_REPORTED = ("value", *DESCRIPTION_COLUMNS, "source", "updated_at")
_ANSWERED = ("value", "source", "status", "updated_at")
_STATUS_ONLY = ("status", "updated_at")
ALL_COLUMNS = (*KEY_COLUMNS, *_REPORTED, "status")

_OF_STATION = (
    select(device_variables)
    .where(device_variables.c.station_id == bindparam("station_id"))
    .order_by(
        device_variables.c.component,
        device_variables.c.component_instance,
        device_variables.c.evse_id,
        device_variables.c.connector_id,
        device_variables.c.variable,
        device_variables.c.variable_instance,
        device_variables.c.attribute_type,
    )
)
_REPORT = select(device_reports).where(
    device_reports.c.station_id == bindparam("station_id"),
    device_reports.c.request_id == bindparam("request_id"),
)


def _rows(rows: Sequence[Mapping[str, Any]], source: str, now: datetime) -> list[dict[str, Any]]:
    # executemany needs every row to carry every column.
    return [
        {**{column: row.get(column) for column in ALL_COLUMNS}, "source": source, "updated_at": now}
        for row in rows
    ]


def store_reported(
    connection: Connection, rows: Sequence[Mapping[str, Any]], *, source: str, now: datetime
) -> None:
    """Upsert attributes as a report describes them (value and characteristics); keeps ``status``."""
    if rows:
        statement = upsert_statement(connection, device_variables, keys=KEY_COLUMNS, update=_REPORTED)
        connection.execute(statement, _rows(rows, source, now))


def store_answered(
    connection: Connection, rows: Sequence[Mapping[str, Any]], *, source: str, now: datetime
) -> None:
    """Upsert attribute values a Get/Set answer confirmed, with the answer's status."""
    if rows:
        statement = upsert_statement(connection, device_variables, keys=KEY_COLUMNS, update=_ANSWERED)
        connection.execute(statement, _rows(rows, source, now))


def store_status(
    connection: Connection, rows: Sequence[Mapping[str, Any]], *, source: str, now: datetime
) -> None:
    """Record a Get/Set status without a value; an existing value is kept."""
    if rows:
        statement = upsert_statement(connection, device_variables, keys=KEY_COLUMNS, update=_STATUS_ONLY)
        connection.execute(statement, _rows(rows, source, now))


def list_for_station(connection: Connection, station_id: str) -> Sequence[Row[Any]]:
    """The station's attributes, by component, EVSE, connector, variable and attribute type."""
    return connection.execute(_OF_STATION, {"station_id": station_id}).all()


def get_report(connection: Connection, station_id: str, request_id: int) -> Row[Any] | None:
    """The report's progress row, or None."""
    return connection.execute(_REPORT, {"station_id": station_id, "request_id": request_id}).first()


def save_report(connection: Connection, values: Mapping[str, Any]) -> None:
    """Insert or replace a report's progress row (``values`` has every column)."""
    statement = upsert_statement(
        connection,
        device_reports,
        keys=("station_id", "request_id"),
        update=("seq_nos", "final_seq_no", "items", "updated_at"),
    )
    connection.execute(statement, dict(values))
