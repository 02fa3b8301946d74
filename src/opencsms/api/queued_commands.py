"""Commands queued for offline stations: their status, and cancelling them."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query, Request

from opencsms.api.commands import QueuedCommandOut
from opencsms.api.deps import api_state
from opencsms.api.paging import Page, PageParams, page_params
from opencsms.api.problems import Problem
from opencsms.command_queue import CommandQueue

router = APIRouter(prefix="/api/v1/queued-commands", tags=["commands"])
CommandId = Annotated[int, Path(ge=1, le=2**31 - 1)]
_NOT_FOUND: dict[int | str, dict[str, Any]] = {404: {"description": "no such queued command"}}


def _queue(request: Request) -> CommandQueue:
    queue = api_state(request).command_queue
    if queue is None:
        raise Problem(503, "Unavailable", "command queueing is not running")
    return queue


@router.get("")
async def list_queued_commands(
    request: Request,
    page: Annotated[PageParams, Depends(page_params)],
    station_id: Annotated[str | None, Query(max_length=48)] = None,
    status: Literal["queued", "delivered", "failed", "unanswered", "expired", "cancelled"] | None = None,
) -> Page[QueuedCommandOut]:
    """Queued commands and what became of them, newest first. Sort by id."""
    _, descending = page.sort_key(["id"], "-id")
    found, total = await _queue(request).list(
        station_id=station_id, status=status, descending=descending, limit=page.limit, offset=page.offset
    )
    return Page[QueuedCommandOut](
        items=[QueuedCommandOut.of(q) for q in found], total=total, limit=page.limit, offset=page.offset
    )


@router.get("/{command_id}", responses=_NOT_FOUND)
async def get_queued_command(request: Request, command_id: CommandId) -> QueuedCommandOut:
    """One queued command: queued, delivered (with the station's answer), failed, unanswered (sent,
    no answer: it may have been carried out), expired or cancelled."""
    queued = await _queue(request).get(command_id)
    if queued is None:
        raise Problem(404, "Not found", f"no queued command {command_id}")
    return QueuedCommandOut.of(queued)


@router.delete("/{command_id}", responses={**_NOT_FOUND, 409: {"description": "no longer queued"}})
async def cancel_queued_command(request: Request, command_id: CommandId) -> QueuedCommandOut:
    """Cancel a command that is still waiting."""
    try:
        return QueuedCommandOut.of(await _queue(request).cancel(command_id))
    except LookupError as exc:
        raise Problem(404, "Not found", str(exc)) from exc
    except ValueError as exc:
        raise Problem(409, "Not queued", str(exc)) from exc
