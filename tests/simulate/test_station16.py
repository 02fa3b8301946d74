"""The step-by-step API of SimulatedStation16 against the in-test CSMS."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import pytest
from websockets.asyncio.server import ServerConnection, serve

from opencsms.ocppj import UsageError
from opencsms.simulate import SimulatedStation16
from opencsms.transport.connection import ConnectionLost
from tests.simulate.csms import FakeCsms

MEASURANDS = {
    "Energy.Active.Import.Register": "Wh",
    "Power.Active.Import": "W",
    "Current.Import": "A",
    "Voltage": "V",
    "SoC": "Percent",
}


async def test_boot_applies_interval_and_statuses_follow(
    csms: FakeCsms, make_station: Callable[..., SimulatedStation16]
) -> None:
    st = make_station()
    await st.connect()
    assert st.connected and not st.online.is_set()
    assert await st.boot() == "Accepted"
    assert st.online.is_set()
    assert st.heartbeat_interval == 60
    assert st.configuration.value("HeartbeatInterval") == "60"
    boot = csms.calls("BootNotification")[0]
    assert boot["chargePointVendor"] == "opencsms" and boot["chargePointSerialNumber"] == "SN-CP1"

    await st.announce_statuses()
    assert [p["connectorId"] for p in csms.calls("StatusNotification")] == [0, 1, 2]
    await st.send_status(2, "Faulted", error_code="GroundFailure")
    assert csms.calls("StatusNotification")[-1]["errorCode"] == "GroundFailure"
    assert st.connectors[2].status == "Faulted"
    assert await st.heartbeat()
    assert csms.actions() == ["BootNotification", *["StatusNotification"] * 4, "Heartbeat"]


async def test_boot_pending_leaves_station_offline(make_station: Callable[..., SimulatedStation16]) -> None:
    async with FakeCsms(boot_statuses=("Pending",), interval=30) as pending:
        st = make_station(url=pending.url)
        await st.connect()
        assert await st.boot() == "Pending"
        assert not st.online.is_set() and st.boot_interval == 30
        await st.disconnect()


async def test_full_charging_session(csms: FakeCsms, station: SimulatedStation16) -> None:
    assert await station.authorize("TAG-1") == "Accepted"
    register_before = station.connectors[1].energy_wh
    transaction_id = await station.start_transaction(1, "TAG-1")
    assert transaction_id == 1
    start = csms.calls("StartTransaction")[0]
    assert start["meterStart"] == round(register_before) and start["idTag"] == "TAG-1"

    for _ in range(4):
        await asyncio.sleep(0.05)
        await station.send_meter_values(1)
    samples = csms.calls("MeterValues")
    assert len(samples) == 4
    registers = []
    for payload in samples:
        assert payload["transactionId"] == transaction_id and payload["connectorId"] == 1
        values = payload["meterValue"][0]["sampledValue"]
        assert all(v["context"] == "Sample.Periodic" and isinstance(v["value"], str) for v in values)
        assert {v["measurand"]: v["unit"] for v in values} == MEASURANDS
        assert [v["phase"] for v in values if v["measurand"] == "Current.Import"] == ["L1", "L2", "L3"]
        registers.append(
            float(next(v["value"] for v in values if v["measurand"] == "Energy.Active.Import.Register"))
        )
        power = float(next(v["value"] for v in values if v["measurand"] == "Power.Active.Import"))
        assert 0 < power <= 22_000
    assert registers == sorted(registers) and registers[-1] > registers[0] > register_before

    answer = await station.stop_transaction(1)
    assert answer == {"idTagInfo": {"status": "Accepted"}}
    stop = csms.calls("StopTransaction")[0]
    assert stop["transactionId"] == transaction_id and stop["reason"] == "Local"
    assert stop["meterStop"] >= round(registers[-1])
    begin, end = stop["transactionData"]
    assert begin["sampledValue"][0]["context"] == "Transaction.Begin"
    assert float(begin["sampledValue"][0]["value"]) == pytest.approx(register_before)
    assert end["sampledValue"][0]["context"] == "Transaction.End"
    assert float(end["sampledValue"][0]["value"]) >= registers[-1]
    assert station.connectors[1].transaction is None
    assert station.stats.sessions_started == station.stats.sessions_completed == 1


async def test_meter_values_without_transaction_and_misuse(
    csms: FakeCsms, station: SimulatedStation16
) -> None:
    await station.send_meter_values(2)
    payload = csms.calls("MeterValues")[0]
    assert "transactionId" not in payload
    assert {v["measurand"] for v in payload["meterValue"][0]["sampledValue"]} == set(MEASURANDS) - {"SoC"}
    with pytest.raises(UsageError):
        await station.stop_transaction(1)
    with pytest.raises(UsageError):
        await station.send_status(3, "Available")
    await station.start_transaction(1, "TAG-1")
    with pytest.raises(UsageError):
        await station.start_transaction(1, "TAG-1")


async def test_calls_after_disconnect_raise_connection_lost(station: SimulatedStation16) -> None:
    await station.disconnect()
    assert not station.connected
    with pytest.raises(ConnectionLost):
        await station.heartbeat()
    await station.connect()
    assert await station.boot() == "Accepted"


async def test_password_sends_basic_auth(
    csms: FakeCsms, make_station: Callable[..., SimulatedStation16]
) -> None:
    st = make_station("CP-AUTH", password="s3cret")
    await st.connect()
    await csms.wait_until(lambda: "CP-AUTH" in csms.headers)
    assert csms.headers["CP-AUTH"]["Authorization"] == "Basic Q1AtQVVUSDpzM2NyZXQ="


async def test_a_server_without_ocpp1_6_is_refused(make_station: Callable[..., SimulatedStation16]) -> None:
    async def echo(websocket: ServerConnection) -> None:
        await websocket.wait_closed()

    async with serve(echo, "127.0.0.1", 0) as server:  # picks no subprotocol
        port = next(iter(server.sockets)).getsockname()[1]
        st = make_station(url=f"ws://127.0.0.1:{port}/ocpp")
        with pytest.raises(ConnectionError, match=r"ocpp1\.6"):
            await st.connect()
        assert not st.connected and st.stats.connect_failures == 1


async def test_run_twice_is_a_usage_error(station: SimulatedStation16) -> None:
    running = asyncio.create_task(station.run())
    await asyncio.sleep(0)
    with pytest.raises(UsageError):
        await station.run()
    running.cancel()
    await asyncio.gather(running, return_exceptions=True)
    assert not station.connected
