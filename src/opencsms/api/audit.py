"""The audit log over HTTP (admin only): a paged, filtered list and a CSV export."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from fastapi.responses import StreamingResponse
from pydantic import BaseModel

from opencsms.api.deps import Admin, AuditDep
from opencsms.api.paging import Page, PageParams, page_params
from opencsms.api.transactions import csv_cell
from opencsms.audit import AuditEntry, AuditFilter

router = APIRouter(prefix="/api/v1/audit", tags=["audit"], dependencies=[Admin])


class AuditEntryOut(BaseModel):
    id: int
    at: datetime
    user_id: int | None
    user_name: str | None
    api_key_id: int | None
    api_key_name: str | None
    auth: str
    action: str
    method: str | None
    path: str | None
    target: str | None
    details: dict[str, Any] | None
    client_address: str | None
    status: int

    @classmethod
    def of(cls, entry: AuditEntry) -> AuditEntryOut:
        return cls.model_validate(entry, from_attributes=True)


def audit_filter(
    user_name: Annotated[str | None, Query(max_length=255, description="the user")] = None,
    api_key_name: Annotated[str | None, Query(max_length=64, description="the API key")] = None,
    auth: Annotated[str | None, Query(max_length=16, description="key, session, cli or none")] = None,
    action: Annotated[str | None, Query(max_length=255, description="actions starting with this")] = None,
    method: Annotated[str | None, Query(max_length=8)] = None,
    target: Annotated[
        str | None, Query(max_length=255, description="the station, user, ... acted on")
    ] = None,
    client_address: Annotated[str | None, Query(max_length=64)] = None,
    status: Annotated[int | None, Query(ge=0, le=999)] = None,
    succeeded: Annotated[bool | None, Query(description="true: done (status below 400; CLI: 0)")] = None,
    at_from: Annotated[datetime | None, Query(description="from this time (inclusive)")] = None,
    at_to: Annotated[datetime | None, Query(description="until this time (exclusive)")] = None,
) -> AuditFilter:
    return AuditFilter(
        user_name=user_name,
        api_key_name=api_key_name,
        auth=auth,
        action=action,
        method=method.upper() if method else None,
        target=target,
        client_address=client_address,
        status=status,
        succeeded=succeeded,
        at_from=at_from,
        at_to=at_to,
    )


Filters = Annotated[AuditFilter, Depends(audit_filter)]


@router.get("")
async def list_audit(
    audit: AuditDep,
    where: Filters,
    page: PageParams = Depends(page_params),  # noqa: B008
) -> Page[AuditEntryOut]:
    """Audit log rows, newest first (``sort=id`` for oldest first)."""
    _, descending = page.sort_key(["id"], "-id")
    entries, total = await audit.search(where, limit=page.limit, offset=page.offset, newest_first=descending)
    return Page[AuditEntryOut](
        items=[AuditEntryOut.of(e) for e in entries], total=total, limit=page.limit, offset=page.offset
    )


CSV_COLUMNS = tuple(AuditEntryOut.model_fields)


def _cell(value: object) -> object:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, dict):
        return json.dumps(value, sort_keys=True)
    return csv_cell(value)


@router.get(
    "/export.csv",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/csv": {}}, "description": "one row per audit log entry"}},
)
async def export_audit(audit: AuditDep, where: Filters) -> StreamingResponse:
    """The matching rows as CSV, oldest first (same filters as the list; every row)."""

    async def rows() -> AsyncIterator[str]:
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(CSV_COLUMNS)
        count = 0
        async for entry in audit.export(where):
            writer.writerow([_cell(getattr(entry, c)) for c in CSV_COLUMNS])
            count += 1
            if count % 500 == 0:
                yield buffer.getvalue()
                buffer.seek(0)
                buffer.truncate()
        yield buffer.getvalue()

    return StreamingResponse(
        rows(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="audit.csv"'},
    )
