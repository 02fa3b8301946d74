"""Rows of ``reservations`` and ``local_list_versions``: functions of a ``Connection`` for store jobs."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.engine import Connection, Row

from opencsms.store.schema_reservations import local_list_versions, reservations
from opencsms.store.upsert import upsert_statement

_r = reservations.c


def next_id(connection: Connection) -> int:
    return int(connection.execute(select(func.coalesce(func.max(_r.id), 0))).scalar_one()) + 1


def add(connection: Connection, values: dict[str, Any]) -> int:
    """Insert a reservation with a fresh id; returns it."""
    reservation_id = next_id(connection)
    connection.execute(insert(reservations), {**values, "id": reservation_id})
    return reservation_id


def get(connection: Connection, reservation_id: int) -> Row[Any] | None:
    return connection.execute(select(reservations).where(_r.id == reservation_id)).first()


def set_status(
    connection: Connection,
    reservation_id: int,
    status: str,
    now: datetime,
    *,
    station_id: str | None = None,
    transaction_id: int | None = None,
) -> int:
    """Change a reservation's status (only the station's own when ``station_id`` is given)."""
    statement = update(reservations).where(_r.id == reservation_id)
    if station_id is not None:
        statement = statement.where(_r.station_id == station_id)
    values: dict[str, Any] = {"status": status, "updated_at": now}
    if transaction_id is not None:
        values["transaction_id"] = transaction_id
    return connection.execute(statement.values(**values)).rowcount


def of_station(
    connection: Connection, station_id: str | None, limit: int, offset: int = 0
) -> Sequence[Row[Any]]:
    query = select(reservations).order_by(_r.id.desc()).limit(limit).offset(offset)
    if station_id is not None:
        query = query.where(_r.station_id == station_id)
    return connection.execute(query).all()


def count(connection: Connection, station_id: str | None) -> int:
    query = select(func.count()).select_from(reservations)
    if station_id is not None:
        query = query.where(_r.station_id == station_id)
    return int(connection.execute(query).scalar_one())


def local_list_version(connection: Connection, station_id: str) -> int | None:
    return connection.execute(
        select(local_list_versions.c.version).where(local_list_versions.c.station_id == station_id)
    ).scalar_one_or_none()


def set_local_list_version(connection: Connection, station_id: str, version: int, now: datetime) -> None:
    statement = upsert_statement(
        connection, local_list_versions, keys=("station_id",), update=("version", "updated_at")
    )
    connection.execute(statement, {"station_id": station_id, "version": version, "updated_at": now})
