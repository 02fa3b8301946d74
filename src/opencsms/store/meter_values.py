"""Rows of ``meter_samples``: every sample (its values verbatim), with or without a known transaction."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Select, and_, bindparam, or_, select, update
from sqlalchemy.engine import Connection, Row

from opencsms.store.driver_statements import DriverStatement
from opencsms.store.schema import meter_samples, transactions

# Every column a caller gives for each row, in the order it gives them (the insert is one
# executemany of plain tuples).
COLUMNS = (
    "transaction_id",
    "transaction_ref",
    "station_id",
    "evse_id",
    "connector_id",
    "timestamp",
    "sampled_values",
)

_INSERT = DriverStatement(meter_samples.insert(), columns=COLUMNS)
_LINK = (
    update(meter_samples)
    .where(
        meter_samples.c.station_id == bindparam("station"),
        meter_samples.c.transaction_ref == bindparam("ref"),
        meter_samples.c.transaction_id.is_(None),
    )
    .values(transaction_id=bindparam("tid"))
)
_OF_TRANSACTION = (
    select(meter_samples)
    .where(meter_samples.c.transaction_id == bindparam("tid"))
    .order_by(meter_samples.c.timestamp, meter_samples.c.id)
)

# Through the station's transactions (the transaction index) and the unlinked samples (the
# partial index): meter_samples has no index on the station alone.
_LATEST_OF_STATION = (
    select(meter_samples)
    .where(
        or_(
            meter_samples.c.transaction_id.in_(
                select(transactions.c.id).where(transactions.c.station_id == bindparam("station"))
            ),
            and_(
                meter_samples.c.transaction_id.is_(None), meter_samples.c.station_id == bindparam("station")
            ),
        )
    )
    .order_by(meter_samples.c.timestamp.desc(), meter_samples.c.id.desc())
    .limit(bindparam("limit"))
)


def insert_many(connection: Connection, rows: Sequence[Sequence[Any]]) -> None:
    """Insert the rows (each the values of :data:`COLUMNS`, in that order) in one executemany."""
    _INSERT.execute_many_tuples(connection, rows)


def link(connection: Connection, station_id: str, transaction_ref: str, transaction_id: int) -> int:
    """Attach samples that named ``transaction_ref`` before it was known; return how many."""
    params = {"station": station_id, "ref": transaction_ref, "tid": transaction_id}
    return connection.execute(_LINK, params).rowcount


def of_transaction(connection: Connection, transaction_id: int) -> Sequence[Row[Any]]:
    """The transaction's samples in time order (arrival order within one timestamp)."""
    return connection.execute(_OF_TRANSACTION, {"tid": transaction_id}).all()


def first_of_transaction(connection: Connection, transaction_id: int, limit: int) -> Sequence[Row[Any]]:
    """The transaction's first ``limit`` samples, in time order."""
    return connection.execute(_OF_TRANSACTION.limit(limit), {"tid": transaction_id}).all()


def latest_of_station(connection: Connection, station_id: str, limit: int) -> Sequence[Row[Any]]:
    """The station's ``limit`` latest samples (any transaction or none), newest first."""
    return connection.execute(_LATEST_OF_STATION, {"station": station_id, "limit": limit}).all()


# Samples are JSON text: a substring test finds those naming the energy register, on every database.
_LATEST_NAMING: Select[Any] = (
    select(meter_samples.c.timestamp, meter_samples.c.sampled_values)
    .where(
        meter_samples.c.transaction_id == bindparam("tid"),
        meter_samples.c.sampled_values.like(bindparam("pattern")),
    )
    .order_by(meter_samples.c.timestamp.desc(), meter_samples.c.id.desc())
    .limit(1)
)


def latest_naming(connection: Connection, transaction_id: int, measurand: str) -> Row[Any] | None:
    """The transaction's latest sample (``timestamp``, ``sampled_values``) that names ``measurand``."""
    return connection.execute(_LATEST_NAMING, {"tid": transaction_id, "pattern": f'%"{measurand}"%'}).first()
