"""2.0.1 block P handler: DataTransfer from the station."""

from __future__ import annotations

import pytest

from opencsms.handlers.context import StationContext
from opencsms.handlers.v201.data_transfer import data_transfer
from opencsms.ocppj.errors import SecurityError


async def test_every_vendor_is_unknown(ctx: StationContext) -> None:
    assert await data_transfer(ctx, {"vendorId": "com.acme", "messageId": "m", "data": [1, 2]}) == {
        "status": "UnknownVendorId"
    }


async def test_refused_while_rejected(ctx: StationContext) -> None:
    ctx.registration = "Rejected"
    with pytest.raises(SecurityError):
        await data_transfer(ctx, {"vendorId": "com.acme"})
