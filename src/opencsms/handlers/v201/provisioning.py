"""2.0.1 block B, Provisioning: BootNotification, Heartbeat, NotifyReport (station -> CSMS)."""

from __future__ import annotations

from opencsms.domain.model import BootInfo
from opencsms.handlers.context import Handler, Payload, StationContext, format_datetime
from opencsms.handlers.registration import forget_triggers, refuse_unless_accepted
from opencsms.handlers.v201.variables import report_attributes


async def boot_notification(ctx: StationContext, payload: Payload) -> Payload:
    """B01.FR.01-05, B02, B03: register the station; Accepted/Pending/Rejected with an interval."""
    station = payload["chargingStation"]
    modem = station.get("modem") or {}
    info = BootInfo(
        vendor=station["vendorName"],
        model=station["model"],
        serial_number=station.get("serialNumber"),
        firmware_version=station.get("firmwareVersion"),
        iccid=modem.get("iccid"),
        imsi=modem.get("imsi"),
        reason=payload.get("reason"),
    )
    decision = await ctx.domain.stations.boot(ctx.station_id, info, ctx.clock())
    ctx.registration = str(decision.status)
    forget_triggers(ctx)
    return {
        "status": str(decision.status),
        "currentTime": format_datetime(decision.current_time),
        "interval": decision.interval,
    }


async def heartbeat(ctx: StationContext, payload: Payload) -> Payload:
    """G02.FR.01 / B: answer with the current time."""
    refuse_unless_accepted(ctx, "Heartbeat")
    now = await ctx.domain.stations.heartbeat(ctx.station_id, ctx.clock())
    return {"currentTime": format_datetime(now)}


async def notify_report(ctx: StationContext, payload: Payload) -> Payload:
    """B07/B08: one part (seqNo, tbc) of a base report or custom report; kept in the device model.

    A Pending station may send it (B02.FR.09), a Rejected one not (B03.FR.07).
    """
    refuse_unless_accepted(ctx, "NotifyReport")
    await ctx.domain.device_model.store_report(
        ctx.station_id,
        request_id=payload["requestId"],
        seq_no=payload["seqNo"],
        tbc=bool(payload.get("tbc", False)),
        attributes=report_attributes(payload.get("reportData") or []),
        now=ctx.clock(),
    )
    return {}


__all__ = ["HANDLERS", "refuse_unless_accepted"]

HANDLERS: dict[str, Handler] = {
    "BootNotification": boot_notification,
    "Heartbeat": heartbeat,
    "NotifyReport": notify_report,
}
