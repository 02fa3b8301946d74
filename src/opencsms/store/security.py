"""Rows of the security tables: functions of a ``Connection`` for use inside store jobs."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, case, delete, func, insert, select, update
from sqlalchemy.engine import Connection, Row

from opencsms.store.schema_security import certificates, login_failures, security_events, station_credentials
from opencsms.store.upsert import INSERTS, upsert_statement

_CREDENTIALS = select(station_credentials).where(station_credentials.c.station_id == bindparam("station_id"))


def credentials(connection: Connection, station_id: str) -> Row[Any] | None:
    return connection.execute(_CREDENTIALS, {"station_id": station_id}).first()


def all_credentials(connection: Connection) -> Sequence[Row[Any]]:
    return connection.execute(select(station_credentials).order_by(station_credentials.c.station_id)).all()


def put_credentials(
    connection: Connection,
    station_id: str,
    *,
    security_profile: int,
    password_hash: str | None,
    pending_password_hash: str | None,
    now: datetime,
) -> None:
    statement = upsert_statement(
        connection,
        station_credentials,
        keys=("station_id",),
        update=("security_profile", "password_hash", "pending_password_hash", "updated_at"),
    )
    connection.execute(
        statement,
        {
            "station_id": station_id,
            "security_profile": security_profile,
            "password_hash": password_hash,
            "pending_password_hash": pending_password_hash,
            "updated_at": now,
        },
    )


def change_credentials(connection: Connection, station_id: str, values: Mapping[str, Any]) -> int:
    """Update some columns of an existing row; returns the number of rows changed (0 or 1)."""
    statement = (
        update(station_credentials).where(station_credentials.c.station_id == station_id).values(**values)
    )
    return connection.execute(statement).rowcount


def delete_credentials(connection: Connection, station_id: str) -> int:
    statement = delete(station_credentials).where(station_credentials.c.station_id == station_id)
    return connection.execute(statement).rowcount


def add_events(connection: Connection, events: Sequence[Mapping[str, Any]]) -> None:
    if events:
        connection.execute(insert(security_events), list(events))


def events(
    connection: Connection,
    *,
    station_id: str | None = None,
    source: str | None = None,
    event_type: str | None = None,
    before_id: int | None = None,
    limit: int = 100,
    offset: int = 0,
) -> Sequence[Row[Any]]:
    """Newest first."""
    query = select(security_events).order_by(security_events.c.id.desc()).limit(limit).offset(offset)
    query = query.where(*_event_filters(station_id, source, event_type, before_id))
    return connection.execute(query).all()


def count_events(
    connection: Connection,
    *,
    station_id: str | None = None,
    source: str | None = None,
    event_type: str | None = None,
) -> int:
    query = select(func.count()).select_from(security_events)
    query = query.where(*_event_filters(station_id, source, event_type, None))
    return int(connection.execute(query).scalar_one())


def _event_filters(
    station_id: str | None, source: str | None, event_type: str | None, before_id: int | None
) -> list[Any]:
    filters: list[Any] = []
    if station_id is not None:
        filters.append(security_events.c.station_id == station_id)
    if source is not None:
        filters.append(security_events.c.source == source)
    if event_type is not None:
        filters.append(security_events.c.event_type == event_type)
    if before_id is not None:
        filters.append(security_events.c.id < before_id)
    return filters


def event_counts(connection: Connection) -> dict[tuple[str, str], int]:
    """(source, event type) -> how many are stored."""
    query = select(security_events.c.source, security_events.c.event_type, func.count()).group_by(
        security_events.c.source, security_events.c.event_type
    )
    return {(row[0], row[1]): int(row[2]) for row in connection.execute(query)}


def add_certificate(connection: Connection, values: Mapping[str, Any]) -> int:
    result = connection.execute(insert(certificates).returning(certificates.c.id), dict(values))
    return int(result.scalar_one())


def station_certificates(connection: Connection, station_id: str | None) -> Sequence[Row[Any]]:
    query = select(certificates).order_by(certificates.c.id)
    if station_id is not None:
        query = query.where(certificates.c.station_id == station_id)
    return connection.execute(query).all()


def expiring_certificates(connection: Connection, before: datetime) -> Sequence[Row[Any]]:
    """The newest certificate of each station and type, when it ends before ``before``."""
    newest = (
        select(func.max(certificates.c.id))
        .where(certificates.c.station_id.is_not(None))
        .group_by(certificates.c.station_id, certificates.c.certificate_type)
    )
    query = (
        select(certificates)
        .where(certificates.c.id.in_(newest), certificates.c.not_after < before)
        .order_by(certificates.c.not_after)
    )
    return connection.execute(query).all()


def count_login_failures(
    connection: Connection, keys: Sequence[str], now: datetime, window_start_after: datetime
) -> list[int]:
    """Add one failure to each key; returns each key's count in its current window (a window that
    began at or before ``window_start_after`` starts over at this failure)."""
    statement: Any = INSERTS[connection.dialect.name](login_failures)
    expired = login_failures.c.window_start <= window_start_after
    statement = statement.on_conflict_do_update(
        index_elements=["key"],
        set_={
            "failures": case((expired, 1), else_=login_failures.c.failures + 1),
            "window_start": case(
                (expired, statement.excluded.window_start), else_=login_failures.c.window_start
            ),
        },
    ).returning(login_failures.c.failures)
    return [
        connection.execute(statement, {"key": key, "failures": 1, "window_start": now}).scalar_one()
        for key in keys
    ]


def forget_login_failures(connection: Connection, window_start_before: datetime) -> int:
    """Delete counts whose window has ended; returns how many."""
    statement = delete(login_failures).where(login_failures.c.window_start < window_start_before)
    return connection.execute(statement).rowcount
