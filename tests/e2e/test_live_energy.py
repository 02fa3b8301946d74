"""Live energy of sessions that run across a restart: the events count from the stored start."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest

from opencsms.bus import EventFilter
from opencsms.runtime import Runtime
from tests.e2e.wsclient import RawStation

pytestmark = pytest.mark.e2e

T0 = "2026-11-24T10:00:00Z"


def register(ts: str, wh: int) -> dict[str, Any]:
    return {
        "timestamp": ts,
        "sampledValue": [
            {"value": wh, "measurand": "Energy.Active.Import.Register", "unitOfMeasure": {"unit": "Wh"}}
        ],
    }


def register_16(ts: str, wh: int) -> dict[str, Any]:
    return {"timestamp": ts, "sampledValue": [{"value": str(wh), "unit": "Wh"}]}


def event_201(kind: str, seq: int, ts: str, **extra: Any) -> dict[str, Any]:
    trigger = {"Started": "CablePluggedIn", "Updated": "MeterValuePeriodic"}[kind]
    payload = {"eventType": kind, "timestamp": ts, "triggerReason": trigger, "seqNo": seq}
    return payload | {"transactionInfo": {"transactionId": "tx-live"}} | extra


async def online(rt: Runtime) -> tuple[RawStation, RawStation]:
    v16 = await RawStation.open(rt.ocpp_url, "CP-LIVE-16")
    boot = await v16.call("BootNotification", {"chargePointVendor": "Acme", "chargePointModel": "AC22"})
    assert boot[2]["status"] == "Accepted"
    v201 = await RawStation.open(rt.ocpp_url, "CP-LIVE-201", ("ocpp2.0.1",))
    station = {"model": "DC50", "vendorName": "Acme"}
    boot = await v201.call("BootNotification", {"reason": "PowerUp", "chargingStation": station})
    assert boot[2]["status"] == "Accepted"
    return v16, v201


async def test_live_energy_of_sessions_running_across_a_restart_counts_from_their_start(
    server_factory: Callable[..., Any],
) -> None:
    """A 1.6 session (meterStart 1000 Wh) and a 2.0.1 session whose Started event had no reading
    (its first reading, 700 Wh, is where it counts from) keep their energy across a restart."""
    rt = await server_factory()
    try:
        v16, v201 = await online(rt)
        start = {"connectorId": 1, "idTag": "TAG", "meterStart": 1000, "timestamp": T0}
        transaction_id = (await v16.call("StartTransaction", start))[2]["transactionId"]
        meter = {"connectorId": 1, "transactionId": transaction_id, "meterValue": [register_16(T0, 1200)]}
        assert (await v16.call("MeterValues", meter))[0] == 3
        started = event_201("Started", 0, T0, evse={"id": 1, "connectorId": 1})
        assert (await v201.call("TransactionEvent", started))[0] == 3
        updated = event_201("Updated", 1, T0, meterValue=[register(T0, 700)])
        assert (await v201.call("TransactionEvent", updated))[0] == 3
        await asyncio.gather(v16.close(), v201.close())
    finally:
        await rt.stop()

    rt = await server_factory()
    try:
        events = rt.bus.subscribe(EventFilter.of(["transaction.updated"]))
        v16, v201 = await online(rt)
        meter = {"connectorId": 1, "transactionId": transaction_id, "meterValue": [register_16(T0, 3000)]}
        assert (await v16.call("MeterValues", meter))[0] == 3
        updated = event_201("Updated", 2, T0, meterValue=[register(T0, 950)])
        assert (await v201.call("TransactionEvent", updated))[0] == 3
        live = {}
        for _ in range(2):
            event = await asyncio.wait_for(events.get(), 5)
            live[event.station_id] = event.data
        assert live["CP-LIVE-16"]["energy_wh"] == 2000.0
        assert (live["CP-LIVE-201"]["energy_wh"], live["CP-LIVE-201"]["evse_id"]) == (250.0, 1)
        await asyncio.gather(v16.close(), v201.close())
    finally:
        await rt.stop()
