"""Rows of the billing tables: tariffs, tariff versions and assignments, running costs, CDRs."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.engine import Connection, Row

from opencsms.store.schema_billing import (
    cdrs,
    tariff_assignments,
    tariff_versions,
    tariffs,
    transaction_costs,
)
from opencsms.store.upsert import upsert_statement


def tariff(connection: Connection, tariff_id: str) -> Row[Any] | None:
    return connection.execute(select(tariffs).where(tariffs.c.id == tariff_id)).first()


def add_tariff_version(
    connection: Connection, tariff_id: str, body: str, time_zone: str, now: datetime
) -> int:
    """Store ``body`` as the tariff's next version (creating the tariff, or reviving a deleted
    one); the new version number."""
    current = tariff(connection, tariff_id)
    version = 1 if current is None else current.current_version + 1
    connection.execute(
        tariff_versions.insert(),
        {"tariff_id": tariff_id, "version": version, "body": body, "time_zone": time_zone, "created_at": now},
    )
    if current is None:
        connection.execute(
            tariffs.insert(),
            {"id": tariff_id, "current_version": version, "created_at": now, "updated_at": now},
        )
    else:
        connection.execute(
            update(tariffs)
            .where(tariffs.c.id == tariff_id)
            .values(current_version=version, updated_at=now, deleted_at=None)
        )
    return version


def tariff_version(connection: Connection, tariff_id: str, version: int) -> Row[Any] | None:
    query = select(tariff_versions).where(
        tariff_versions.c.tariff_id == tariff_id, tariff_versions.c.version == version
    )
    return connection.execute(query).first()


def tariff_version_at(connection: Connection, tariff_id: str, moment: datetime) -> Row[Any] | None:
    """The version in force at ``moment``: the last one created at or before it."""
    query = (
        select(tariff_versions)
        .where(tariff_versions.c.tariff_id == tariff_id, tariff_versions.c.created_at <= moment)
        .order_by(tariff_versions.c.version.desc())
        .limit(1)
    )
    return connection.execute(query).first()


def tariff_versions_of(connection: Connection, tariff_id: str) -> Sequence[Row[Any]]:
    query = select(tariff_versions).where(tariff_versions.c.tariff_id == tariff_id)
    return connection.execute(query.order_by(tariff_versions.c.version)).all()


def current_tariffs(connection: Connection, *, limit: int, offset: int) -> tuple[int, Sequence[Row[Any]]]:
    """Live tariffs (not deleted) with their current version, by id."""
    live = tariffs.c.deleted_at.is_(None)
    total = connection.execute(select(func.count()).select_from(tariffs).where(live)).scalar_one()
    query = (
        select(tariff_versions, tariffs.c.updated_at)
        .join(
            tariffs,
            (tariffs.c.id == tariff_versions.c.tariff_id)
            & (tariffs.c.current_version == tariff_versions.c.version),
        )
        .where(live)
        .order_by(tariffs.c.id)
        .limit(limit)
        .offset(offset)
    )
    return total, connection.execute(query).all()


def delete_tariff(connection: Connection, tariff_id: str, now: datetime) -> int:
    statement = (
        update(tariffs)
        .where(tariffs.c.id == tariff_id, tariffs.c.deleted_at.is_(None))
        .values(deleted_at=now)
    )
    deleted = connection.execute(statement).rowcount
    connection.execute(delete(tariff_assignments).where(tariff_assignments.c.tariff_id == tariff_id))
    return deleted


def put_assignment(connection: Connection, scope: str, target: str, tariff_id: str, now: datetime) -> None:
    statement = upsert_statement(
        connection, tariff_assignments, keys=("scope", "target"), update=("tariff_id", "created_at")
    )
    connection.execute(
        statement, {"scope": scope, "target": target, "tariff_id": tariff_id, "created_at": now}
    )


def delete_assignment(connection: Connection, scope: str, target: str) -> int:
    statement = delete(tariff_assignments).where(
        tariff_assignments.c.scope == scope, tariff_assignments.c.target == target
    )
    return connection.execute(statement).rowcount


def assignments(connection: Connection) -> Sequence[Row[Any]]:
    query = select(tariff_assignments).order_by(tariff_assignments.c.scope, tariff_assignments.c.target)
    return connection.execute(query).all()


def put_cost(connection: Connection, values: dict[str, Any]) -> None:
    """Insert or update a session's priced state (only the columns given)."""
    columns = tuple(name for name in values if name != "transaction_id")
    statement = upsert_statement(connection, transaction_costs, keys=("transaction_id",), update=columns)
    connection.execute(statement, values)


def cost_of(connection: Connection, transaction_id: int) -> Row[Any] | None:
    query = select(transaction_costs).where(transaction_costs.c.transaction_id == transaction_id)
    return connection.execute(query).first()


def insert_cdr(connection: Connection, values: dict[str, Any]) -> int:
    cdr_id: int = connection.execute(cdrs.insert().returning(cdrs.c.id), values).scalar_one()
    return cdr_id


def cdr(connection: Connection, cdr_id: int) -> Row[Any] | None:
    return connection.execute(select(cdrs).where(cdrs.c.id == cdr_id)).first()
