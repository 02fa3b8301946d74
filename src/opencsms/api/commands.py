"""Commands to stations: the station's answer, 409 offline, 504 no answer in time."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Path, Query

from opencsms.api.deps import SessionsDep
from opencsms.api.problems import Problem
from opencsms.api.views import CommandResultOut
from opencsms.domain import commands as c

router = APIRouter(prefix="/api/v1/stations/{station_id}/commands", tags=["commands"])

StationId = Annotated[str, Path(min_length=1, max_length=48)]
Timeout = Annotated[float | None, Query(gt=0, le=300, description="seconds to wait for the answer")]
COMMAND_ERRORS: dict[int | str, dict[str, Any]] = {
    404: {"description": "unknown command"},
    409: {"description": "the station is offline"},
    422: {"description": "invalid arguments"},
    502: {"description": "the station answered with a CALLERROR"},
    504: {"description": "the station did not answer in time"},
}


async def run_command(
    sessions: SessionsDep, station_id: str, command: c.Command, timeout: float | None
) -> CommandResultOut:
    """Send ``command`` and turn what can go wrong into problems."""
    try:
        result = await sessions.execute(station_id, command, timeout)
    except c.UnknownCommand as exc:
        raise Problem(404, "Unknown command", str(exc)) from exc
    except c.InvalidCommand as exc:
        raise Problem(422, "Invalid command", str(exc)) from exc
    except c.StationOffline as exc:
        raise Problem(409, "Station offline", str(exc)) from exc
    except c.CommandTimeout as exc:
        raise Problem(504, "Station did not answer", str(exc)) from exc
    except c.CommandRejected as exc:
        raise Problem(502, "Station refused the call", str(exc)) from exc
    return CommandResultOut(
        action=result.action, status=result.status, response=result.response, request=result.request
    )


@router.post("/{command}", responses=COMMAND_ERRORS)
async def send_command(
    station_id: StationId,
    command: Annotated[str, Path(max_length=64)],
    sessions: SessionsDep,
    args: Annotated[dict[str, Any] | None, Body()] = None,
    timeout: Timeout = None,
) -> CommandResultOut:
    """Send a version-neutral command by name (reset, remote_start, remote_stop, ...) with its
    arguments as JSON; returns the station's answer."""
    try:
        cmd = c.command_from_dict({"command": command, "args": args or {}})
    except c.UnknownCommand as exc:
        raise Problem(404, "Unknown command", str(exc)) from exc
    except c.InvalidCommand as exc:
        raise Problem(422, "Invalid command", str(exc)) from exc
    return await run_command(sessions, station_id, cmd, timeout)
