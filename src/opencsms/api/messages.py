"""The raw OCPP message log of a station: every frame in and out, newest first by default."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path, Query, Request
from pydantic import BaseModel

from opencsms import message_log
from opencsms.api.deps import api_state
from opencsms.api.paging import Page, PageParams, page_params

router = APIRouter(prefix="/api/v1/stations/{station_id}/messages", tags=["stations"])


class FrameOut(BaseModel):
    id: int
    station_id: str
    direction: Literal["in", "out"]
    timestamp: datetime
    frame: str


@router.get("")
async def list_messages(
    request: Request,
    station_id: Annotated[str, Path(min_length=1, max_length=48)],
    page: Annotated[PageParams, Depends(page_params)],
    direction: Literal["in", "out"] | None = None,
    timestamp_from: Annotated[datetime | None, Query(description="at or after (ISO 8601)")] = None,
    timestamp_to: Annotated[datetime | None, Query(description="before (ISO 8601)")] = None,
) -> Page[FrameOut]:
    """Frames as they went over the wire (``in``: from the station). Sort by id or timestamp.
    Kept for ``OPENCSMS_MESSAGE_LOG_RETENTION_DAYS``; written within a second of the frame. With
    the log turned off (a retention of 0) the list is empty."""
    _, descending = page.sort_key(message_log.SORTABLE, "-id")
    log = api_state(request).message_log
    if log is None:
        return Page[FrameOut](items=[], total=0, limit=page.limit, offset=page.offset)
    frames, total = await message_log.frames_of(
        log.frames,
        station_id,
        direction=direction,
        since=timestamp_from,
        until=timestamp_to,
        descending=descending,
        limit=page.limit,
        offset=page.offset,
    )
    items = [
        FrameOut.model_validate(
            {
                "id": f.id,
                "station_id": f.station_id,
                "direction": f.direction,
                "timestamp": f.timestamp,
                "frame": f.frame,
            }
        )
        for f in frames
    ]
    return Page[FrameOut](items=items, total=total, limit=page.limit, offset=page.offset)
