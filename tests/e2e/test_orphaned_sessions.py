"""Sessions no station will close, against a real server: ended as inferred, visible in the API,
replaced by a late real stop; a demo run twice shows no inflated session count."""

from __future__ import annotations

import asyncio
import io
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from opencsms.bus.interface import EventFilter
from opencsms.cli.main import main as cli_main
from opencsms.domain.model import AuthorizationStatus
from opencsms.runtime import Runtime
from opencsms.simulate import DEFAULT_ID_TAGS, FleetOptions, run_fleet
from tests.conftest import admin_key, auth
from tests.e2e.wsclient import RawStation
from tests.simulate.csms import poll

pytestmark = pytest.mark.e2e

BOOT_16 = {"chargePointVendor": "Acme", "chargePointModel": "AC22"}
BOOT_201 = {"reason": "PowerUp", "chargingStation": {"vendorName": "Acme", "model": "AC22"}}
T0 = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)


def at(minutes: float) -> str:
    return (T0 + timedelta(minutes=minutes)).isoformat().replace("+00:00", "Z")


def register(minutes: float, wh: int) -> dict[str, Any]:
    return {
        "timestamp": at(minutes),
        "sampledValue": [
            {"value": str(wh), "measurand": "Energy.Active.Import.Register", "unit": "Wh"},
            {"value": "7000", "measurand": "Power.Active.Import", "unit": "W"},
        ],
    }


def register_201(minutes: float, wh: int) -> dict[str, Any]:
    return {
        "timestamp": at(minutes),
        "sampledValue": [
            {"value": wh, "measurand": "Energy.Active.Import.Register", "unitOfMeasure": {"unit": "Wh"}}
        ],
    }


async def transaction(http: httpx.AsyncClient, transaction_id: int) -> dict[str, Any]:
    answer = await http.get(f"/api/v1/transactions/{transaction_id}")
    assert answer.status_code == 200
    body: dict[str, Any] = answer.json()
    return body


async def start_16(station: RawStation, connector: int, id_tag: str, minutes: float, meter: int) -> list[Any]:
    payload = {"connectorId": connector, "idTag": id_tag, "meterStart": meter, "timestamp": at(minutes)}
    return await station.call("StartTransaction", payload)


async def test_16_a_second_start_on_the_connector_ends_the_first_and_a_late_stop_replaces_it(
    server: Runtime, capsys: pytest.CaptureFixture[str]
) -> None:
    await server.domain.tokens.add("TAG")
    station = await RawStation.open(server.ocpp_url, "CP-ORPHAN16")
    ends = server.bus.subscribe(EventFilter.of(["transaction.ended"], ["CP-ORPHAN16"]))
    async with httpx.AsyncClient(base_url=server.http_url, headers=auth(admin_key(server))) as http:
        try:
            await station.call("BootNotification", BOOT_16)
            first = (await start_16(station, 1, "TAG", 0, 1000))[2]["transactionId"]
            await station.call(
                "MeterValues", {"connectorId": 1, "transactionId": first, "meterValue": [register(10, 2500)]}
            )
            second = (await start_16(station, 1, "TAG", 30, 2500))[2]["transactionId"]

            orphan = await transaction(http, first)
            assert (orphan["status"], orphan["ended_by"], orphan["inferred_cause"]) == (
                "ended",
                "inferred",
                "new_start",
            )
            assert (orphan["meter_stop_wh"], orphan["energy_wh"]) == (2500, 1500)
            assert datetime.fromisoformat(orphan["stopped_at"]) == T0 + timedelta(minutes=10)
            listed = (await http.get("/api/v1/transactions", params={"inferred": "true"})).json()
            assert [t["id"] for t in listed["items"]] == [first]
            active = (await http.get("/api/v1/transactions", params={"active": "true"})).json()
            assert [t["id"] for t in active["items"]] == [second]
            argv = ["tx", "list", "--inferred", "--server", server.http_url, "--api-key", admin_key(server)]
            assert await asyncio.to_thread(cli_main, argv) == 0
            listing = capsys.readouterr().out.splitlines()
            assert len(listing) == 2 and listing[1].split()[0] == str(first)
            assert "inferred: new_start" in listing[1]
            inferred = (await asyncio.wait_for(ends.get(), 5)).data
            assert (inferred["transaction_id"], inferred["ended_by"], inferred["inferred_cause"]) == (
                first,
                "inferred",
                "new_start",
            )
            assert inferred["meter_stop_wh"] == 2500

            # The station's own stop turns up after all: it wins, and is answered as any stop.
            stop = await station.call(
                "StopTransaction",
                {
                    "transactionId": first,
                    "meterStop": 2600,
                    "timestamp": at(12),
                    "idTag": "TAG",
                    "reason": "Local",
                },
            )
            assert stop[2] == {"idTagInfo": {"status": "Accepted"}}
            replaced = await transaction(http, first)
            assert (replaced["ended_by"], replaced["inferred_cause"], replaced["stop_reason"]) == (
                "station",
                None,
                "Local",
            )
            assert replaced["meter_stop_wh"] == 2600
            late = (await asyncio.wait_for(ends.get(), 5)).data
            assert (late["transaction_id"], late["ended_by"], late["replaces_inferred"]) == (
                first,
                "station",
                True,
            )
            listed = (await http.get("/api/v1/transactions", params={"inferred": "true"})).json()
            assert listed["items"] == []
        finally:
            ends.close()
            await station.close()


