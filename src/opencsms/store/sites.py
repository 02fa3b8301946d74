"""Rows of ``sites``, ``circuits``, ``site_stations`` and ``site_prices``."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.engine import Connection, Row

from opencsms.store.schema_smart_charging import circuits, site_prices, site_stations, sites
from opencsms.store.upsert import upsert_statement


def put_site(connection: Connection, values: dict[str, Any]) -> None:
    columns = ("name", "limit_amps", "limit_kw", "limit_schedule", "other_load_kw", "min_current_a",
               "fail_safe_current_a")  # fmt: skip
    connection.execute(upsert_statement(connection, sites, keys=("id",), update=columns), values)


def all_sites(connection: Connection) -> Sequence[Row[Any]]:
    return connection.execute(select(sites).order_by(sites.c.id)).all()


def delete_site(connection: Connection, site_id: str) -> int:
    for table in (circuits, site_stations, site_prices):
        connection.execute(delete(table).where(table.c.site_id == site_id))
    return connection.execute(delete(sites).where(sites.c.id == site_id)).rowcount


def put_circuit(connection: Connection, values: dict[str, Any]) -> None:
    statement = upsert_statement(
        connection, circuits, keys=("id",), update=("site_id", "parent_id", "limit_amps", "limit_kw")
    )
    connection.execute(statement, values)


def all_circuits(connection: Connection) -> Sequence[Row[Any]]:
    return connection.execute(select(circuits).order_by(circuits.c.id)).all()


def delete_circuit(connection: Connection, circuit_id: str) -> int:
    return connection.execute(delete(circuits).where(circuits.c.id == circuit_id)).rowcount


def put_assignment(connection: Connection, values: dict[str, Any]) -> None:
    statement = upsert_statement(
        connection,
        site_stations,
        keys=("station_id",),
        update=("site_id", "circuit_id", "max_current_a", "phases", "priority"),
    )
    connection.execute(statement, values)


def all_assignments(connection: Connection) -> Sequence[Row[Any]]:
    return connection.execute(select(site_stations).order_by(site_stations.c.station_id)).all()


def delete_assignment(connection: Connection, station_id: str) -> int:
    return connection.execute(delete(site_stations).where(site_stations.c.station_id == station_id)).rowcount


def replace_prices(
    connection: Connection, site_id: str, rows: Sequence[dict[str, Any]], since: datetime | None
) -> None:
    """Replace the site's prices from ``since`` on (all of them when None) with ``rows``."""
    statement = delete(site_prices).where(site_prices.c.site_id == site_id)
    if since is not None:
        statement = statement.where(site_prices.c.starts_at >= since)
    connection.execute(statement)
    if rows:
        connection.execute(site_prices.insert(), list(rows))


def prices_of(connection: Connection, site_id: str) -> Sequence[Row[Any]]:
    query = select(site_prices).where(site_prices.c.site_id == site_id).order_by(site_prices.c.starts_at)
    return connection.execute(query).all()
