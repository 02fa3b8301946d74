"""1.6 and 2.0.1 simulated stations on one server: the same commands, the same sessions."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from opencsms.cli.main import main as cli_main
from opencsms.runtime import Runtime
from opencsms.simulate import SimulatedStation16, SimulatedStation201, StationConfig
from tests.conftest import admin_key, auth
from tests.simulate.csms import VALIDATORS, poll

pytestmark = pytest.mark.e2e

FAST: dict[str, Any] = {
    "meter_interval": 0.1,
    "unplug_seconds": 0.0,
    "boot_retry_seconds": 0.1,
    "ramp_seconds": 0.1,
}


@pytest.fixture
async def stations(server: Runtime) -> AsyncIterator[tuple[SimulatedStation16, SimulatedStation201]]:
    await server.domain.tokens.add("TOKEN-X")
    v16 = SimulatedStation16(StationConfig("CP-16", server.ocpp_url, **FAST), validator=VALIDATORS["1.6"])
    v201 = SimulatedStation201(
        StationConfig("CS-201", server.ocpp_url, **FAST), validator=VALIDATORS["2.0.1"]
    )
    for station in (v16, v201):
        await station.connect()
        assert await station.boot() == "Accepted"
        await station.announce_statuses()
    yield v16, v201
    for station in (v16, v201):
        await station.disconnect()


async def command(server: Runtime, capsys: pytest.CaptureFixture[str], *args: str) -> Any:
    argv = ["command", "--server", server.http_url, "--api-key", admin_key(server), "--timeout", "5", *args]
    code = await asyncio.to_thread(cli_main, argv)
    out = json.loads(capsys.readouterr().out)
    assert code == 0, out
    return out


async def test_remote_start_and_stop_on_16_and_201_stations_side_by_side(
    server: Runtime,
    stations: tuple[SimulatedStation16, SimulatedStation201],
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Remote start and stop on a 1.6 and a 2.0.1 station: "remote start on EVSE 1 with token X" and
    "stop transaction N" are one command each, sent as each station's version spells it; both
    sessions land in the same table and look the same over HTTP and the CLI."""
    v16, v201 = stations
    start = ("remote-start", "--id-tag", "TOKEN-X", "--connector", "1")
    started = {sid: await command(server, capsys, start[0], sid, *start[1:]) for sid in ("CP-16", "CS-201")}
    assert started["CP-16"]["action"] == "RemoteStartTransaction"
    assert started["CP-16"]["request"] == {"idTag": "TOKEN-X", "connectorId": 1}
    assert started["CS-201"]["action"] == "RequestStartTransaction"
    assert started["CS-201"]["request"]["idToken"] == {"idToken": "TOKEN-X", "type": "Central"}
    assert started["CS-201"]["request"]["evseId"] == 1
    assert {out["status"] for out in started.values()} == {"Accepted"}
    await poll(lambda: v16.connectors[1].transaction is not None and v201.evses[1].transaction is not None)

    async with httpx.AsyncClient(base_url=server.http_url, headers=auth(admin_key(server))) as http:

        async def active() -> dict[str, Any]:
            page = (await http.get("/api/v1/transactions", params={"active": "true"})).json()
            return {tx["station_id"]: tx for tx in page["items"]}

        async def both_active() -> bool:
            return set(await active()) == {"CP-16", "CS-201"}

        await poll(both_active)
        await asyncio.sleep(0.3)  # a few meter values each
        running = await active()
        stopped = {sid: await command(server, capsys, "remote-stop", sid, "--transaction", str(tx["id"]))
                   for sid, tx in running.items()}  # fmt: skip
        assert stopped["CP-16"]["action"] == "RemoteStopTransaction"
        assert stopped["CS-201"]["action"] == "RequestStopTransaction"
        assert stopped["CS-201"]["request"] == {"transactionId": running["CS-201"]["transaction_ref"]}

        async def both_ended() -> bool:
            return not await active()

        await poll(both_ended)
        ended = {
            sid: (await http.get(f"/api/v1/transactions/{tx['id']}")).json() for sid, tx in running.items()
        }
    for tx in ended.values():
        assert tx["status"] == "ended" and tx["stop_reason"] == "Remote" and tx["id_token"] == "TOKEN-X"
        assert tx["connector_id"] == 1 and tx["energy_wh"] is not None and tx["energy_wh"] >= 0
        assert len(await server.domain.transactions.meter_values_of(tx["id"])) >= 2
    assert set(ended["CP-16"]) == set(ended["CS-201"])

    argv = ["tx", "list", "--server", server.http_url, "--api-key", admin_key(server)]
    code = await asyncio.to_thread(cli_main, argv)
    listing = capsys.readouterr().out
    assert code == 0 and "CP-16" in listing and "CS-201" in listing and listing.count("Remote") == 2


async def test_e12_offline_mid_transaction_replay_ends_complete_ordered_without_duplicates(
    server: Runtime, stations: tuple[SimulatedStation16, SimulatedStation201]
) -> None:
    """E11/E12/E15: events queued while offline are replayed in order after the reconnect, stored
    with their own timestamps and the offline flag; resends are answered but stored once."""
    _, station = stations
    ref = await station.start_transaction(1, "TOKEN-X", connector_id=1)
    await station.send_meter_values(1)
    await station.go_offline()
    for _ in range(3):
        await asyncio.sleep(0.02)
        await station.send_meter_values(1)
    await asyncio.sleep(0.02)
    assert await station.stop_transaction(1, "EVDisconnected") is None  # queued
    assert len(station.outbox) == 5 - 1  # 3 updates and the end (the first update went online)
    tx = await server.domain.transactions.find("CS-201", ref)
    assert tx is not None and tx.status == "active"

    await asyncio.sleep(0.05)
    reconnected_at = datetime.now(UTC)
    await station.go_online()
    assert len(station.outbox) == 0
    assert await station.resend_last_transaction_event() == {}  # the Ended event again: stored once

    tx = await server.domain.transactions.find("CS-201", ref)
    assert tx is not None and tx.status == "ended" and tx.stop_reason == "EVDisconnected"
    assert tx.offline and tx.last_seq_no == 5 and tx.seq_gaps is None
    assert (tx.start_trigger_reason, tx.trigger_reason) == ("Authorized", "EVCommunicationLost")
    registers = [
        (ts, float(sv.value), sv.context)
        for ts, sv in await server.domain.transactions.meter_values_of(tx.id)
        if sv.measurand == "Energy.Active.Import.Register" and sv.phase is None
    ]
    assert [context for _, _, context in registers] == [
        "Transaction.Begin", *["Sample.Periodic"] * 4, "Transaction.End"
    ]  # fmt: skip
    times = [ts for ts, _, _ in registers]
    assert times == sorted(times) and len(set(times)) == len(times)  # in order, none twice
    assert times[-1] < reconnected_at  # the offline events keep their own timestamps
    readings = [wh for _, wh, _ in registers]
    assert (
        readings == sorted(readings) and tx.meter_start_wh == readings[0] and tx.meter_stop_wh == readings[-1]
    )
