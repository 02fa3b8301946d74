"""OCPP 1.6 Core transaction flow against a real server, including restart durability."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from opencsms.domain.model import AuthorizationStatus
from opencsms.runtime import Runtime
from tests.e2e.wsclient import RawStation

pytestmark = pytest.mark.e2e

BOOT = {"chargePointVendor": "Acme", "chargePointModel": "AC22"}
T0 = "2026-11-24T10:00:00Z"


def meter_value(ts: str, wh: int) -> dict[str, Any]:
    return {
        "timestamp": ts,
        "sampledValue": [
            {"value": str(wh), "measurand": "Energy.Active.Import.Register", "unit": "Wh"},
            {"value": "7350.5", "measurand": "Power.Active.Import", "unit": "W"},
        ],
    }


async def test_tc_001_csms_cold_boot_charge_point(server: Runtime) -> None:
    """TC_001_CSMS: boot accepted with an interval; status notifications recorded per connector."""
    st = await RawStation.open(server.ocpp_url, "CP-TC001")
    boot = await st.call(
        "BootNotification", {**BOOT, "firmwareVersion": "1.2.3", "chargePointSerialNumber": "S1"}
    )
    assert (
        boot[2]["status"] == "Accepted" and boot[2]["interval"] == 60 and boot[2]["currentTime"].endswith("Z")
    )
    for connector in (0, 1, 2):
        frame = await st.call(
            "StatusNotification", {"connectorId": connector, "errorCode": "NoError", "status": "Available"}
        )
        assert frame == [3, frame[1], {}]
    assert (await st.call("Heartbeat", {}))[2]["currentTime"]
    station = await server.domain.stations.get("CP-TC001")
    assert station is not None and station.firmware_version == "1.2.3" and station.ocpp_version == "1.6"
    assert {c.connector_id: c.status for c in await server.domain.stations.connectors("CP-TC001")} == {
        0: "Available",
        1: "Available",
        2: "Available",
    }
    await st.close()


async def test_tc_003_csms_regular_charging_session_and_restart_loses_nothing(
    server_factory: Callable[..., Any],
) -> None:
    """TC_003_CSMS: the cable first (StatusNotification Preparing), then Authorize and
    StartTransaction (both Accepted) and Charging; plus durability: everything acknowledged before
    a restart (transaction, meter values, connector status) is still there after it."""
    rt: Runtime = await server_factory()
    await rt.domain.tokens.add("TAG-OK")
    st = await RawStation.open(rt.ocpp_url, "CP-TC003")
    await st.call("BootNotification", BOOT)

    async def status(value: str) -> None:
        frame = await st.call(
            "StatusNotification", {"connectorId": 1, "errorCode": "NoError", "status": value}
        )
        assert frame == [3, frame[1], {}]

    await status("Available")
    await status("Preparing")  # the driver plugs in the cable
    connectors = {c.connector_id: c.status for c in await rt.domain.stations.connectors("CP-TC003")}
    assert connectors == {1: "Preparing"}
    auth = await st.call("Authorize", {"idTag": "TAG-OK"})  # then presents the card
    assert auth[2] == {"idTagInfo": {"status": "Accepted"}}
    start = await st.call(
        "StartTransaction", {"connectorId": 1, "idTag": "TAG-OK", "meterStart": 1000, "timestamp": T0}
    )
    tx_id = start[2]["transactionId"]
    assert start[2]["idTagInfo"]["status"] == "Accepted"
    await status("Charging")
    for i in range(3):
        mv = await st.call(
            "MeterValues",
            {
                "connectorId": 1,
                "transactionId": tx_id,
                "meterValue": [meter_value(f"2026-11-24T10:0{i + 1}:00Z", 1000 + 100 * (i + 1))],
            },
        )
        assert mv[0] == 3
    await st.close()
    await rt.stop()  # every message above was acknowledged; a restart must keep all of it

    rt2: Runtime = await server_factory()
    try:
        tx = await rt2.domain.transactions.get(tx_id)
        assert tx is not None and tx.status == "active" and tx.meter_start_wh == 1000
        assert tx.connector_id == 1 and tx.id_token == "TAG-OK"
        connectors = {c.connector_id: c.status for c in await rt2.domain.stations.connectors("CP-TC003")}
        assert connectors == {1: "Charging"}
        values = await rt2.domain.transactions.meter_values_of(tx_id)
        energy = [float(sv.value) for _, sv in values if sv.measurand == "Energy.Active.Import.Register"]
        assert energy == [1100.0, 1200.0, 1300.0]
        assert any(sv.value == "7350.5" for _, sv in values)  # kept verbatim

        st = await RawStation.open(rt2.ocpp_url, "CP-TC003")
        stop = await st.call(
            "StopTransaction",
            {
                "transactionId": tx_id,
                "meterStop": 1450,
                "timestamp": "2026-11-24T10:05:00Z",
                "idTag": "TAG-OK",
                "reason": "EVDisconnected",
                "transactionData": [meter_value("2026-11-24T10:05:00Z", 1450)],
            },
        )
        assert stop[2] == {"idTagInfo": {"status": "Accepted"}}
        await st.close()
        tx = await rt2.domain.transactions.get(tx_id)
        assert tx is not None and tx.status == "ended" and tx.meter_stop_wh == 1450
        assert tx.stop_reason == "EVDisconnected"
        values = await rt2.domain.transactions.meter_values_of(tx_id)
        assert len([1 for _, sv in values if sv.measurand == "Energy.Active.Import.Register"]) == 4
    finally:
        await rt2.stop()


async def test_start_transaction_retried_after_lost_answer_gets_same_id(server: Runtime) -> None:
    st = await RawStation.open(server.ocpp_url, "CP-RETRY")
    payload = {"connectorId": 2, "idTag": "ANY", "meterStart": 5, "timestamp": T0}
    first = await st.call("StartTransaction", payload)
    again = await st.call("StartTransaction", payload)
    assert first[2]["transactionId"] == again[2]["transactionId"]
    assert len(await server.domain.transactions.list(station_id="CP-RETRY")) == 1
    await st.close()


@pytest.mark.parametrize(
    ("setup", "expected"),
    [
        ("unknown", "Invalid"),  # TC_023_1_CSMS
        ("expired", "Expired"),  # TC_023_2_CSMS
        ("blocked", "Blocked"),  # TC_023_3_CSMS
    ],
)
async def test_tc_023_1_023_2_023_3_csms_start_charging_session_authorize_not_accepted(
    server: Runtime, setup: str, expected: str
) -> None:
    """TC_023_1/2/3_CSMS: invalid, expired and blocked tags are told so; the transaction is still stored.

    TC_023_1_CSMS: Authorize of an unknown tag: Invalid.
    TC_023_2_CSMS: Authorize of an expired tag: Expired.
    TC_023_3_CSMS: Authorize of a blocked tag: Blocked.
    """
    from datetime import UTC, datetime

    if setup == "expired":
        await server.domain.tokens.add("TAG-X", expiry_date=datetime(2020, 1, 1, tzinfo=UTC))
    elif setup == "blocked":
        await server.domain.tokens.add("TAG-X", status=AuthorizationStatus.BLOCKED)
    st = await RawStation.open(server.ocpp_url, f"CP-TC023-{setup}")
    assert (await st.call("Authorize", {"idTag": "TAG-X"}))[2]["idTagInfo"]["status"] == expected
    start = await st.call(
        "StartTransaction", {"connectorId": 1, "idTag": "TAG-X", "meterStart": 0, "timestamp": T0}
    )
    assert start[0] == 3 and start[2]["idTagInfo"]["status"] == expected
    assert await server.domain.transactions.get(start[2]["transactionId"]) is not None
    await st.close()


async def test_stop_for_unknown_transaction_is_answered_and_recorded(server: Runtime) -> None:
    st = await RawStation.open(server.ocpp_url, "CP-ORPHAN")
    stop = await st.call(
        "StopTransaction",
        {"transactionId": 987654, "meterStop": 10, "timestamp": T0, "transactionData": [meter_value(T0, 10)]},
    )
    assert stop[0] == 3  # a result, never a CALLERROR: the station would drop the message otherwise
    await st.close()
    values = await server.domain.transactions.meter_values_of_station("CP-ORPHAN")
    assert values, "the orphan stop's meter values were stored"


async def test_meter_values_without_transaction_are_stored(server: Runtime) -> None:
    st = await RawStation.open(server.ocpp_url, "CP-MV")
    frame = await st.call("MeterValues", {"connectorId": 0, "meterValue": [meter_value(T0, 42)]})
    assert frame[0] == 3
    await st.close()
    assert await server.domain.transactions.meter_values_of_station("CP-MV")


async def test_stations_left_marked_connected_by_a_crash_are_disconnected_at_the_next_start(
    server_factory: Callable[..., Any],
) -> None:
    """A crash records no disconnect: a server starting alone marks every station disconnected,
    so a station that never comes back does not show as connected forever."""
    rt: Runtime = await server_factory()
    st = await RawStation.open(rt.ocpp_url, "CP-CRASH")
    await st.call("BootNotification", BOOT)
    await st.close()
    await rt.stop()
    # What a crash leaves behind: the station still marked connected.
    from sqlalchemy import update

    from opencsms.store import Store
    from opencsms.store.schema import stations

    store = await Store.open(rt.settings.database_url)
    try:
        await store.write(lambda c: c.execute(update(stations).values(connected=True)))
    finally:
        await store.close()

    rt2: Runtime = await server_factory()
    try:
        station = await rt2.domain.stations.get("CP-CRASH")
        assert station is not None and not station.connected
        st = await RawStation.open(rt2.ocpp_url, "CP-CRASH")
        await st.call("BootNotification", BOOT)
        station = await rt2.domain.stations.get("CP-CRASH")
        assert station is not None and station.connected
        await st.close()
    finally:
        await rt2.stop()
