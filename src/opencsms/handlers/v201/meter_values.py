"""2.0.1 block J, Meter values: MeterValues outside transactions (station -> CSMS)."""

from __future__ import annotations

from opencsms.handlers.context import Handler, Payload, StationContext
from opencsms.handlers.v201.common import meter_samples


async def meter_values(ctx: StationContext, payload: Payload) -> Payload:
    """J01.FR.01: store every sampled value as sent (evseId 0 is the main meter)."""
    await ctx.domain.transactions.meter_values(
        ctx.station_id, meter_samples(ctx, payload["meterValue"]), evse_id=payload["evseId"]
    )
    return {}


HANDLERS: dict[str, Handler] = {"MeterValues": meter_values}
