"""Smart charging: sites, circuits, station assignment, prices, session needs, charging profiles,
composite schedules, and a site's planned vs measured power."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request, Response
from fastapi import Path as PathParam
from pydantic import Field

from opencsms.api.deps import DomainDep, Operator, SessionsDep, api_state
from opencsms.api.paging import Page, PageDep, one_order, page_in_memory
from opencsms.api.problems import Problem, command_problem
from opencsms.api.request_body import RequestBody
from opencsms.domain import commands as c
from opencsms.domain.charging_profiles import (
    ProfileError,
    RateUnit,
    check_known_fields,
    parse_profile,
    profile_to_json,
)
from opencsms.domain.load_management import Circuit, NodeLimit
from opencsms.domain.price_scheduling import PriceSlot
from opencsms.domain.sites import Site, SiteError, StationAssignment
from opencsms.domain.station_profiles import ChargingNeeds

router = APIRouter(prefix="/api/v1", tags=["smart charging"])

_INT32 = 2**31 - 1
SiteId = Annotated[str, PathParam(min_length=1, max_length=64)]
CircuitId = Annotated[str, PathParam(min_length=1, max_length=64)]
StationId = Annotated[str, PathParam(min_length=1, max_length=48)]
EvseId = Annotated[int, PathParam(ge=0, le=_INT32)]
ProfileId = Annotated[int, PathParam(ge=0, le=_INT32)]


class LimitStep(RequestBody):
    start: datetime
    limit_amps: float | None = None
    limit_kw: float | None = None


class SiteIn(RequestBody):
    name: str | None = None
    limit_amps: float | None = Field(default=None, ge=0, description="grid connection, amps per phase")
    limit_kw: float | None = Field(default=None, ge=0, description="grid connection, kW")
    limit_schedule: list[LimitStep] = Field(default_factory=list, description="a time-varying limit")
    other_load_kw: float = Field(default=0.0, description="measured other load (negative: solar)")
    min_current_a: float = Field(default=6.0, ge=0)
    fail_safe_current_a: float = Field(default=6.0, ge=0)


class CircuitIn(RequestBody):
    parent_id: str | None = Field(default=None, max_length=64)
    limit_amps: float | None = Field(default=None, ge=0)
    limit_kw: float | None = Field(default=None, ge=0)


class AssignmentIn(RequestBody):
    circuit_id: CircuitId | None = None
    max_current_a: float = Field(default=32.0, gt=0)
    phases: int = Field(default=3, ge=1, le=3)
    priority: int = 0


class PriceIn(RequestBody):
    start: datetime
    seconds: int = Field(default=3600, gt=0, le=7 * 86400)
    price: float


class PricesIn(RequestBody):
    slots: list[PriceIn]
    replace_all: bool = False


class NeedsIn(RequestBody):
    departure_time: datetime
    energy_wh: float = Field(gt=0)


class ProfileIn(RequestBody):
    evse_id: int = Field(default=0, ge=0, le=_INT32)
    profile: dict[str, Any] = Field(description="a 2.0.1 ChargingProfileType (1.6 spellings accepted)")


def _site_out(site: Site) -> dict[str, Any]:
    return {
        "id": site.id,
        "name": site.name,
        "limit_amps": site.limit.amps,
        "limit_kw": site.limit.kw,
        "limit_schedule": [
            {"start": start.isoformat(), "limit_amps": lim.amps, "limit_kw": lim.kw}
            for start, lim in site.limit_schedule
        ],
        "other_load_kw": site.other_load_kw,
        "min_current_a": site.min_current_a,
        "fail_safe_current_a": site.fail_safe_current_a,
    }


def _bad(exc: Exception) -> Problem:
    return Problem(422, "Invalid smart charging request", str(exc))


@router.get("/sites")
async def list_sites(domain: DomainDep, page: PageDep) -> Page[dict[str, Any]]:
    """Sites (grid connections) with their limits. Sort by id."""
    layout = await domain.sites.layout()
    sites = [_site_out(site) for site in layout.sites.values()]
    return page_in_memory(sites, page, {"id": lambda site: site["id"]}, "id")


@router.put("/sites/{site_id}", dependencies=[Operator])
async def put_site(site_id: SiteId, body: SiteIn, domain: DomainDep) -> dict[str, Any]:
    site = Site(
        site_id,
        NodeLimit(body.limit_amps, body.limit_kw),
        body.name,
        tuple((step.start, NodeLimit(step.limit_amps, step.limit_kw)) for step in body.limit_schedule),
        body.other_load_kw,
        body.min_current_a,
        body.fail_safe_current_a,
    )
    try:
        await domain.sites.put_site(site)
    except SiteError as exc:
        raise _bad(exc) from None
    return _site_out(site)


@router.get("/sites/{site_id}")
async def get_site(site_id: SiteId, domain: DomainDep) -> dict[str, Any]:
    layout = await domain.sites.layout()
    site = layout.sites.get(site_id)
    if site is None:
        raise Problem(404, "Not Found", f"no site {site_id}")
    out = _site_out(site)
    out["circuits"] = [
        {"id": ci.id, "parent_id": ci.parent, "limit_amps": ci.limit.amps, "limit_kw": ci.limit.kw}
        for ci in layout.circuits.get(site_id, [])
    ]
    out["stations"] = [
        {
            "station_id": a.station_id,
            "circuit_id": a.circuit_id,
            "max_current_a": a.max_current_a,
            "phases": a.phases,
            "priority": a.priority,
        }
        for a in layout.assignments.values()
        if a.site_id == site_id
    ]
    return out


@router.delete("/sites/{site_id}", status_code=204, dependencies=[Operator])
async def delete_site(site_id: SiteId, domain: DomainDep) -> Response:
    if not await domain.sites.delete_site(site_id):
        raise Problem(404, "Not Found", f"no site {site_id}")
    return Response(status_code=204)


@router.put("/sites/{site_id}/circuits/{circuit_id}", dependencies=[Operator])
async def put_circuit(
    site_id: SiteId, circuit_id: CircuitId, body: CircuitIn, domain: DomainDep
) -> dict[str, Any]:
    try:
        await domain.sites.put_circuit(
            site_id, Circuit(circuit_id, NodeLimit(body.limit_amps, body.limit_kw), body.parent_id)
        )
    except SiteError as exc:
        raise _bad(exc) from None
    return {"id": circuit_id, "site_id": site_id, **body.model_dump()}


@router.put("/sites/{site_id}/stations/{station_id}", dependencies=[Operator])
async def assign_station(
    site_id: SiteId, station_id: StationId, body: AssignmentIn, domain: DomainDep
) -> dict[str, Any]:
    try:
        await domain.sites.assign(StationAssignment(station_id, site_id, **body.model_dump()))
    except SiteError as exc:
        raise _bad(exc) from None
    return {"station_id": station_id, "site_id": site_id, **body.model_dump()}


@router.delete("/sites/{site_id}/stations/{station_id}", status_code=204, dependencies=[Operator])
async def unassign_station(site_id: SiteId, station_id: StationId, domain: DomainDep) -> Response:
    if not await domain.sites.unassign(station_id):
        raise Problem(404, "Not Found", f"station {station_id} is on no site")
    return Response(status_code=204)


@router.put("/sites/{site_id}/prices", dependencies=[Operator])
async def put_prices(site_id: SiteId, body: PricesIn, domain: DomainDep) -> dict[str, Any]:
    slots = [PriceSlot(s.start, s.seconds, s.price) for s in body.slots]
    try:
        await domain.sites.set_prices(site_id, slots, replace_all=body.replace_all)
    except SiteError as exc:
        raise _bad(exc) from None
    return {"site_id": site_id, "slots": len(slots)}


@router.get("/sites/{site_id}/prices")
async def get_prices(site_id: SiteId, domain: DomainDep, page: PageDep) -> Page[dict[str, Any]]:
    """The site's price slots by start time (``start`` only)."""
    one_order(page, "start")
    slots = sorted(await domain.sites.prices(site_id), key=lambda s: s.start)
    return Page[dict[str, Any]](
        items=[
            {"start": s.start.isoformat(), "seconds": s.seconds, "price": s.price}
            for s in slots[page.offset : page.offset + page.limit]
        ],
        total=len(slots),
        limit=page.limit,
        offset=page.offset,
    )


