"""Finding transactions by station, token, status and period, a page at a time."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.engine import Connection

from opencsms.domain.model import Transaction
from opencsms.domain.transactions import _transaction
from opencsms.store import Store
from opencsms.store.schema import transactions

SORTABLE = ("id", "started_at", "stopped_at", "station_id", "id_token", "meter_stop_wh")


@dataclass(frozen=True, slots=True)
class TransactionQuery:
    """Filters (None: any) and the page. ``started_from`` inclusive, ``started_to`` exclusive."""

    station_id: str | None = None
    id_token: str | None = None
    active: bool | None = None
    #: True: only transactions whose end was inferred; False: all others.
    inferred: bool | None = None
    started_from: datetime | None = None
    started_to: datetime | None = None
    sort: str = "id"
    descending: bool = True
    limit: int = 50
    offset: int = 0

    def conditions(self) -> list[ColumnElement[bool]]:
        where: list[ColumnElement[bool]] = []
        if self.station_id is not None:
            where.append(transactions.c.station_id == self.station_id)
        if self.id_token is not None:
            where.append(transactions.c.id_token == self.id_token)
        if self.active is not None:
            where.append(transactions.c.status == ("active" if self.active else "ended"))
        if self.inferred is not None:
            ended_by = transactions.c.ended_by
            inferred = ended_by == "inferred"
            where.append(inferred if self.inferred else or_(ended_by.is_(None), ~inferred))
        if self.started_from is not None:
            where.append(transactions.c.started_at >= self.started_from)
        if self.started_to is not None:
            where.append(transactions.c.started_at < self.started_to)
        return where


def _search(connection: Connection, query: TransactionQuery) -> tuple[list[Any], int]:
    if query.sort not in SORTABLE:
        raise ValueError(f"cannot sort transactions by {query.sort!r}")
    column = transactions.c[query.sort]
    order = column.desc() if query.descending else column.asc()
    tiebreak = transactions.c.id.desc() if query.descending else transactions.c.id.asc()
    conditions = query.conditions()
    rows = connection.execute(
        select(transactions)
        .where(*conditions)
        .order_by(order.nulls_last(), tiebreak)
        .limit(query.limit)
        .offset(query.offset)
    ).all()
    total = connection.execute(select(func.count()).select_from(transactions).where(*conditions)).scalar_one()
    return list(rows), int(total)


async def search(store: Store, query: TransactionQuery) -> tuple[list[Transaction], int]:
    """The page of transactions matching ``query`` and how many match in all.

    Raises:
        ValueError: ``query.sort`` is not one of :data:`SORTABLE`.
        sqlalchemy.exc.SQLAlchemyError: the store failed.
    """
    rows, total = await store.read(lambda connection: _search(connection, query))
    return [_transaction(row) for row in rows], total
