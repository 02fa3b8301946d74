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
    """The version in force at ``moment``: the last one created at or before it; for a moment
    before the tariff existed, its first version."""
    of_tariff = tariff_versions.c.tariff_id == tariff_id
    query = (
        select(tariff_versions)
        .where(of_tariff, tariff_versions.c.created_at <= moment)
        .order_by(tariff_versions.c.version.desc())
        .limit(1)
    )
    found = connection.execute(query).first()
    if found is None:
        first = select(tariff_versions).where(of_tariff).order_by(tariff_versions.c.version).limit(1)
        found = connection.execute(first).first()
    return found


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


_CDR_EQUAL = ("station_id", "site_id", "id_token", "token_group", "tariff_id", "transaction_id", "currency",
              "credit", "evse_id")  # fmt: skip
CDR_SORTABLE = ("id", "stopped_at", "started_at", "station_id", "total_incl_micro", "energy_mwh")


def cdr_conditions(filters: dict[str, Any]) -> list[Any]:
    """WHERE clauses of a CDR search: equality on the named columns, ``stopped_from``/``stopped_to``."""
    conditions: list[Any] = []
    for name in _CDR_EQUAL:
        if filters.get(name) is not None:
            conditions.append(cdrs.c[name] == filters[name])
    if filters.get("stopped_from") is not None:
        conditions.append(cdrs.c.stopped_at >= filters["stopped_from"])
    if filters.get("stopped_to") is not None:
        conditions.append(cdrs.c.stopped_at < filters["stopped_to"])
    return conditions


def search_cdrs(
    connection: Connection,
    filters: dict[str, Any],
    *,
    sort: str,
    descending: bool,
    limit: int,
    offset: int,
    count: bool = True,
) -> tuple[int | None, Sequence[Row[Any]]]:
    conditions = cdr_conditions(filters)
    total = None
    if count:
        total = connection.execute(select(func.count()).select_from(cdrs).where(*conditions)).scalar_one()
    column = cdrs.c[sort]
    order = [
        column.desc() if descending else column.asc(),
        cdrs.c.id.desc() if descending else cdrs.c.id.asc(),
    ]
    query = select(cdrs).where(*conditions).order_by(*order).limit(limit).offset(offset)
    return total, connection.execute(query).all()
