"""2.0.1 block P, DataTransfer (station -> CSMS)."""

from __future__ import annotations

from opencsms.handlers.context import Handler, Payload, StationContext
from opencsms.handlers.registration import refuse_unless_accepted


async def data_transfer(ctx: StationContext, payload: Payload) -> Payload:
    """P01.FR.05: no vendor extension is configured, so every vendor id is unknown."""
    refuse_unless_accepted(ctx, "DataTransfer")
    return {"status": "UnknownVendorId"}


HANDLERS: dict[str, Handler] = {"DataTransfer": data_transfer}
