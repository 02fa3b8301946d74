"""Reservations and local authorization lists over HTTP (read side; the commands are
``reserve_now``, ``cancel_reservation``, ``send_local_list`` and ``get_local_list_version``)."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query

from opencsms.api.deps import DomainDep
from opencsms.api.paging import Page, PageDep, one_order
from opencsms.api.problems import Problem

router = APIRouter(prefix="/api/v1", tags=["reservations"])

StationId = Annotated[str, Path(min_length=1, max_length=48, description="the station's id")]


@router.get("/reservations")
async def list_reservations(
    domain: DomainDep,
    page: PageDep,
    station_id: Annotated[str | None, Query(max_length=48)] = None,
) -> Page[dict[str, Any]]:
    """Reservations, newest first, with their status: Requested, the station's answer (Accepted,
    Faulted, Occupied, Rejected, Unavailable; Failed for a CALLERROR, Unanswered for none), then
    Used, Cancelled, Expired or Removed. Sorted by ``-id`` only."""
    one_order(page, "-id")
    found = await domain.reservations.list(station_id, page.limit, page.offset)
    return Page[dict[str, Any]](
        items=[asdict(r) for r in found],
        total=await domain.reservations.count(station_id),
        limit=page.limit,
        offset=page.offset,
    )


@router.get("/reservations/{reservation_id}", responses={404: {"description": "no such reservation"}})
async def get_reservation(
    reservation_id: Annotated[int, Path(ge=1, le=2**31 - 1)], domain: DomainDep
) -> dict[str, Any]:
    reservation = await domain.reservations.get(reservation_id)
    if reservation is None:
        raise Problem(404, "Not found", f"no reservation {reservation_id}")
    return asdict(reservation)


@router.get("/stations/{station_id}/local-list", responses={404: {"description": "no such station"}})
async def local_list(station_id: StationId, domain: DomainDep) -> dict[str, Any]:
    """The local authorization list version the station last took or reported (None: unknown)."""
    if await domain.stations.get(station_id) is None:
        raise Problem(404, "Not found", f"no station {station_id}")
    return {"station_id": station_id, "version": await domain.reservations.local_list_version(station_id)}
