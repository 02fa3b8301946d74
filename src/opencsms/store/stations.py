"""Rows of ``stations``: functions of a ``Connection`` for use inside store jobs.

Statements are built once at import (values bound at execution) so SQLAlchemy neither
rebuilds nor recompiles them on the hot path.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, func, or_, select, update
from sqlalchemy.engine import Connection, Row

from opencsms.store.schema import stations
from opencsms.store.upsert import upsert_driver_statement, upsert_statement

# The columns a BootNotification may set.
BOOT_COLUMNS = (
    "vendor",
    "model",
    "serial_number",
    "firmware_version",
    "iccid",
    "imsi",
    "meter_type",
    "meter_serial",
    "boot_reason",
)

_BY_ID = select(stations).where(stations.c.id == bindparam("station_id"))
_REGISTRATION = select(stations.c.registration_status).where(stations.c.id == bindparam("station_id"))
_ALL = select(stations).order_by(stations.c.id)
_CASE_TWIN = (
    select(stations.c.id)
    .where(
        func.lower(stations.c.id) == func.lower(bindparam("station_id")),
        stations.c.id != bindparam("station_id"),
    )
    .limit(1)
)
# Only forward: a write behind still in flight must not move back what a disconnect wrote.
_TOUCH = (
    update(stations)
    .where(
        stations.c.id == bindparam("station_id"),
        or_(stations.c.last_seen.is_(None), stations.c.last_seen < bindparam("seen")),
    )
    .values(last_seen=bindparam("seen"))
)


def ensure(connection: Connection, station_id: str, *, registration_status: str, now: datetime) -> None:
    """Insert a bare row for ``station_id`` unless it exists (rows naming a station need one)."""
    statement = upsert_driver_statement(
        connection, stations, keys=("id",), update=(), columns=("id", "registration_status", "created_at")
    )
    statement.execute(
        connection, {"id": station_id, "registration_status": registration_status, "created_at": now}
    )


def record_boot(
    connection: Connection,
    station_id: str,
    boot: Mapping[str, str | None],
    *,
    registration_status: str,
    now: datetime,
) -> str:
    """Store a boot (``boot`` maps :data:`BOOT_COLUMNS`); return the registration status.

    ``registration_status`` applies only to a station seen for the first time; a known station
    keeps the one it has.
    """
    statement = upsert_statement(
        connection,
        stations,
        keys=("id",),
        update=(*BOOT_COLUMNS, "last_boot", "last_seen"),
        returning=("registration_status",),
    )
    values: dict[str, Any] = {column: boot.get(column) for column in BOOT_COLUMNS}
    values |= {"id": station_id, "registration_status": registration_status, "created_at": now}
    values |= {"last_boot": now, "last_seen": now}
    status: str = connection.execute(statement, values).scalar_one()
    return status


def set_registration(
    connection: Connection, station_id: str, registration_status: str, now: datetime
) -> None:
    """Set the registration status, creating the station row when it is new."""
    statement = upsert_statement(connection, stations, keys=("id",), update=("registration_status",))
    connection.execute(
        statement, {"id": station_id, "registration_status": registration_status, "created_at": now}
    )


def set_connected(
    connection: Connection,
    station_id: str,
    *,
    ocpp_version: str,
    registration_status: str,
    now: datetime,
    node: str | None = None,
) -> None:
    """Record a connect with its version (on ``node`` in a cluster); a station first seen gets
    ``registration_status``."""
    changes: dict[str, Any] = {"connected": True, "last_seen": now, "ocpp_version": ocpp_version}
    changes["connected_node"] = node
    statement = upsert_statement(connection, stations, keys=("id",), update=tuple(changes))
    values = {"id": station_id, "registration_status": registration_status, "created_at": now, **changes}
    connection.execute(statement, values)


def set_disconnected(
    connection: Connection, station_id: str, *, now: datetime, node: str | None = None
) -> bool:
    """Record a disconnect seen on ``node``, unless another node holds the station by now (it
    reconnected there first); returns whether it was recorded."""
    holder = stations.c.connected_node
    statement = (
        update(stations)
        .where(stations.c.id == station_id, or_(holder.is_(None), holder == node))
        .values(connected=False, connected_node=None, last_seen=now)
    )
    return bool(connection.execute(statement).rowcount)


def nodes_holding(connection: Connection, other_than: str) -> list[str]:
    """The nodes that, by the stations table, hold connections (``other_than`` left out)."""
    holder = stations.c.connected_node
    statement = (
        select(holder).distinct().where(stations.c.connected, holder.is_not(None), holder != other_than)
    )
    return [row[0] for row in connection.execute(statement)]


def forget_node(connection: Connection, node: str) -> list[str]:
    """Mark disconnected every station held by ``node`` (gone); returns their ids."""
    held = (stations.c.connected_node == node) & stations.c.connected
    ids = [row[0] for row in connection.execute(select(stations.c.id).where(held))]
    if ids:
        connection.execute(update(stations).where(held).values(connected=False, connected_node=None))
    return ids


def forget_connections(connection: Connection) -> int:
    """Mark every station disconnected; returns how many were marked connected."""
    statement = update(stations).where(stations.c.connected).values(connected=False, connected_node=None)
    return int(connection.execute(statement).rowcount)


def touch(connection: Connection, last_seen: Mapping[str, datetime]) -> None:
    """Move ``last_seen`` of many stations forward in one executemany; unknown ids are skipped."""
    if last_seen:
        connection.execute(_TOUCH, [{"station_id": key, "seen": seen} for key, seen in last_seen.items()])


def get(connection: Connection, station_id: str) -> Row[Any] | None:
    """The station's row, or None."""
    return connection.execute(_BY_ID, {"station_id": station_id}).first()


def registration_status(connection: Connection, station_id: str) -> str | None:
    """The station's registration status, or None when it is unknown."""
    status: str | None = connection.execute(_REGISTRATION, {"station_id": station_id}).scalar_one_or_none()
    return status


def case_twin(connection: Connection, station_id: str) -> str | None:
    """A known station whose id differs from ``station_id`` only by letter case, or None.

    A scan (no index on the lowered id): asked only for an id that is not known itself."""
    twin: str | None = connection.execute(_CASE_TWIN, {"station_id": station_id}).scalar()
    return twin


def list_all(connection: Connection) -> Sequence[Row[Any]]:
    """Every station's row, by id."""
    return connection.execute(_ALL).all()
