"""Billing against a real server: a 1.6 and a 2.0.1 station charge under a time-of-use tariff with
an idle fee; their CDRs match a recomputation by hand; a late real stop replaces an inferred end
with a credit CDR and a new one; sessions ended while costing was off are billed at the next start.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest

from opencsms.cli.main import main
from opencsms.runtime import Runtime
from tests.conftest import admin_key, auth
from tests.e2e.wsclient import RawStation

pytestmark = pytest.mark.e2e

BOOT16 = {"chargePointVendor": "Acme", "chargePointModel": "AC22"}
BOOT201 = {"reason": "PowerUp", "chargingStation": {"vendorName": "Acme", "model": "AC22"}}
# Amsterdam time: 18:00-22:00 is peak (0.40/kWh), else 0.25; 6.00/h idle fee, 0.50 per session.
TARIFF = {
    "currency": "EUR",
    "time_zone": "Europe/Amsterdam",
    "elements": [
        {
            "price_components": [{"type": "ENERGY", "price": 0.40, "vat": 21, "step_size": 1}],
            "restrictions": {"start_time": "18:00", "end_time": "22:00"},
        },
        {
            "price_components": [
                {"type": "ENERGY", "price": 0.25, "vat": 21, "step_size": 1},
                {"type": "PARKING_TIME", "price": 6.00, "vat": 21, "step_size": 60},
                {"type": "FLAT", "price": 0.50, "vat": 21, "step_size": 1},
            ]
        },
    ],
}
# 16:30Z is 17:30 in Amsterdam (CET): 30 minutes off-peak, 30 at peak, then 30 idle.
START, QUARTER, HALF, THREE_QUARTERS, HOUR, STOP = (
    "2026-11-24T16:30:00Z", "2026-11-24T16:45:00Z", "2026-11-24T17:00:00Z", "2026-11-24T17:15:00Z",
    "2026-11-24T17:30:00Z", "2026-11-24T18:00:00Z",
)  # fmt: skip
# By hand: 5.5 kWh at 0.25 + 5.5 kWh at 0.40 + 0.5 h at 6.00 + 0.50 = 7.075 -> 7.08; x 1.21 -> 8.56.
EXPECTED = {"excl_vat": "7.08", "incl_vat": "8.56"}


async def _setup(http: httpx.AsyncClient) -> None:
    assert (await http.put("/api/v1/tariffs/TOU", json=TARIFF)).status_code == 201
    assignment = {"scope": "default", "tariff_id": "TOU"}
    assert (await http.put("/api/v1/tariff-assignments", json=assignment)).status_code == 200


async def _cdrs(http: httpx.AsyncClient, count: int, **filters: Any) -> list[dict[str, Any]]:
    for _ in range(200):
        found = (await http.get("/api/v1/cdrs", params={**filters, "sort": "id"})).json()
        if found["total"] >= count:
            items: list[dict[str, Any]] = found["items"]
            return items
        await asyncio.sleep(0.05)
    raise AssertionError(f"expected {count} CDRs for {filters}, got {found['total']}")


def _meter(ts: str, wh: int, transaction_id: int) -> dict[str, Any]:
    values = [{"value": str(wh), "measurand": "Energy.Active.Import.Register", "unit": "Wh"}]
    return {
        "connectorId": 1,
        "transactionId": transaction_id,
        "meterValue": [{"timestamp": ts, "sampledValue": values}],
    }


async def _status(st: RawStation, status: str, ts: str) -> None:
    payload = {"connectorId": 1, "errorCode": "NoError", "status": status, "timestamp": ts}
    assert (await st.call("StatusNotification", payload))[2] == {}


async def _session16(st: RawStation, tag: str) -> int:
    await _status(st, "Preparing", START)
    start = await st.call(
        "StartTransaction", {"connectorId": 1, "idTag": tag, "meterStart": 1000, "timestamp": START}
    )
    tx: int = start[2]["transactionId"]
    await _status(st, "Charging", START)
    for ts, wh in ((QUARTER, 3750), (HALF, 6500), (THREE_QUARTERS, 9250), (HOUR, 12000)):
        await st.call("MeterValues", _meter(ts, wh, tx))
    await _status(st, "SuspendedEV", HOUR)
    return tx


async def test_a_16_and_a_201_station_are_billed_as_recomputed_by_hand(
    server: Runtime, capsys: pytest.CaptureFixture[str]
) -> None:
    await server.domain.tokens.add("CARD-1", parent_id_token="FLEET")
    async with httpx.AsyncClient(
        base_url=server.http_url, headers=auth(admin_key(server)), timeout=30
    ) as http:
        await _setup(http)
        st16 = await RawStation.open(server.ocpp_url, "CP16")
        await st16.call("BootNotification", BOOT16)
        tx16 = await _session16(st16, "CARD-1")
        await st16.call("StopTransaction", {"transactionId": tx16, "meterStop": 12000, "timestamp": STOP})

        st201 = await RawStation.open(server.ocpp_url, "CP201", ("ocpp2.0.1",))
        await st201.call("BootNotification", BOOT201)

        def event(kind: str, seq: int, ts: str, wh: int, state: str | None, trigger: str) -> dict[str, Any]:
            tx_info: dict[str, Any] = {"transactionId": "T-201"}
            if state is not None:
                tx_info["chargingState"] = state
            values = [{"value": wh, "measurand": "Energy.Active.Import.Register"}]
            payload = {"eventType": kind, "timestamp": ts, "triggerReason": trigger, "seqNo": seq,
                       "transactionInfo": tx_info, "evse": {"id": 1, "connectorId": 1},
                       "meterValue": [{"timestamp": ts, "sampledValue": values}]}  # fmt: skip
            if kind == "Started":
                payload["idToken"] = {"idToken": "CARD-2", "type": "ISO14443"}
            return payload

        steps = [
            ("Started", START, 1000, "Charging", "CablePluggedIn"),
            ("Updated", QUARTER, 3750, None, "MeterValuePeriodic"),
            ("Updated", HALF, 6500, None, "MeterValuePeriodic"),
            ("Updated", HOUR, 12000, "SuspendedEV", "ChargingStateChanged"),
            ("Ended", STOP, 12000, "EVConnected", "EVCommunicationLost"),
        ]
        for seq, (kind, ts, wh, state, trigger) in enumerate(steps):
            answer = await st201.call("TransactionEvent", event(kind, seq, ts, wh, state, trigger))
            assert answer[0] == 3, answer

        (cdr16,) = await _cdrs(http, 1, station_id="CP16")
        (cdr201,) = await _cdrs(http, 1, station_id="CP201")
        for cdr in (cdr16, cdr201):
            assert cdr["total_cost"] == EXPECTED, cdr["detail"]["cost"]
            assert cdr["total_energy_kwh"] == "11" and cdr["total_parking_hours"] == "0.500000"
            assert cdr["tariff_id"] == "TOU" and cdr["tariff_version"] == 1 and not cdr["credit"]
            periods = cdr["detail"]["cost"]["periods"]
            assert [(p["charging"], Decimal(p["energy_wh"])) for p in periods] == [
                (True, 5500), (True, 5500), (False, 0)
            ]  # fmt: skip
        assert cdr16["token_group"] == "FLEET" and cdr16["auth_method"] == "AUTH_REQUEST"
        assert cdr201["evse_id"] == 1 and cdr201["id_token"] == "CARD-2"
        # Editing the tariff afterwards changes no CDR.
        cheaper = {**TARIFF, "min_price": {"excl_vat": 100}}
        assert (await http.put("/api/v1/tariffs/TOU", json=cheaper)).json()["version"] == 2
        assert (await http.get(f"/api/v1/cdrs/{cdr16['id']}")).json()["total_cost"] == EXPECTED
        cost = (await http.get(f"/api/v1/transactions/{tx16}/cost")).json()
        assert cost["final"] and cost["cdr_id"] == cdr16["id"] and cost["total_incl_vat"] == "8.56"
        csv_text = (await http.get("/api/v1/cdrs/export.csv", params={"sort": "id"})).text.splitlines()
        assert len(csv_text) == 3 and csv_text[1].endswith(",7.08,8.56")
        exported = (await http.get("/api/v1/cdrs/export.json", params={"station_id": "CP201"})).json()
        assert [c["id"] for c in exported] == [cdr201["id"]]
        common = ["--server", server.http_url, "--api-key", admin_key(server)]
        code = await asyncio.to_thread(main, ["cdr", *common, "export", "--station", "CP16"])
        out = capsys.readouterr().out.splitlines()
        assert code == 0 and len(out) == 2 and out[1].endswith(",7.08,8.56")
        code = await asyncio.to_thread(main, ["cdr", *common, "show", str(cdr201["id"])])
        assert code == 0 and json.loads(capsys.readouterr().out)["total_cost"] == EXPECTED
        # The revenue report's totals are the sum of the CDRs; /metrics counts what was billed.
        report = (await http.get("/api/v1/revenue", params={"group_by": "station"})).json()
        assert {r["key"]: r["revenue_incl_vat"] for r in report["rows"]} == {"CP16": "8.56", "CP201": "8.56"}
        cdr_sum = sum(Decimal(c["total_cost"]["incl_vat"]) for c in (cdr16, cdr201))
        assert report["totals"] == [{"key": None, "currency": "EUR", "sessions": 2, "energy_kwh": "22",
                                     "duration_hours": "3.0000", "revenue_excl_vat": "14.16",
                                     "revenue_incl_vat": str(cdr_sum)}]  # fmt: skip
        by_day = (await http.get("/api/v1/revenue", params={"group_by": "day"})).json()
        assert [r["key"] for r in by_day["rows"]] == ["2026-11-24"] and by_day["time_zone"] == "UTC"
        metrics = (await http.get("/metrics")).text
        assert 'opencsms_revenue_total{currency="EUR",vat="incl"} 17.12' in metrics
        # What a driver's app shows before charging: the price that applies now.
        price = (await http.get("/api/v1/stations/CP16/price", params={"evse_id": 1})).json()
        assert price["applies_by"] == {"scope": "default", "target": "", "tariff_id": "TOU"}
        assert set(price["now"]) == {"ENERGY", "PARKING_TIME", "FLAT"} and price["tariff"]["version"] == 2
        assert price["now"]["FLAT"]["price_incl_vat"] == 0.605
        await st16.close()
        await st201.close()


async def test_running_cost_grows_while_charging(server_factory: Callable[..., Any]) -> None:
    server: Runtime = await server_factory(billing_interval=0.05)
    try:
        await server.domain.tokens.add("CARD-1")
        async with httpx.AsyncClient(
            base_url=server.http_url, headers=auth(admin_key(server)), timeout=30
        ) as http:
            await _setup(http)
            st = await RawStation.open(server.ocpp_url, "CP16")
            await st.call("BootNotification", BOOT16)
            start = await st.call(
                "StartTransaction",
                {"connectorId": 1, "idTag": "CARD-1", "meterStart": 1000, "timestamp": START},
            )
            tx = start[2]["transactionId"]
            await st.call("MeterValues", _meter(QUARTER, 3750, tx))
            for _ in range(200):
                answer = await http.get(f"/api/v1/transactions/{tx}/cost")
                if answer.status_code == 200 and answer.json()["total_excl_vat"] is not None:
                    break
                await asyncio.sleep(0.05)
            cost = answer.json()
            # 2.75 kWh at 0.25 + 0.50, at least (the session runs on, parked, up to now).
            assert not cost["final"] and Decimal(cost["total_excl_vat"]) >= Decimal("1.1875")
            await st.close()
    finally:
        await server.stop()


async def test_a_late_real_stop_replaces_the_inferred_end_with_a_credit_and_a_new_cdr(
    server: Runtime,
) -> None:
    await server.domain.tokens.add("CARD-1")
    async with httpx.AsyncClient(
        base_url=server.http_url, headers=auth(admin_key(server)), timeout=30
    ) as http:
        await _setup(http)
        st = await RawStation.open(server.ocpp_url, "CP16")
        await st.call("BootNotification", BOOT16)
        tx = await _session16(st, "CARD-1")
        # A second start on the same connector: the first session's end is inferred (ADR 0017),
        # at its last register reading, 17:30Z.
        later = "2026-11-24T19:00:00Z"
        await st.call(
            "StartTransaction", {"connectorId": 1, "idTag": "CARD-1", "meterStart": 12000, "timestamp": later}
        )
        (inferred,) = await _cdrs(http, 1, transaction_id=tx)
        assert inferred["ended_by"] == "inferred"
        # The station's own stop arrives after all: 30 minutes parked after charging.
        await st.call("StopTransaction", {"transactionId": tx, "meterStop": 12000, "timestamp": STOP})
        first, credit, final = await _cdrs(http, 3, transaction_id=tx)
        assert first["id"] == inferred["id"]
        assert credit["credit"] and credit["credit_of"] == first["id"]
        assert credit["total_cost"] == {k: f"-{v}" for k, v in first["total_cost"].items()}
        assert final["ended_by"] == "station" and final["total_cost"] == EXPECTED
        net = sum(Decimal(c["total_cost"]["incl_vat"]) for c in (first, credit, final))
        assert net == Decimal(EXPECTED["incl_vat"])
        # Billing it again changes nothing.
        billing = server.billing
        assert billing is not None and await billing.finish(tx) is None and await billing.sweep() == 0
        assert (await http.get("/api/v1/cdrs", params={"transaction_id": tx})).json()["total"] == 3
        await st.close()


async def test_sessions_ended_while_costing_was_off_are_billed_at_the_next_start(
    server_factory: Callable[..., Any],
) -> None:
    server: Runtime = await server_factory(billing_interval=0)
    key = admin_key(server)
    async with httpx.AsyncClient(base_url=server.http_url, headers=auth(key), timeout=30) as http:
        await _setup(http)
        await server.domain.tokens.add("CARD-1")
        st = await RawStation.open(server.ocpp_url, "CP16")
        await st.call("BootNotification", BOOT16)
        tx = await _session16(st, "CARD-1")
        await st.call("StopTransaction", {"transactionId": tx, "meterStop": 12000, "timestamp": STOP})
        assert (await http.get("/api/v1/cdrs")).json()["total"] == 0
        await st.close()
    await server.stop()
    server = await server_factory()
    try:
        async with httpx.AsyncClient(base_url=server.http_url, headers=auth(key), timeout=30) as http:
            (cdr,) = await _cdrs(http, 1)
            assert cdr["transaction_id"] == tx and cdr["total_cost"] == EXPECTED
    finally:
        await server.stop()


async def _next_call(st: RawStation, action: str) -> tuple[str, dict[str, Any]]:
    """The CSMS's next CALL of ``action`` (skipping others it may send meanwhile)."""
    for _ in range(20):
        frame = await st.recv(10.0)
        if frame[0] == 2 and frame[2] == action:
            return frame[1], frame[3]
        if frame[0] == 2:
            await st.reply(frame[1], {})
    raise AssertionError(f"no {action} came")


