"""Rows of ``charging_profiles``, ``external_charging_limits`` and ``charging_needs``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.engine import Connection, Row

from opencsms.store.schema_smart_charging import charging_needs, charging_profiles, external_charging_limits
from opencsms.store.upsert import upsert_statement


def put_profile(connection: Connection, values: dict[str, Any]) -> None:
    """Insert or replace the station's profile with this id."""
    statement = upsert_statement(
        connection,
        charging_profiles,
        keys=("station_id", "profile_id"),
        update=("evse_id", "purpose", "stack_level", "transaction_id", "source", "profile", "installed_at"),
    )
    connection.execute(statement, values)


def profiles_of(connection: Connection, station_id: str) -> Sequence[Row[Any]]:
    query = (
        select(charging_profiles)
        .where(charging_profiles.c.station_id == station_id)
        .order_by(charging_profiles.c.evse_id, charging_profiles.c.profile_id)
    )
    return connection.execute(query).all()


def delete_profiles(
    connection: Connection,
    station_id: str,
    *,
    profile_id: int | None = None,
    evse_id: int | None = None,
    purpose: str | None = None,
    stack_level: int | None = None,
    source: str | None = None,
) -> int:
    """Delete the station's profiles matching every given criterion; returns how many."""
    statement = delete(charging_profiles).where(charging_profiles.c.station_id == station_id)
    for column, value in (
        (charging_profiles.c.profile_id, profile_id),
        (charging_profiles.c.evse_id, evse_id),
        (charging_profiles.c.purpose, purpose),
        (charging_profiles.c.stack_level, stack_level),
        (charging_profiles.c.source, source),
    ):
        if value is not None:
            statement = statement.where(column == value)
    return connection.execute(statement).rowcount


def put_external_limit(connection: Connection, values: dict[str, Any]) -> None:
    statement = upsert_statement(
        connection,
        external_charging_limits,
        keys=("station_id", "evse_id", "source"),
        update=("is_grid_critical", "schedules", "updated_at"),
    )
    connection.execute(statement, values)


def delete_external_limit(connection: Connection, station_id: str, source: str, evse_id: int | None) -> int:
    statement = delete(external_charging_limits).where(
        external_charging_limits.c.station_id == station_id, external_charging_limits.c.source == source
    )
    if evse_id is not None:
        statement = statement.where(external_charging_limits.c.evse_id == evse_id)
    return connection.execute(statement).rowcount


def external_limits_of(connection: Connection, station_id: str) -> Sequence[Row[Any]]:
    query = select(external_charging_limits).where(external_charging_limits.c.station_id == station_id)
    return connection.execute(query).all()


def put_needs(connection: Connection, values: dict[str, Any], columns: Sequence[str]) -> None:
    """Insert or update the EVSE's charging needs; only ``columns`` change on an existing row."""
    statement = upsert_statement(
        connection, charging_needs, keys=("station_id", "evse_id"), update=(*columns, "updated_at")
    )
    connection.execute(statement, values)


def needs_of(connection: Connection, station_id: str | None = None) -> Sequence[Row[Any]]:
    query = select(charging_needs)
    if station_id is not None:
        query = query.where(charging_needs.c.station_id == station_id)
    return connection.execute(query).all()


def delete_needs(connection: Connection, station_id: str, evse_id: int) -> int:
    statement = delete(charging_needs).where(
        charging_needs.c.station_id == station_id, charging_needs.c.evse_id == evse_id
    )
    return connection.execute(statement).rowcount
