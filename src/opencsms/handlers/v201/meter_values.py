"""2.0.1 block J, Meter values: MeterValues outside transactions (station -> CSMS)."""

from __future__ import annotations

from opencsms.domain.transactions import MeterQuotaExceeded
from opencsms.handlers.context import Handler, Payload, StationContext
from opencsms.handlers.v201.common import meter_samples
from opencsms.ocppj.errors import OccurrenceConstraintViolation


async def meter_values(ctx: StationContext, payload: Payload) -> Payload:
    """J01.FR.01: store every sampled value as sent (evseId 0 is the main meter). A message over
    the per-message quota gets OccurrenceConstraintViolation; nothing of it is stored."""
    try:
        await ctx.domain.transactions.meter_values(
            ctx.station_id, meter_samples(ctx, payload["meterValue"]), evse_id=payload["evseId"]
        )
    except MeterQuotaExceeded as exc:
        raise OccurrenceConstraintViolation(str(exc)) from None
    return {}


HANDLERS: dict[str, Handler] = {"MeterValues": meter_values}