async def test_16_a_session_abandoned_after_a_blocked_start_ends_when_the_connector_is_available(
    server: Runtime,
) -> None:
    await server.domain.tokens.add("BLOCKED", status=AuthorizationStatus.BLOCKED)
    station = await RawStation.open(server.ocpp_url, "CP-BLOCKED16")
    async with httpx.AsyncClient(base_url=server.http_url, headers=auth(admin_key(server))) as http:
        try:
            await station.call("BootNotification", BOOT_16)
            start = await start_16(station, 1, "BLOCKED", 0, 500)
            assert start[2]["idTagInfo"]["status"] == "Blocked"
            status = {"connectorId": 1, "errorCode": "NoError", "status": "Available", "timestamp": at(1)}
            assert (await station.call("StatusNotification", status))[2] == {}

            orphan = await transaction(http, start[2]["transactionId"])
            assert (orphan["ended_by"], orphan["inferred_cause"], orphan["meter_stop_wh"]) == (
                "inferred",
                "available",
                500,
            )
        finally:
            await station.close()


async def test_16_a_reboot_without_the_stop_ends_the_session_after_the_grace(
    server_factory: Callable[..., Any],
) -> None:
    rt: Runtime = await server_factory(boot_stop_grace=0.2)
    try:
        await rt.domain.tokens.add("TAG")
        station = await RawStation.open(rt.ocpp_url, "CP-REBOOT16")
        await station.call("BootNotification", BOOT_16)
        started = (await start_16(station, 1, "TAG", 0, 1000))[2]["transactionId"]
        await station.call(
            "MeterValues", {"connectorId": 1, "transactionId": started, "meterValue": [register(5, 1800)]}
        )
        await station.close()  # killed: no stop

        station = await RawStation.open(rt.ocpp_url, "CP-REBOOT16")
        assert (await station.call("BootNotification", BOOT_16))[2]["status"] == "Accepted"

        async def inferred() -> bool:
            tx = await rt.domain.transactions.get(started)
            return tx is not None and tx.ended_by == "inferred"

        await poll(inferred)
        tx = await rt.domain.transactions.get(started)
        assert tx is not None and (tx.inferred_cause, tx.meter_stop_wh) == ("boot", 1800)
        await station.close()
    finally:
        await rt.stop()


