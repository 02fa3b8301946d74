"""Rows of ``remote_starts``: the remote starts sent and the transactions they made."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, select, update
from sqlalchemy.engine import Connection, Row

from opencsms.store.schema import remote_starts

REQUESTED = "Requested"
REJECTED = "Rejected"
#: Answered with a CALLERROR, or never sent: the station started nothing.
FAILED = "Failed"
#: Remote starts that make no transaction.
REFUSED = (REJECTED, FAILED)

_rs = remote_starts
_BY_REMOTE_START_ID = (
    select(_rs)
    .where(_rs.c.station_id == bindparam("station"), _rs.c.remote_start_id == bindparam("remote_start_id"))
    .order_by(_rs.c.id.desc())
    .limit(1)
)


def insert(connection: Connection, values: Mapping[str, Any]) -> int:
    """Record a remote start; returns its row id."""
    row_id: int = connection.execute(_rs.insert().returning(_rs.c.id), dict(values)).scalar_one()
    return row_id


def by_remote_start_id(connection: Connection, station_id: str, remote_start_id: int) -> Row[Any] | None:
    """The station's (latest) remote start with this 2.x remoteStartId, or None."""
    params = {"station": station_id, "remote_start_id": remote_start_id}
    return connection.execute(_BY_REMOTE_START_ID, params).first()


def latest_open(
    connection: Connection,
    station_id: str,
    *,
    id_token: str,
    evse_id: int | None,
    since: datetime,
    status: str | None = None,
) -> Row[Any] | None:
    """The station's latest remote start for ``id_token`` sent since ``since`` that has no
    transaction yet, was neither refused nor failed, and asked for ``evse_id`` or for any (``status``: only
    those with this status)."""
    query = select(_rs).where(
        _rs.c.station_id == station_id,
        _rs.c.id_token == id_token,
        _rs.c.transaction_id.is_(None),
        _rs.c.status.notin_(REFUSED),
        _rs.c.requested_at >= since,
    )
    if evse_id is not None:
        query = query.where((_rs.c.evse_id == evse_id) | _rs.c.evse_id.is_(None))
    if status is not None:
        query = query.where(_rs.c.status == status)
    return connection.execute(query.order_by(_rs.c.id.desc()).limit(1)).first()


def set_status(connection: Connection, row_id: int, status: str) -> None:
    connection.execute(update(_rs).where(_rs.c.id == row_id).values(status=status))


def bind(connection: Connection, row_id: int, transaction_id: int) -> None:
    """The remote start made this transaction."""
    connection.execute(update(_rs).where(_rs.c.id == row_id).values(transaction_id=transaction_id))
