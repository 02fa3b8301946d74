"""Commands to stations: one endpoint per operator action, the same for OCPP 1.6 and 2.0.1.

Each answers with the station's answer; 409 when the station is offline (unless ``queue=true``:
then 202 and the command waits for the station's next boot), 404 for a station never seen nor
registered, 504 when the call went out but no answer came (in time, or before the station
disconnected: it may have acted on it, so it is not queued unless ``resend=true``).
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Body, Path, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from opencsms.api.deps import PrincipalDep, SessionsDep, api_state
from opencsms.api.problems import (
    SENT_NO_ANSWER,
    STATION_OFFLINE,
    UNKNOWN_STATION,
    Problem,
    command_problem,
)
from opencsms.api.request_body import FORBID_UNKNOWN_FIELDS
from opencsms.api.views import CommandResultOut
from opencsms.auth import Principal
from opencsms.command_queue import QueuedCommand
from opencsms.domain import commands as c
from opencsms.sessions import SessionManager

router = APIRouter(prefix="/api/v1/stations/{station_id}/commands", tags=["commands"])

StationId = Annotated[str, Path(min_length=1, max_length=48)]
Timeout = Annotated[float | None, Query(gt=0, le=300, description="seconds to wait for the answer")]
Queue = Annotated[
    bool, Query(description="if the station is offline, queue the command (202) instead of 409")
]
ExpiresIn = Annotated[int, Query(ge=1, le=30 * 86400, description="seconds a queued command waits at most")]
Resend = Annotated[
    bool,
    Query(
        description="with queue=true, also queue a command the station received but did not answer "
        "before it disconnected (sent again after its next boot, it may run twice)"
    ),
]


class QueuedCommandOut(BaseModel):
    id: int
    station_id: str
    command: str
    args: dict[str, Any]
    status: str
    created_at: datetime
    expires_at: datetime
    finished_at: datetime | None
    result: dict[str, Any] | None
    error: str | None
    created_by: str | None

    @classmethod
    def of(cls, queued: QueuedCommand) -> QueuedCommandOut:
        return cls(
            id=queued.id,
            station_id=queued.station_id,
            command=queued.command,
            args=queued.args,
            status=queued.status,
            created_at=queued.created_at,
            expires_at=queued.expires_at,
            finished_at=queued.finished_at,
            result=queued.result,
            error=queued.error,
            created_by=queued.created_by,
        )


COMMAND_ERRORS: dict[int | str, dict[str, Any]] = {
    202: {"model": QueuedCommandOut, "description": "the station is offline; the command is queued"},
    404: {"description": "unknown command, or a station never seen nor registered"},
    409: {"description": "the station is offline: the command was not sent"},
    422: {"description": "invalid arguments"},
    502: {"description": "the station answered with a CALLERROR"},
    504: {"description": "sent, no answer: the station did not answer in time or disconnected first"},
}


async def run_command(
    request: Request,
    sessions: SessionManager,
    station_id: str,
    command: c.Command,
    timeout: float | None,
    *,
    queue: bool = False,
    expires_in: int = 3600,
    resend: bool = False,
    principal: Principal | None = None,
) -> CommandResultOut | JSONResponse:
    """Send ``command`` (or queue it when asked and the station is offline); problems for failures.

    A command the station may have received (it disconnected before answering) is queued only
    with ``resend``: sent again after the next boot, it could run twice (a second Hard reset).
    """
    state = api_state(request)
    try:
        result = await sessions.execute(station_id, command, timeout)
    except c.StationOffline as exc:
        if await state.domain.stations.get(station_id) is None:
            raise Problem(
                404,
                "Unknown station",
                f"no station {station_id} has connected or been registered; register a station that "
                "is expected (POST /api/v1/stations, opencsms station add) to queue commands for it",
                UNKNOWN_STATION,
            ) from exc
        if not queue or state.command_queue is None:
            detail = f"{exc}; the command was not sent (add ?queue=true to queue it for the next boot)"
            raise Problem(409, "Station offline", detail, STATION_OFFLINE) from exc
        return await _enqueue(request, station_id, command, expires_in, principal)
    except c.SentNoAnswer as exc:
        if queue and resend and state.command_queue is not None:
            return await _enqueue(request, station_id, command, expires_in, principal)
        detail = (
            f"{exc}; it was not queued (to send it again after the next boot all the same, "
            "add ?queue=true&resend=true)"
        )
        raise Problem(504, "Station disconnected before answering", detail, SENT_NO_ANSWER) from exc
    except c.CommandError as exc:
        raise command_problem(exc) from exc
    return CommandResultOut(
        action=result.action, status=result.status, response=result.response, request=result.request
    )


async def _enqueue(
    request: Request, station_id: str, command: c.Command, expires_in: int, principal: Principal | None
) -> JSONResponse:
    command_queue = api_state(request).command_queue
    assert command_queue is not None
    now = datetime.now().astimezone()
    queued = await command_queue.enqueue(
        station_id, command, now + timedelta(seconds=expires_in), principal.name if principal else None
    )
    return JSONResponse(QueuedCommandOut.of(queued).model_dump(mode="json"), status_code=202)


def _typed_endpoint(command_type: type[c.Command]) -> Callable[..., Awaitable[Any]]:
    """An endpoint taking ``command_type``'s fields as its JSON body (all optional fields may be left out)."""
    body_required = any(
        f.default is inspect.Parameter.empty for f in inspect.signature(command_type).parameters.values()
    )

    async def endpoint(
        request: Request,
        station_id: str,
        sessions: SessionManager,
        principal: Principal,
        args: Any = None,
        timeout: float | None = None,
        queue: bool = False,
        expires_in: int = 3600,
        resend: bool = False,
    ) -> CommandResultOut | JSONResponse:
        command = args if args is not None else command_type()  # type: ignore[call-arg]
        return await run_command(
            request,
            sessions,
            station_id,
            command,
            timeout,
            queue=queue,
            expires_in=expires_in,
            resend=resend,
            principal=principal,
        )

    body = Annotated[command_type, Body()] if body_required else Annotated[command_type | None, Body()]
    parameter = inspect.Parameter
    endpoint.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
        [
            parameter("request", parameter.POSITIONAL_OR_KEYWORD, annotation=Request),
            parameter("station_id", parameter.POSITIONAL_OR_KEYWORD, annotation=StationId),
            parameter("sessions", parameter.POSITIONAL_OR_KEYWORD, annotation=SessionsDep),
            parameter("principal", parameter.POSITIONAL_OR_KEYWORD, annotation=PrincipalDep),
            parameter(
                "args",
                parameter.POSITIONAL_OR_KEYWORD,
                annotation=body,
                **({} if body_required else {"default": None}),
            ),
            parameter("timeout", parameter.KEYWORD_ONLY, annotation=Timeout, default=None),
            parameter("queue", parameter.KEYWORD_ONLY, annotation=Queue, default=False),
            parameter("expires_in", parameter.KEYWORD_ONLY, annotation=ExpiresIn, default=3600),
            parameter("resend", parameter.KEYWORD_ONLY, annotation=Resend, default=False),
        ],
        return_annotation=CommandResultOut,
    )
    return endpoint


