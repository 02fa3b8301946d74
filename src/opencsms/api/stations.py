"""Stations: the list with live status, one station, its EVSEs/connectors and their status history."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Response
from pydantic import Field

from opencsms.api.deps import DomainDep, SessionsDep
from opencsms.api.paging import Page, PageDep, PageParams, one_order, page_in_memory, page_params
from opencsms.api.problems import Problem
from opencsms.api.request_body import RequestBody
from opencsms.api.views import ConnectorOut, StationOut
from opencsms.domain import registry
from opencsms.domain.model import RegistrationStatus

router = APIRouter(prefix="/api/v1/stations", tags=["stations"])

StationId = Annotated[str, Path(min_length=1, max_length=48, description="the station's id")]
_NOT_FOUND: dict[int | str, dict[str, Any]] = {404: {"description": "no such station"}}

_SORT_FIELDS = {
    "id": lambda s: s.id,
    "registration_status": lambda s: s.registration_status,
    "ocpp_version": lambda s: s.ocpp_version,
    "vendor": lambda s: s.vendor,
    "model": lambda s: s.model,
    "last_seen": lambda s: s.last_seen,
    "connected": lambda s: s.connected,
}


@router.get("")
async def list_stations(
    domain: DomainDep,
    sessions: SessionsDep,
    page: Annotated[PageParams, Depends(page_params)],
    connected: bool | None = None,
    registration_status: RegistrationStatus | None = None,
    ocpp_version: Annotated[str | None, Query(max_length=8)] = None,
    q: Annotated[str | None, Query(max_length=48, description="part of the station id")] = None,
) -> Page[StationOut]:
    """Stations with their live connection status. Sort by id, registration_status, ocpp_version,
    vendor, model, last_seen, connected."""
    stations = [StationOut.of(s, sessions.is_connected(s)) for s in await domain.stations.list()]
    selected = [
        s
        for s in stations
        if (connected is None or s.connected == connected)
        and (registration_status is None or s.registration_status == registration_status.value)
        and (ocpp_version is None or s.ocpp_version == ocpp_version)
        and (q is None or q.lower() in s.id.lower())
    ]
    return page_in_memory(selected, page, _SORT_FIELDS, "id")


@router.get("/{station_id}", responses=_NOT_FOUND)
async def get_station(station_id: StationId, domain: DomainDep, sessions: SessionsDep) -> StationOut:
    """One station."""
    station = await domain.stations.get(station_id)
    if station is None:
        raise Problem(404, "Not found", f"no station {station_id}")
    return StationOut.of(station, sessions.is_connected(station))


_CONNECTOR_SORT_FIELDS = {
    "evse_id": lambda c: (c.evse_id, c.connector_id),
    "status": lambda c: c.status,
    "updated_at": lambda c: c.updated_at,
}


@router.get("/{station_id}/connectors", responses=_NOT_FOUND)
async def list_connectors(station_id: StationId, domain: DomainDep, page: PageDep) -> Page[ConnectorOut]:
    """The station's EVSEs and connectors with their last status (EVSE 0 for OCPP 1.6 connectors),
    by EVSE then connector. Sort by evse_id, status, updated_at."""
    if await domain.stations.get(station_id) is None:
        raise Problem(404, "Not found", f"no station {station_id}")
    connectors = [ConnectorOut.of(c) for c in await domain.stations.connectors(station_id)]
    return page_in_memory(connectors, page, _CONNECTOR_SORT_FIELDS, "evse_id")


@router.get("/{station_id}/connectors/{connector_id}/history", responses=_NOT_FOUND)
async def connector_history(
    station_id: StationId,
    connector_id: Annotated[int, Path(ge=0, le=2**31 - 1)],
    domain: DomainDep,
    page: PageDep,
    evse_id: Annotated[int | None, Query(ge=0, le=2**31 - 1)] = None,
) -> Page[ConnectorOut]:
    """The connector's status history, newest first (``-updated_at``; ``evse_id`` to pick one
    EVSE's connector)."""
    one_order(page, "-updated_at")
    if await domain.stations.get(station_id) is None:
        raise Problem(404, "Not found", f"no station {station_id}")
    history = await domain.stations.status_history(
        station_id, connector_id, page.limit, evse_id=evse_id, offset=page.offset
    )
    total = await domain.stations.count_status_history(station_id, connector_id, evse_id=evse_id)
    return Page[ConnectorOut](
        items=[ConnectorOut.of(c) for c in history], total=total, limit=page.limit, offset=page.offset
    )


class StationCreate(RequestBody):
    id: str = Field(min_length=1, max_length=48, pattern=r"^[^/]+$")
    registration_status: RegistrationStatus = RegistrationStatus.ACCEPTED


class StationUpdate(RequestBody):
    registration_status: RegistrationStatus


@router.post("", status_code=201, responses={409: {"description": "the station exists"}})
async def create_station(body: StationCreate, domain: DomainDep, sessions: SessionsDep) -> StationOut:
    """Register a station before it first connects (needed with ``OPENCSMS_REGISTRATION_POLICY=reject``)."""
    if await domain.stations.get(body.id) is not None:
        raise Problem(409, "Station exists", f"station {body.id} exists; PATCH changes it")
    await domain.stations.register(body.id, body.registration_status)
    return await get_station(body.id, domain, sessions)


@router.patch("/{station_id}", responses=_NOT_FOUND)
async def update_station(
    station_id: StationId, body: StationUpdate, domain: DomainDep, sessions: SessionsDep
) -> StationOut:
    """Change the station's registration status (Accepted, Pending, Rejected); it applies at its next boot."""
    if await domain.stations.get(station_id) is None:
        raise Problem(404, "Not found", f"no station {station_id}")
    await domain.stations.register(station_id, body.registration_status)
    return await get_station(station_id, domain, sessions)


@router.delete(
    "/{station_id}",
    status_code=204,
    responses={**_NOT_FOUND, 409: {"description": "connected, or has transactions"}},
)
async def delete_station(station_id: StationId, domain: DomainDep, sessions: SessionsDep) -> Response:
    """Remove a station that is offline and has no transactions (its connectors and history go too)."""
    station = await domain.stations.get(station_id)
    if station_id in sessions.sessions or (station is not None and sessions.is_connected(station)):
        raise Problem(409, "Station in use", f"station {station_id} is connected")
    try:
        deleted = await registry.delete_station(domain.store, station_id)
    except registry.StationInUse as exc:
        raise Problem(409, "Station in use", str(exc)) from exc
    if not deleted:
        raise Problem(404, "Not found", f"no station {station_id}")
    return Response(status_code=204)