async def test_running_and_final_costs_reach_the_stations_displays(
    server_factory: Callable[..., Any],
) -> None:
    server: Runtime = await server_factory(billing_interval=0.05, cost_display_interval=0.01)
    now = datetime.now(UTC).replace(microsecond=0)
    start, sample, stop = (now - timedelta(minutes=m) for m in (20, 10, 1))

    def iso(moment: datetime) -> str:
        return moment.isoformat().replace("+00:00", "Z")

    simple = {"currency": "EUR", "elements": [{"price_components": [
        {"type": "ENERGY", "price": 0.30, "vat": 10, "step_size": 1}]}]}  # fmt: skip
    try:
        await server.domain.tokens.add("CARD-1")
        async with httpx.AsyncClient(
            base_url=server.http_url, headers=auth(admin_key(server)), timeout=30
        ) as http:
            await http.put("/api/v1/tariffs/SIMPLE", json=simple)
            await http.put("/api/v1/tariff-assignments", json={"scope": "default", "tariff_id": "SIMPLE"})

            # A 2.0.1 station: CostUpdated with the running cost, then with the final one.
            st201 = await RawStation.open(server.ocpp_url, "CP201", ("ocpp2.0.1",))
            await st201.call("BootNotification", BOOT201)

            def event(kind: str, seq: int, ts: datetime, wh: int) -> dict[str, Any]:
                values = [{"value": wh, "measurand": "Energy.Active.Import.Register"}]
                payload = {"eventType": kind, "timestamp": iso(ts), "triggerReason": "MeterValuePeriodic",
                           "seqNo": seq, "transactionInfo": {"transactionId": "T-D"},
                           "evse": {"id": 1, "connectorId": 1},
                           "meterValue": [{"timestamp": iso(ts), "sampledValue": values}]}  # fmt: skip
                return payload

            await st201.call("TransactionEvent", event("Started", 0, start, 1000))
            await st201.call("TransactionEvent", event("Updated", 1, sample, 3000))
            message_id, running = await _next_call(st201, "CostUpdated")
            assert running == {"totalCost": 0.66, "transactionId": "T-D"}  # 2 kWh at 0.30 + 10% VAT
            await st201.reply(message_id, {})
            await st201.call("TransactionEvent", event("Ended", 2, stop, 6000))
            message_id, final = await _next_call(st201, "CostUpdated")
            assert final == {"totalCost": 1.65, "transactionId": "T-D"}  # 5 kWh
            await st201.reply(message_id, {})

            # A 1.6 station that declares California Pricing: DataTransfer RunningCost, FinalCost.
            st16 = await RawStation.open(server.ocpp_url, "CP16")
            await st16.call("BootNotification", BOOT16)
            asking = asyncio.create_task(http.post("/api/v1/stations/CP16/commands/get_configuration",
                                                   json={"keys": ["CustomDisplayCostAndPrice"]}))  # fmt: skip
            message_id, _ = await st16.expect_call("GetConfiguration")
            key = {"key": "CustomDisplayCostAndPrice", "readonly": True, "value": "true"}
            await st16.reply(message_id, {"configurationKey": [key]})
            assert (await asking).status_code == 200
            begin = {"connectorId": 1, "idTag": "CARD-1", "meterStart": 1000, "timestamp": iso(start)}
            tx = (await st16.call("StartTransaction", begin))[2]["transactionId"]
            await st16.call("MeterValues", _meter(iso(sample), 3000, tx))
            message_id, transfer = await _next_call(st16, "DataTransfer")
            assert (
                transfer["vendorId"] == "org.openchargealliance.costmsg"
                and transfer["messageId"] == "RunningCost"
            )
            data = json.loads(transfer["data"], parse_float=Decimal)
            assert (
                data["transactionId"] == tx and data["cost"] == Decimal("0.66") and data["meterValue"] == 3000
            )
            assert data["state"] == "Charging" and data["timestamp"]
            await st16.reply(message_id, {"status": "Accepted"})
            await st16.call(
                "StopTransaction", {"transactionId": tx, "meterStop": 6000, "timestamp": iso(stop)}
            )
            message_id, transfer = await _next_call(st16, "DataTransfer")
            data = json.loads(transfer["data"], parse_float=Decimal)
            assert transfer["messageId"] == "FinalCost" and data["cost"] == Decimal("1.65")
            assert data["transactionId"] == tx and "1.65" in data["priceText"]
            await st16.reply(message_id, {"status": "Accepted"})
            await st16.close()
            await st201.close()
    finally:
        await server.stop()
