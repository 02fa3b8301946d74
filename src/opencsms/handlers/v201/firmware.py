"""2.0.1 block L (Firmware Management), CSMS side: FirmwareStatusNotification (station -> CSMS).

The update_firmware command starts an update (L01 UpdateFirmware); the station's progress, and its
current state when a TriggerMessage asks (F06, Idle), go to the event stream with the request id.
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