async def test_201_a_started_event_and_a_boot_end_open_transactions_and_ended_replaces(
    server_factory: Callable[..., Any],
) -> None:
    rt: Runtime = await server_factory(boot_stop_grace=0.2)
    await rt.domain.tokens.add("TAG")
    station = await RawStation.open(rt.ocpp_url, "CS-ORPHAN201", ("ocpp2.0.1",))

    async def event(kind: str, ref: str, seq: int, minutes: float, evse: int, **more: Any) -> list[Any]:
        payload = {
            "eventType": kind,
            "timestamp": at(minutes),
            "triggerReason": "Authorized",
            "seqNo": seq,
            "transactionInfo": {"transactionId": ref, **more.pop("info", {})},
            "evse": {"id": evse, "connectorId": 1},
            "idToken": {"idToken": "TAG", "type": "ISO14443"},
            **more,
        }
        answer = await station.call("TransactionEvent", payload)
        assert answer[0] == 3, answer
        return answer

    async def ended_by(ref: str) -> tuple[str | None, str | None]:
        tx = await rt.domain.transactions.find("CS-ORPHAN201", ref)
        assert tx is not None
        return tx.ended_by, tx.inferred_cause

    try:
        await station.call("BootNotification", BOOT_201)
        # TransactionEvent Started on an EVSE that has an open transaction.
        await event("Started", "A", 0, 0, 1, meterValue=[register_201(0, 100)])
        await event("Updated", "A", 1, 5, 1, meterValue=[register_201(5, 900)])
        await event("Started", "B", 0, 10, 1)
        assert await ended_by("A") == ("inferred", "new_start")
        a = await rt.domain.transactions.find("CS-ORPHAN201", "A")
        assert a is not None and (a.meter_stop_wh, a.stopped_at) == (900, T0 + timedelta(minutes=5))
        # Its Ended event comes after all: it replaces the inferred end; the answer is as ever.
        stopped = {"stoppedReason": "EVDisconnected"}
        answer = await event(
            "Ended", "A", 2, 6, 1, triggerReason="EVCommunicationLost", info=stopped,
            meterValue=[register_201(6, 950)],
        )  # fmt: skip
        assert answer[2] == {"idTokenInfo": {"status": "Accepted"}}
        assert await ended_by("A") == ("station", None)

        # A 2.0.1 connector Available leaves B running: a transaction may outlive the unplugging
        # (E10, TC_E_26); the station's Ended event, a new start or a boot decides.
        status = {"timestamp": at(20), "connectorStatus": "Available", "evseId": 1, "connectorId": 1}
        assert (await station.call("StatusNotification", status))[2] == {}
        assert await ended_by("B") == (None, None)

        # A boot, and no word of B and C within the grace.
        await event("Started", "C", 0, 30, 2)
        await station.close()
        station = await RawStation.open(rt.ocpp_url, "CS-ORPHAN201", ("ocpp2.0.1",))
        await station.call("BootNotification", BOOT_201)

        async def inferred() -> bool:
            return [await ended_by(ref) for ref in "BC"] == [("inferred", "boot")] * 2

        await poll(inferred)
        await station.close()
    finally:
        await rt.stop()


async def live_figures(rt: Runtime, key: str) -> tuple[int, float, int]:
    """Active sessions and power from the overview, and the active-transactions metric."""
    async with httpx.AsyncClient(base_url=rt.http_url, headers=auth(key)) as http:
        overview = (await http.get("/api/v1/dashboard/overview")).json()
        metrics = (await http.get("/metrics")).text
    active_metric = next(
        int(float(line.split()[-1]))
        for line in metrics.splitlines()
        if line.startswith("opencsms_transactions_active ")
    )
    return overview["active_sessions"], overview["power_w"], active_metric


async def test_the_demo_run_twice_shows_no_inflated_session_count(server_factory: Callable[..., Any]) -> None:
    """As `opencsms serve --demo 3`, Ctrl-C, and again: the stations restart against the same
    database, their sessions of the first run never stopped."""
    options = FleetOptions(
        stations=3, prefix="DEMO", meter_interval=0.1, session_seconds=600.0, idle_seconds=0.05,
        unplug_seconds=0.0, duration=0.0, progress=False, report_interval=0, seed=7,
    )  # fmt: skip
    connectors = options.stations * options.connectors
    first: Runtime = await server_factory()
    for tag in DEFAULT_ID_TAGS:
        await first.domain.tokens.add(tag)

    first_run: set[int] = set()

    async def charging_everywhere(rt: Runtime) -> bool:
        active = {tx.id for tx in await rt.domain.transactions.list(active=True)}
        return len(active) == connectors and not active & first_run

    try:
        demo = asyncio.create_task(run_fleet(replace(options, url=first.ocpp_url), out=io.StringIO()))
        try:
            await poll(lambda: charging_everywhere(first), timeout=20)
        finally:
            demo.cancel()  # Ctrl-C: no stop is sent
            await asyncio.gather(demo, return_exceptions=True)
        first_run |= {tx.id for tx in await first.domain.transactions.list(active=True)}
        key = admin_key(first)
    finally:
        await first.stop()

    second: Runtime = await server_factory()
    try:
        demo = asyncio.create_task(run_fleet(replace(options, url=second.ocpp_url), out=io.StringIO()))
        try:
            # Every connector charges again, in new sessions; the first run's are over.
            await poll(lambda: charging_everywhere(second), timeout=20)
            sessions, power, metric = await live_figures(second, key)
            assert sessions == metric == connectors
            assert power <= connectors * options.max_power_w
            ended = {tx.id: tx.ended_by for tx in await second.domain.transactions.list(active=False)}
            assert ended == dict.fromkeys(first_run, "inferred")
        finally:
            demo.cancel()
            await asyncio.gather(demo, return_exceptions=True)
    finally:
        await second.stop()
