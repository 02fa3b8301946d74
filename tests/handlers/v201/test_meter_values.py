"""2.0.1 block J handler: MeterValues outside transactions."""

from __future__ import annotations

import json

from opencsms.handlers.context import StationContext
from opencsms.handlers.v201.meter_values import meter_values


async def test_every_sampled_value_is_stored_as_sent(ctx: StationContext) -> None:
    signed = {"signedMeterData": "ab", "signingMethod": "m", "encodingMethod": "OCMF", "publicKey": "k"}
    payload = {
        "evseId": 0,
        "meterValue": [
            {
                "timestamp": "2026-11-24T09:00:00Z",
                "sampledValue": [
                    {"value": 1.5, "unitOfMeasure": {"unit": "kWh"}, "signedMeterValue": signed},
                    {"value": 400, "measurand": "Voltage", "phase": "L1-L2", "context": "Trigger"},
                ],
            }
        ],
    }
    assert await meter_values(ctx, payload) == {}
    stored = [sv for _, sv in await ctx.domain.transactions.meter_values_of_station("CS1")]
    assert [(sv.measurand, sv.value, sv.unit, sv.phase, sv.context) for sv in stored] == [
        ("Energy.Active.Import.Register", "1.5", "kWh", None, "Sample.Periodic"),
        ("Voltage", "400", "Wh", "L1-L2", "Trigger"),
    ]
    assert stored[0].signed_data is not None and json.loads(stored[0].signed_data) == signed
