"""Transactions (charging sessions): search, one transaction with its meter values, CSV export."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query
from fastapi.responses import StreamingResponse
from pydantic import BaseModel

from opencsms.api.deps import DomainDep
from opencsms.api.paging import Page, PageParams, page_params
from opencsms.api.problems import Problem
from opencsms.api.views import TransactionOut
from opencsms.domain import transaction_search

router = APIRouter(prefix="/api/v1/transactions", tags=["transactions"])


class TransactionFilters:
    """The filters of the list and of the CSV export."""

    def __init__(
        self,
        station_id: Annotated[str | None, Query(max_length=48)] = None,
        id_token: Annotated[str | None, Query(max_length=255)] = None,
        active: bool | None = None,
        inferred: Annotated[
            bool | None, Query(description="true: only sessions whose end opencsms inferred (to review)")
        ] = None,
        started_from: Annotated[datetime | None, Query(description="started at or after (ISO 8601)")] = None,
        started_to: Annotated[datetime | None, Query(description="started before (ISO 8601)")] = None,
    ) -> None:
        self.station_id = station_id
        self.id_token = id_token
        self.active = active
        self.inferred = inferred
        self.started_from = started_from
        self.started_to = started_to

    def query(self, page: PageParams) -> transaction_search.TransactionQuery:
        sort, descending = page.sort_key(transaction_search.SORTABLE, "-id")
        return transaction_search.TransactionQuery(
            station_id=self.station_id,
            id_token=self.id_token,
            active=self.active,
            inferred=self.inferred,
            started_from=self.started_from,
            started_to=self.started_to,
            sort=sort,
            descending=descending,
            limit=page.limit,
            offset=page.offset,
        )


@router.get("")
async def list_transactions(
    domain: DomainDep,
    page: Annotated[PageParams, Depends(page_params)],
    filters: Annotated[TransactionFilters, Depends()],
) -> Page[TransactionOut]:
    """Transactions, newest first by default. Sort by id, started_at, stopped_at, station_id,
    id_token, meter_stop_wh."""
    found, total = await transaction_search.search(domain.store, filters.query(page))
    return Page[TransactionOut](
        items=[TransactionOut.of(t) for t in found], total=total, limit=page.limit, offset=page.offset
    )


CSV_COLUMNS = tuple(TransactionOut.model_fields)
# A cell a spreadsheet would run as a formula (station ids and id tokens come from stations).
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: object) -> object:
    """``value`` as a CSV cell that a spreadsheet shows as text: a string starting like a formula
    (``=HYPERLINK(...)``, ``+``, ``-``, ``@``, tab, carriage return) gets a leading apostrophe,
    unless it is a plain number (a negative amount)."""
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(_FORMULA_STARTS):
        try:
            float(value)
        except ValueError:
            return "'" + value
    return value


_CSV_BATCH = 1000
_CSV_MAX_ROWS = 1_000_000


@router.get(
    "/export.csv",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/csv": {}}, "description": "one row per transaction"}},
)
async def export_csv(
    domain: DomainDep,
    filters: Annotated[TransactionFilters, Depends()],
    sort: Annotated[str | None, Query(max_length=64)] = None,
) -> StreamingResponse:
    """The transactions matching the filters as CSV (same filters as the list; every page)."""
    filters.query(PageParams(_CSV_BATCH, 0, sort))  # a bad sort is a 422 before the 200 starts

    async def rows() -> AsyncIterator[str]:
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(CSV_COLUMNS)
        offset = 0
        while offset < _CSV_MAX_ROWS:
            found, _ = await transaction_search.search(
                domain.store, filters.query(PageParams(_CSV_BATCH, offset, sort))
            )
            for tx in found:
                values = TransactionOut.of(tx).model_dump(mode="json")
                writer.writerow([csv_cell(values[c]) for c in CSV_COLUMNS])
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
            if len(found) < _CSV_BATCH:
                break
            offset += _CSV_BATCH

    return StreamingResponse(
        rows(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="transactions.csv"'},
    )


class MeterValueOut(BaseModel):
    timestamp: datetime
    measurand: str
    value: str
    unit: str | None
    phase: str | None
    context: str | None
    location: str | None


class TransactionDetailOut(TransactionOut):
    meter_values: list[MeterValueOut]


@router.get("/{transaction_id}", responses={404: {"description": "no such transaction"}})
async def get_transaction(
    transaction_id: Annotated[int, Path(ge=1, le=2**31 - 1)], domain: DomainDep
) -> TransactionDetailOut:
    """One transaction with its meter values in time order."""
    tx = await domain.transactions.get(transaction_id)
    if tx is None:
        raise Problem(404, "Not found", f"no transaction {transaction_id}")
    samples = await domain.transactions.meter_values_of(transaction_id)
    meter_values = [
        MeterValueOut(
            timestamp=at,
            measurand=v.measurand,
            value=v.value,
            unit=v.unit,
            phase=v.phase,
            context=v.context,
            location=v.location,
        )
        for at, v in samples
    ]
    return TransactionDetailOut(**TransactionOut.of(tx).model_dump(), meter_values=meter_values)
