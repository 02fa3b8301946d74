"""INSERT ... ON CONFLICT for SQLite and PostgreSQL, which spell it the same way."""

from __future__ import annotations

from functools import cache
from typing import Any

from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from opencsms.store.driver_statements import DriverStatement

# Both dialects' Insert classes have on_conflict_do_update / _nothing and ``excluded``.
INSERTS: dict[str, Any] = {"sqlite": sqlite.insert, "postgresql": postgresql.insert}


def upsert_statement(
    connection: Connection,
    table: Table,
    *,
    keys: tuple[str, ...],
    update: tuple[str, ...],
    returning: tuple[str, ...] = (),
) -> Any:
    """An insert that, when a row with the same ``keys`` exists, overwrites its ``update``
    columns instead (an empty ``update`` leaves the existing row alone).

    The values are given at execution. The statement is built once per backend and reused, so
    SQLAlchemy compiles it once.

    Raises:
        KeyError: the connection's backend is neither SQLite nor PostgreSQL.
    """
    return _build(connection.dialect.name, table, keys, update, returning)


@cache
def _build(
    backend: str, table: Table, keys: tuple[str, ...], update: tuple[str, ...], returning: tuple[str, ...]
) -> Any:
    statement: Any = INSERTS[backend](table)
    if update:
        statement = statement.on_conflict_do_update(
            index_elements=list(keys), set_={column: statement.excluded[column] for column in update}
        )
    else:
        statement = statement.on_conflict_do_nothing(index_elements=list(keys))
    if returning:
        statement = statement.returning(*(table.c[column] for column in returning))
    return statement


def upsert_driver_statement(
    connection: Connection,
    table: Table,
    *,
    keys: tuple[str, ...],
    update: tuple[str, ...],
    columns: tuple[str, ...],
    returning: tuple[str, ...] = (),
) -> DriverStatement:
    """:func:`upsert_statement` as a :class:`DriverStatement` for hot paths; every execution
    gives exactly ``columns``.

    Raises:
        KeyError: the connection's backend is neither SQLite nor PostgreSQL.
    """
    return _build_driver(connection.dialect.name, table, keys, update, columns, returning)


@cache
def _build_driver(
    backend: str,
    table: Table,
    keys: tuple[str, ...],
    update: tuple[str, ...],
    columns: tuple[str, ...],
    returning: tuple[str, ...],
) -> DriverStatement:
    return DriverStatement(_build(backend, table, keys, update, returning), columns=columns)
