"""Rows of ``id_tokens``."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, select, update
from sqlalchemy.engine import Connection, Row

from opencsms.store.driver_statements import DriverStatement, NamedRow
from opencsms.store.schema import id_tokens
from opencsms.store.upsert import upsert_statement

_COLUMNS = tuple(column.name for column in id_tokens.c)
_BY_TOKEN = DriverStatement(select(id_tokens).where(id_tokens.c.id_token == bindparam("id_token")))
_ALL = select(id_tokens).order_by(id_tokens.c.id_token)
_SET_STATUS = (
    update(id_tokens)
    .where(id_tokens.c.id_token == bindparam("token"))
    .values(status=bindparam("new_status"), updated_at=bindparam("now"))
    .returning(*id_tokens.c)
)


def put(
    connection: Connection,
    id_token: str,
    *,
    status: str,
    expiry_date: datetime | None,
    parent_id_token: str | None,
    token_type: str | None,
    now: datetime,
) -> Row[Any]:
    """Insert or replace the token; return its row."""
    statement = upsert_statement(
        connection,
        id_tokens,
        keys=("id_token",),
        update=("status", "expiry_date", "parent_id_token", "token_type", "updated_at"),
        returning=_COLUMNS,
    )
    values = {
        "id_token": id_token,
        "status": status,
        "expiry_date": expiry_date,
        "parent_id_token": parent_id_token,
        "token_type": token_type,
        "created_at": now,
        "updated_at": now,
    }
    return connection.execute(statement, values).one()


def set_status(connection: Connection, id_token: str, status: str, now: datetime) -> Row[Any] | None:
    """Change the token's status; return its row, or None when it is unknown."""
    return connection.execute(_SET_STATUS, {"token": id_token, "new_status": status, "now": now}).first()


def get(connection: Connection, id_token: str) -> NamedRow | None:
    """The token's row, or None (every message that names a token reads it)."""
    return _BY_TOKEN.execute(connection, {"id_token": id_token}).first_named()


def list_all(connection: Connection) -> Sequence[Row[Any]]:
    """Every token's row, by token."""
    return connection.execute(_ALL).all()