_SUMMARIES = {
    "reset": "Reset the station (1.6 Reset, 2.0.1 Reset)",
    "remote_start": "Start a charging session (1.6 RemoteStartTransaction, 2.0.1 RequestStartTransaction)",
    "remote_stop": "Stop a transaction by its opencsms id (RemoteStopTransaction, RequestStopTransaction)",
    "unlock_connector": "Unlock a connector (1.6 and 2.0.1 UnlockConnector)",
    "change_availability": "Make the station, an EVSE or a connector (in)operative (ChangeAvailability)",
    "trigger_message": "Ask the station to send a message now (TriggerMessage)",
    "get_configuration": "Read configuration (1.6 GetConfiguration, 2.0.1 GetVariables)",
    "set_configuration": "Change configuration (1.6 ChangeConfiguration, 2.0.1 SetVariables)",
    "clear_cache": "Clear the authorization cache (ClearCache)",
    "data_transfer": "Vendor-specific data (DataTransfer)",
    "get_transaction_status": "Ask whether transaction messages are queued on the station (2.0.1 E14)",
    "get_log": "Have the station upload its diagnostics or security log (GetLog)",
    "customer_information": "Have a 2.0.1 station report and/or clear what it holds about a customer",
    "call": "Any call of the station's OCPP version, payload as the spec gives it",
}

for _name, _command_type in c.OPERATOR_COMMANDS.items():
    # The command dataclasses are the bodies: like every body, an unknown field is a 422.
    _command_type.__pydantic_config__ = FORBID_UNKNOWN_FIELDS  # type: ignore[union-attr]
    router.add_api_route(
        f"/{_name}",
        _typed_endpoint(_command_type),
        methods=["POST"],
        summary=_SUMMARIES.get(_name) or (_command_type.__doc__ or _name).strip().splitlines()[0],
        responses=COMMAND_ERRORS,
        response_model=CommandResultOut,
        name=f"command_{_name}",
    )


@router.post("/{command}", responses=COMMAND_ERRORS, response_model=CommandResultOut)
async def send_command(
    request: Request,
    station_id: StationId,
    command: Annotated[str, Path(max_length=64)],
    sessions: SessionsDep,
    principal: PrincipalDep,
    args: Annotated[dict[str, Any] | None, Body()] = None,
    timeout: Timeout = None,
    queue: Queue = False,
    expires_in: ExpiresIn = 3600,
    resend: Resend = False,
) -> CommandResultOut | JSONResponse:
    """Any command by name with its arguments as JSON (the CLI uses it)."""
    if command in c.PROCEDURE_STEPS:
        raise Problem(404, "Unknown command", f"{command} is a step of /security/...: use that endpoint")
    try:
        cmd = c.command_from_dict({"command": command, "args": args or {}})
    except c.UnknownCommand as exc:
        raise Problem(404, "Unknown command", str(exc)) from exc
    except c.InvalidCommand as exc:
        raise Problem(422, "Invalid command", str(exc)) from exc
    return await run_command(
        request,
        sessions,
        station_id,
        cmd,
        timeout,
        queue=queue,
        expires_in=expires_in,
        resend=resend,
        principal=principal,
    )
