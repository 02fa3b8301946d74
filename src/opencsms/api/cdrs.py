"""Charge detail records: search with filters and paging, one CDR, CSV and JSON export; a
session's running or final cost."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi import Path as PathParam
from fastapi.responses import StreamingResponse

from opencsms.api.deps import DomainDep, api_state
from opencsms.api.paging import PageParams, page_params
from opencsms.api.problems import Problem
from opencsms.api.transactions import csv_cell
from opencsms.billing.cdrs import cdr_json
from opencsms.billing.revenue import GroupBy, revenue_report
from opencsms.billing.service import BillingService
from opencsms.billing.tariff_service import TariffService, check_time_zone
from opencsms.billing.tariffs import TariffError
from opencsms.store import billing as rows

router = APIRouter(prefix="/api/v1", tags=["billing"])

_INT32 = 2**31 - 1
_EXPORT_BATCH = 1000
_EXPORT_MAX = 1_000_000
CSV_COLUMNS = (
    "id", "transaction_id", "credit", "credit_of", "station_id", "evse_id", "connector_id", "site_id",
    "id_token", "token_group", "auth_method", "started_at", "stopped_at", "ended_by", "tariff_id",
    "tariff_version", "currency", "total_energy_kwh", "total_time_hours", "total_charging_hours",
    "total_parking_hours", "total_excl_vat", "total_incl_vat",
)  # fmt: skip


class CdrFilters:
    """The filters of the CDR list and exports."""

    def __init__(
        self,
        station_id: Annotated[str | None, Query(max_length=48)] = None,
        evse_id: Annotated[int | None, Query(ge=0, le=_INT32)] = None,
        site_id: Annotated[str | None, Query(max_length=64)] = None,
        id_token: Annotated[str | None, Query(max_length=255)] = None,
        token_group: Annotated[str | None, Query(max_length=255)] = None,
        tariff_id: Annotated[str | None, Query(max_length=36)] = None,
        transaction_id: Annotated[int | None, Query(ge=0, le=_INT32)] = None,
        currency: Annotated[str | None, Query(min_length=3, max_length=3)] = None,
        credit: Annotated[bool | None, Query(description="true: only credit CDRs; false: none")] = None,
        stopped_from: Annotated[datetime | None, Query(description="stopped at or after (ISO 8601)")] = None,
        stopped_to: Annotated[datetime | None, Query(description="stopped before (ISO 8601)")] = None,
    ) -> None:
        self.values: dict[str, Any] = {
            "station_id": station_id, "evse_id": evse_id, "site_id": site_id, "id_token": id_token,
            "token_group": token_group, "tariff_id": tariff_id, "transaction_id": transaction_id,
            "currency": currency, "credit": credit, "stopped_from": stopped_from, "stopped_to": stopped_to,
        }  # fmt: skip


def billing_service(request: Request) -> BillingService:
    service = api_state(request).extras.get("billing")
    if not isinstance(service, BillingService):
        raise Problem(503, "Billing is off", "costing is turned off (OPENCSMS_BILLING_INTERVAL=0)")
    return service


@router.get("/cdrs", summary="Charge detail records")
async def list_cdrs(
    domain: DomainDep,
    page: Annotated[PageParams, Depends(page_params)],
    filters: Annotated[CdrFilters, Depends()],
) -> dict[str, Any]:
    """Newest first by default; sort by id, stopped_at, started_at, station_id, total_incl_micro,
    energy_mwh. Amounts are exact decimal strings."""
    sort, descending = page.sort_key(rows.CDR_SORTABLE, "-stopped_at")
    total, found = await domain.store.read(
        lambda connection: rows.search_cdrs(
            connection, filters.values, sort=sort, descending=descending, limit=page.limit, offset=page.offset
        )
    )
    return {
        "items": [cdr_json(row) for row in found],
        "total": total,
        "limit": page.limit,
        "offset": page.offset,
    }


def _csv_row(cdr: dict[str, Any]) -> list[Any]:
    flat = {
        **cdr,
        "total_excl_vat": cdr["total_cost"]["excl_vat"],
        "total_incl_vat": cdr["total_cost"]["incl_vat"],
    }
    return [csv_cell(flat[column]) for column in CSV_COLUMNS]


async def _batches(domain: Any, filters: CdrFilters, sort: str | None) -> AsyncIterator[list[dict[str, Any]]]:
    column, descending = PageParams(_EXPORT_BATCH, 0, sort).sort_key(rows.CDR_SORTABLE, "-stopped_at")
    offset = 0
    while offset < _EXPORT_MAX:
        _, found = await domain.store.read(
            lambda connection, offset=offset: rows.search_cdrs(
                connection, filters.values, sort=column, descending=descending,
                limit=_EXPORT_BATCH, offset=offset, count=False,
            )
        )  # fmt: skip
        yield [cdr_json(row) for row in found]
        if len(found) < _EXPORT_BATCH:
            return
        offset += _EXPORT_BATCH


@router.get(
    "/cdrs/export.csv",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/csv": {}}, "description": "one row per CDR"}},
    summary="CDRs as CSV",
)
async def export_csv(
    domain: DomainDep,
    filters: Annotated[CdrFilters, Depends()],
    sort: Annotated[str | None, Query(max_length=64)] = None,
) -> StreamingResponse:
    PageParams(_EXPORT_BATCH, 0, sort).sort_key(rows.CDR_SORTABLE, "-stopped_at")  # 422 before the 200

    async def lines() -> AsyncIterator[str]:
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(CSV_COLUMNS)
        async for batch in _batches(domain, filters, sort):
            for cdr in batch:
                writer.writerow(_csv_row(cdr))
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()

    return StreamingResponse(
        lines(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="cdrs.csv"'},
    )


@router.get(
    "/cdrs/export.json",
    response_class=StreamingResponse,
    responses={200: {"content": {"application/json": {}}, "description": "a JSON list of CDRs"}},
    summary="CDRs as JSON (with their charging periods and signed meter data)",
)
async def export_json(
    domain: DomainDep,
    filters: Annotated[CdrFilters, Depends()],
    sort: Annotated[str | None, Query(max_length=64)] = None,
) -> StreamingResponse:
    PageParams(_EXPORT_BATCH, 0, sort).sort_key(rows.CDR_SORTABLE, "-stopped_at")

    async def chunks() -> AsyncIterator[str]:
        first = True
        yield "["
        async for batch in _batches(domain, filters, sort):
            for cdr in batch:
                yield ("" if first else ",") + json.dumps(cdr)
                first = False
        yield "]"

    return StreamingResponse(
        chunks(),
        media_type="application/json",
        headers={"Content-Disposition": 'attachment; filename="cdrs.json"'},
    )


@router.get("/cdrs/{cdr_id}", summary="One CDR, with its charging periods, tariff and signed meter data")
async def get_cdr(cdr_id: Annotated[int, PathParam(ge=1, le=2**63 - 1)], domain: DomainDep) -> dict[str, Any]:
    row = await domain.store.read(lambda connection: rows.cdr(connection, cdr_id))
    if row is None:
        raise Problem(404, "Not found", f"no CDR {cdr_id}")
    return cdr_json(row)


@router.get("/transactions/{transaction_id}/cost", summary="A session's running or final cost")
async def transaction_cost(
    transaction_id: Annotated[int, PathParam(ge=0, le=_INT32)], request: Request
) -> dict[str, Any]:
    """The cost as last computed (running sessions: at most OPENCSMS_BILLING_INTERVAL old); 404
    when no tariff prices the session."""
    cost = await billing_service(request).cost(transaction_id)
    if cost is None:
        raise Problem(
            404, "Not found", f"transaction {transaction_id} has no cost (unknown, or no tariff applies)"
        )
    return cost


@router.get("/revenue", summary="Revenue by day, week, month, site, station, token group or tariff")
async def revenue(
    request: Request,
    domain: DomainDep,
    filters: Annotated[CdrFilters, Depends()],
    group_by: Annotated[
        GroupBy, Query(description="day, week, month, site, station, token_group, tariff")
    ] = GroupBy.DAY,
    time_zone: Annotated[
        str | None, Query(max_length=64, description="IANA zone of the days (default: billing's)")
    ] = None,
) -> dict[str, Any]:
    """Sessions, kWh, duration and revenue excl./incl. VAT per group and currency, from the CDRs
    (credit CDRs count negatively); `totals` per currency equal the sum of the CDRs."""
    zone = time_zone or _default_time_zone(request)
    try:
        check_time_zone(zone)
    except TariffError as error:
        raise Problem(422, "Invalid request", f"time_zone: {error.message}") from None
    report = await domain.store.read(
        lambda connection: revenue_report(connection, group_by, filters.values, zone)
    )
    return report.to_json()


def _default_time_zone(request: Request) -> str:
    tariffs = api_state(request).extras.get("tariffs")
    return tariffs.default_time_zone if isinstance(tariffs, TariffService) else "UTC"
