"""2.0.1 block L (Firmware Management), CSMS side: FirmwareStatusNotification (station -> CSMS).

The CSMS starts no firmware updates itself yet, but a station answers a TriggerMessage for
FirmwareStatusNotification (F06) with its current state (Idle), which must be taken.
"""

from __future__ import annotations

from opencsms.handlers.context import Handler, Payload, StationContext
from opencsms.handlers.registration import refuse_unless_accepted


async def firmware_status_notification(ctx: StationContext, payload: Payload) -> Payload:
    """L01.FR.01 (FirmwareStatusNotification): the update's progress, or Idle."""
    refuse_unless_accepted(ctx, "FirmwareStatusNotification")
    ctx.domain.stations.job_status(ctx.station_id, "firmware", payload["status"], payload.get("requestId"))
    return {}


HANDLERS: dict[str, Handler] = {"FirmwareStatusNotification": firmware_status_notification}