@router.get("/sites/{site_id}/power")
async def site_power(site_id: SiteId, request: Request, domain: DomainDep) -> dict[str, Any]:
    """What the load manager allocated (planned) and what the sessions draw (measured)."""
    manager = api_state(request).extras.get("load_manager")
    if manager is None:
        raise Problem(503, "Unavailable", "the load manager is not running")
    if site_id not in (await domain.sites.layout()).sites:
        raise Problem(404, "Not Found", f"no site {site_id}")
    power: dict[str, Any] = manager.site_power(site_id)
    return power


@router.put("/stations/{station_id}/evses/{evse_id}/needs", dependencies=[Operator])
async def put_needs(
    station_id: StationId, evse_id: EvseId, body: NeedsIn, request: Request, domain: DomainDep
) -> dict[str, Any]:
    """A session's departure time and energy: the scheduler charges it in the cheapest slots."""
    await domain.station_profiles.record_needs(
        ChargingNeeds(station_id, evse_id, departure_time=body.departure_time, energy_wh=body.energy_wh),
        fields=("departure_time", "energy_wh"),
    )
    manager = api_state(request).extras.get("load_manager")
    if manager is not None:
        manager.sites_changed()
    return {"station_id": station_id, "evse_id": evse_id, **body.model_dump(mode="json")}


@router.get("/stations/{station_id}/charging-profiles")
async def list_profiles(station_id: StationId, domain: DomainDep, page: PageDep) -> Page[dict[str, Any]]:
    """What the station holds, as the CSMS knows it (source CSO: set by this CSMS). Sort by
    evse_id."""
    held = await domain.station_profiles.installed_with_source(station_id)
    profiles = [{"evse_id": p.evse_id, "source": source, "profile": profile_to_json(p)} for p, source in held]
    return page_in_memory(profiles, page, {"evse_id": lambda entry: entry["evse_id"]}, "evse_id")


@router.post("/stations/{station_id}/charging-profiles", dependencies=[Operator])
async def set_profile(station_id: StationId, body: ProfileIn, sessions: SessionsDep) -> dict[str, Any]:
    """Validate and send a profile (1.6 SetChargingProfile, 2.0.1 K01); kept when accepted."""
    try:
        check_known_fields(body.profile)
        parse_profile(body.profile, body.evse_id)
    except ProfileError as exc:
        raise _bad(exc) from None
    result = await _execute(sessions, station_id, c.SetChargingProfile(body.profile, body.evse_id))
    return {"status": result.status, "response": result.response}


@router.delete("/stations/{station_id}/charging-profiles/{profile_id}", dependencies=[Operator])
async def clear_profile(
    station_id: StationId, profile_id: ProfileId, sessions: SessionsDep
) -> dict[str, Any]:
    result = await _execute(sessions, station_id, c.ClearChargingProfile(profile_id=profile_id))
    return {"status": result.status, "response": result.response}


@router.get("/stations/{station_id}/evses/{evse_id}/composite-schedule")
async def composite_schedule(
    station_id: StationId,
    evse_id: EvseId,
    domain: DomainDep,
    sessions: SessionsDep,
    duration: Annotated[int, Query(gt=0, le=7 * 86400)] = 3600,
    unit: Literal["A", "W"] = "A",
    source: Annotated[
        Literal["csms", "station"], Query(description="computed here, or asked of the station")
    ] = "csms",
) -> dict[str, Any]:
    if source == "station":
        result = await _execute(sessions, station_id, c.GetCompositeSchedule(evse_id, duration, unit))
        return {"source": "station", "status": result.status, "response": result.response}
    schedule = await domain.station_profiles.composite(station_id, evse_id, duration, RateUnit(unit))
    return {
        "source": "csms",
        "evse_id": evse_id,
        "schedule_start": schedule.start.isoformat(),
        "duration": duration,
        "charging_rate_unit": unit,
        "periods": [
            {"start_period": p.start, "limit": p.limit, "number_phases": p.phases} for p in schedule.periods
        ],
    }


async def _execute(sessions: SessionsDep, station_id: str, command: c.Command) -> c.CommandResult:
    try:
        return await sessions.execute(station_id, command)
    except (c.InvalidCommand, c.UnknownCommand) as exc:
        raise _bad(exc) from None
    except c.CommandError as exc:
        raise command_problem(exc) from None
