"""GET /api/v1/events: the live event stream as server-sent events.

Each event is ``event: <kind>`` with ``data: {"kind", "station_id", "data", "at"}``; kinds include
``station.connected``, ``station.disconnected``, ``station.booted``, ``station.firmware_status``,
``station.log_status``, ``station.customer_information``, ``connector.status``,
``transaction.started``, ``transaction.updated`` (live ``power_w`` and ``energy_wh``),
``transaction.ended`` and, from the security features, ``security.*``. Live only: a client that
reconnects gets events from then on. Browsers authenticate with the session cookie.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Annotated

import orjson
from fastapi import APIRouter, Query
from fastapi.responses import StreamingResponse

from opencsms.api.deps import BusDep
from opencsms.bus import EventFilter, Subscription

router = APIRouter(prefix="/api/v1/events", tags=["events"])

KEEPALIVE_SECONDS = 15.0


async def event_stream(
    subscription: Subscription, keepalive: float = KEEPALIVE_SECONDS
) -> AsyncIterator[bytes]:
    """SSE frames for the subscription's events, a comment line when idle; ends when it is closed."""
    sequence = 0
    try:
        yield b": opencsms event stream\n\n"
        while True:
            try:
                event = await asyncio.wait_for(subscription.get(), keepalive)
            except TimeoutError:
                yield b": keepalive\n\n"
                continue
            except EOFError:
                return
            sequence += 1
            body = orjson.dumps(
                {
                    "kind": event.kind,
                    "station_id": event.station_id,
                    "data": event.data,
                    "at": datetime.now(UTC).isoformat(),
                },
                default=str,
            )
            yield b"id: %d\nevent: %s\ndata: %s\n\n" % (sequence, event.kind.encode(), body)
    finally:
        subscription.close()


@router.get(
    "",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/event-stream": {}}, "description": "server-sent events"}},
)
async def events(
    bus: BusDep,
    station_id: Annotated[list[str] | None, Query(max_length=50, description="only these stations")] = None,
    kind: Annotated[
        list[str] | None, Query(max_length=50, description="only these kinds; `transaction.*` for a family")
    ] = None,
) -> StreamingResponse:
    """Live events, filtered by station and kind (repeat a parameter for several)."""
    subscription = bus.subscribe(EventFilter.of(kind, station_id), max_queued=1000)
    return StreamingResponse(
        event_stream(subscription),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )
