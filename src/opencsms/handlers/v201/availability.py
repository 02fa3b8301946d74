"""2.0.1 block G, Availability: StatusNotification (station -> CSMS)."""

from __future__ import annotations

from opencsms.handlers.context import Handler, Payload, StationContext, parse_datetime
from opencsms.handlers.registration import refuse_unless_accepted


async def status_notification(ctx: StationContext, payload: Payload) -> Payload:
    """G01.FR.01: record the connector status of an EVSE."""
    refuse_unless_accepted(ctx, "StatusNotification")
    now = ctx.clock()
    await ctx.domain.stations.status(
        ctx.station_id,
        payload["connectorId"],
        payload["connectorStatus"],
        now,
        evse_id=payload["evseId"],
        timestamp=parse_datetime(payload.get("timestamp"), now),
    )
    return {}


HANDLERS: dict[str, Handler] = {"StatusNotification": status_notification}
