"""Station security over HTTP: the profile and password state, a password change, a profile
upgrade (see :mod:`opencsms.security_changes`), and the security event log."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from pydantic import BaseModel, Field

from opencsms.api.deps import DomainDep, SessionsDep, api_state
from opencsms.api.paging import Page, PageDep, one_order
from opencsms.api.problems import Problem, command_problem
from opencsms.api.request_body import RequestBody
from opencsms.domain import commands as c
from opencsms.security.passwords import MAX_LENGTH, MIN_LENGTH, WeakPassword
from opencsms.security_changes import ChangeOutcome, SecurityChanges

router = APIRouter(prefix="/api/v1", tags=["security"])

StationId = Annotated[str, Path(min_length=1, max_length=48, description="the station's id")]
_ERRORS: dict[int | str, dict[str, Any]] = {
    404: {"description": "no such station"},
    409: {"description": "the station is offline"},
    422: {"description": "a weak password, or a profile the station cannot be moved to"},
    502: {"description": "the station answered with a CALLERROR"},
    504: {"description": "the station did not answer in time"},
}


class StationSecurityOut(BaseModel):
    station_id: str
    security_profile: int
    has_password: bool
    password_change_pending: bool
    pending_security_profile: int | None
    updated_at: datetime | None


class PasswordChange(RequestBody):
    password: str | None = Field(
        None,
        min_length=MIN_LENGTH,
        max_length=MAX_LENGTH,
        description="the new password (16-40 printable ASCII characters, at most 20 for OCPP 1.6); "
        "left out: a random one the station gets and nobody sees",
    )


class ProfileUpgrade(RequestBody):
    profile: int = Field(ge=1, le=3, description="the security profile to move the station up to")
    csms_url: str | None = Field(
        None,
        max_length=512,
        description="2.x: the OCPP url of the new profile (default: this server's listener of that profile)",
    )
    configuration_slot: int = Field(1, ge=0, le=9, description="2.x: the network profile slot to use")


class ChangeOut(BaseModel):
    status: str
    steps: list[tuple[str, str]]
    security: StationSecurityOut


def _changes(request: Request, sessions: Any) -> SecurityChanges:
    state = api_state(request)
    listener_url = state.extras.get("listener_url") or (lambda profile: None)
    return SecurityChanges(state.domain, sessions, listener_url)


async def _security_out(domain: Any, station_id: str) -> StationSecurityOut:
    security = await domain.security.station_security(station_id)
    if security is None:
        return StationSecurityOut(
            station_id=station_id,
            security_profile=0,
            has_password=False,
            password_change_pending=False,
            pending_security_profile=None,
            updated_at=None,
        )
    return StationSecurityOut(**asdict(security))


async def _known(domain: Any, station_id: str) -> None:
    if await domain.stations.get(station_id) is None:
        raise Problem(404, "Not found", f"no station {station_id}")


async def _outcome(domain: Any, station_id: str, run: Any) -> ChangeOut:
    try:
        outcome: ChangeOutcome = await run
    except (WeakPassword, ValueError, c.InvalidCommand) as exc:
        raise Problem(422, "Cannot change the station's security", str(exc)) from exc
    except c.CommandError as exc:
        raise command_problem(exc) from exc
    return ChangeOut(
        status=outcome.status, steps=outcome.steps, security=await _security_out(domain, station_id)
    )


@router.get("/stations/{station_id}/security", responses={404: {"description": "no such station"}})
async def station_security(station_id: StationId, domain: DomainDep) -> StationSecurityOut:
    """The station's security profile and whether it has a password (never the password)."""
    await _known(domain, station_id)
    return await _security_out(domain, station_id)


@router.post("/stations/{station_id}/security/password", responses=_ERRORS)
async def change_password(
    request: Request, station_id: StationId, domain: DomainDep, sessions: SessionsDep, body: PasswordChange
) -> ChangeOut:
    """Give a connected station a new Basic auth password (1.6 AuthorizationKey, 2.0.1
    BasicAuthPassword). Both passwords work until the station reconnects with the new one."""
    await _known(domain, station_id)
    return await _outcome(
        domain, station_id, _changes(request, sessions).change_password(station_id, body.password)
    )


@router.post("/stations/{station_id}/security/profile", responses=_ERRORS)
async def raise_profile(
    request: Request, station_id: StationId, domain: DomainDep, sessions: SessionsDep, body: ProfileUpgrade
) -> ChangeOut:
    """Move a connected station up to a higher security profile (1.6 SecurityProfile; 2.0.1
    SetNetworkProfile, NetworkConfigurationPriority, Reset). Once it connects at the new profile,
    lower ones are refused."""
    await _known(domain, station_id)
    changes = _changes(request, sessions)
    run = changes.raise_profile(
        station_id, body.profile, csms_url=body.csms_url, configuration_slot=body.configuration_slot
    )
    return await _outcome(domain, station_id, run)


@router.get("/security-events")
async def security_events(
    domain: DomainDep,
    page: PageDep,
    station_id: Annotated[str | None, Query(max_length=48)] = None,
) -> Page[dict[str, Any]]:
    """Security events, newest first (``-id`` only): what stations reported
    (SecurityEventNotification) and what the CSMS noticed (failed logins, refused certificates,
    takeovers)."""
    one_order(page, "-id")
    events = await domain.security.list_events(station_id=station_id, limit=page.limit, offset=page.offset)
    return Page[dict[str, Any]](
        items=[asdict(e) for e in events],
        total=await domain.security.count_events(station_id=station_id),
        limit=page.limit,
        offset=page.offset,
    )
