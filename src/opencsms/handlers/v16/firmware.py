"""OCPP 1.6 Firmware Management profile and the security extension's signed firmware and log
upload, station -> CSMS: the statuses a charge point reports.

The CSMS starts updates and uploads with the update_firmware, get_diagnostics and get_log
commands; a charge point also sends these statuses when asked by a TriggerMessage (Idle). Each is
answered and passed on to the event stream.
"""

from __future__ import annotations

from opencsms.handlers.context import Handler, Payload, StationContext
from opencsms.handlers.v16.core import refuse_if_rejected


async def firmware_status_notification(ctx: StationContext, payload: Payload) -> Payload:
    """1.6 section 4.5 (FirmwareStatusNotification): the update's progress, or Idle."""
    refuse_if_rejected(ctx, "FirmwareStatusNotification")
    ctx.domain.stations.job_status(ctx.station_id, "firmware", payload["status"], None)
    return {}


async def diagnostics_status_notification(ctx: StationContext, payload: Payload) -> Payload:
    """1.6 section 4.4 (DiagnosticsStatusNotification): the upload's progress, or Idle."""
    refuse_if_rejected(ctx, "DiagnosticsStatusNotification")
    ctx.domain.stations.job_status(ctx.station_id, "diagnostics", payload["status"], None)
    return {}


async def signed_firmware_status_notification(ctx: StationContext, payload: Payload) -> Payload:
    """Whitepaper § 4.2 (SignedFirmwareStatusNotification): a signed update's progress."""
    refuse_if_rejected(ctx, "SignedFirmwareStatusNotification")
    ctx.domain.stations.job_status(ctx.station_id, "firmware", payload["status"], payload.get("requestId"))
    return {}


async def log_status_notification(ctx: StationContext, payload: Payload) -> Payload:
    """Whitepaper § 5.3 (LogStatusNotification): a log upload's progress, or Idle."""
    refuse_if_rejected(ctx, "LogStatusNotification")
    ctx.domain.stations.job_status(ctx.station_id, "log", payload["status"], payload.get("requestId"))
    return {}


HANDLERS: dict[str, Handler] = {
    "FirmwareStatusNotification": firmware_status_notification,
    "DiagnosticsStatusNotification": diagnostics_status_notification,
    "SignedFirmwareStatusNotification": signed_firmware_status_notification,
    "LogStatusNotification": log_status_notification,
}
