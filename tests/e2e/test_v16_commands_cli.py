"""OCPP 1.6 Core commands from the CLI, through the HTTP command endpoint, to a simulated station."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest

from opencsms.cli.main import main as cli_main
from opencsms.runtime import Runtime
from opencsms.simulate import SimulatedStation16, StationConfig
from tests.conftest import admin_key
from tests.simulate.csms import VALIDATOR, poll

pytestmark = pytest.mark.e2e


@pytest.fixture
async def station(server: Runtime) -> AsyncIterator[SimulatedStation16]:
    await server.domain.tokens.add("CLI-TAG")
    st = SimulatedStation16(
        StationConfig(
            "CP-CLI", server.ocpp_url, meter_interval=0.1, unplug_seconds=0.0, boot_retry_seconds=0.1
        ),
        validator=VALIDATOR,
    )
    await st.connect()
    assert await st.boot() == "Accepted"
    await st.announce_statuses()
    yield st
    await st.disconnect()


async def cli(server: Runtime, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict[str, Any]]:
    """Run the `opencsms command ...` CLI against the server; returns its exit code and JSON output."""
    code = await asyncio.to_thread(
        cli_main,
        ["command", "--server", server.http_url, "--api-key", admin_key(server), "--timeout", "5", *args],
    )
    out = capsys.readouterr().out
    return code, json.loads(out)


async def test_tc_011_1_012_csms_remote_start_then_stop_from_cli(
    server: Runtime, station: SimulatedStation16, capsys: pytest.CaptureFixture[str]
) -> None:
    """TC_011_1_CSMS: RemoteStartTransaction with the tag and connector from the CLI, Accepted; the
    charge point authorizes, starts and charges, and the CSMS stores the running transaction.
    TC_012_CSMS: RemoteStopTransaction with its id, Accepted; the transaction ends Remote."""
    code, out = await cli(server, capsys, "remote-start", "CP-CLI", "--id-tag", "CLI-TAG", "--connector", "1")
    assert code == 0 and out["action"] == "RemoteStartTransaction" and out["status"] == "Accepted"
    assert out["request"] == {"idTag": "CLI-TAG", "connectorId": 1}
    await poll(lambda: station.connectors[1].transaction is not None)
    tx_id = station.connectors[1].transaction.transaction_id  # type: ignore[union-attr]
    running = await server.domain.transactions.get(tx_id)
    assert running is not None and running.status == "active"
    assert (running.connector_id, running.id_token) == (1, "CLI-TAG")
    code, out = await cli(server, capsys, "remote-stop", "CP-CLI", "--transaction", str(tx_id))
    assert code == 0 and out == {
        "action": "RemoteStopTransaction",
        "status": "Accepted",
        "response": {"status": "Accepted"},
        "request": {"transactionId": tx_id},
    }

    async def stopped() -> bool:
        tx = await server.domain.transactions.get(tx_id)
        return tx is not None and tx.stop_reason == "Remote"

    await poll(stopped)


async def test_tc_028_csms_remote_stop_rejected(
    server: Runtime, station: SimulatedStation16, capsys: pytest.CaptureFixture[str]
) -> None:
    """TC_028_CSMS: RemoteStopTransaction for a transaction the charge point no longer runs; it
    answers Rejected and the operator sees Rejected."""
    start = await station.start_transaction(2, "CLI-TAG")
    await station.stop_transaction(2)
    code, out = await cli(server, capsys, "remote-stop", "CP-CLI", "--transaction", str(start))
    assert code == 0 and out["status"] == "Rejected" and out["request"] == {"transactionId": start}


@pytest.mark.parametrize("kind", ["Hard", "Soft"])
async def test_tc_013_014_csms_reset(
    server: Runtime, station: SimulatedStation16, capsys: pytest.CaptureFixture[str], kind: str
) -> None:
    """TC_013_CSMS (Hard) and TC_014_CSMS (Soft): the CSMS sends Reset with that type; Accepted; the
    charge point reboots: its BootNotification is Accepted and recorded, its connectors report in.

    TC_013_CSMS: Reset type Hard, Accepted; the charge point boots again and reports its connectors.
    TC_014_CSMS: Reset type Soft, Accepted; the charge point boots again and reports its connectors.
    """
    record = await server.domain.stations.get("CP-CLI")
    assert record is not None and record.last_boot is not None
    boots_before, booted_before = station.stats.boots, record.last_boot
    code, out = await cli(server, capsys, "reset", "CP-CLI", "--type", kind)
    assert code == 0 and out["action"] == "Reset" and out["status"] == "Accepted"
    assert out["request"] == {"type": kind}
    await poll(lambda: station.stats.boots > boots_before and station.online.is_set())

    async def rebooted() -> bool:
        record = await server.domain.stations.get("CP-CLI")
        return record is not None and record.last_boot is not None and record.last_boot > booted_before

    await poll(rebooted)

    async def reported_after_boot() -> bool:
        connectors = await server.domain.stations.connectors("CP-CLI")
        return {c.connector_id for c in connectors if c.updated_at > booted_before} >= {1, 2}

    await poll(reported_after_boot)


async def test_tc_019_1_019_2_021_040_1_040_2_csms_get_and_change_configuration(
    server: Runtime, station: SimulatedStation16, capsys: pytest.CaptureFixture[str]
) -> None:
    """TC_019_1/2 (all keys, one key), TC_021 (change), TC_040_1 (unknown key NotSupported),
    TC_040_2 (invalid value Rejected): the answers are shown and only the accepted value is kept.

    TC_019_1_CSMS: GetConfiguration without keys returns all keys.
    TC_019_2_CSMS: GetConfiguration for named keys: the known one's value, the unknown one listed.
    TC_021_CSMS: ChangeConfiguration MeterValueSampleInterval 30, Accepted and kept.
    TC_040_1_CSMS: ChangeConfiguration of an unknown key: NotSupported, nothing kept.
    TC_040_2_CSMS: ChangeConfiguration with an invalid value: Rejected, the old value kept.
    """
    code, out = await cli(server, capsys, "get-configuration", "CP-CLI")
    keys = {k["key"] for k in out["response"]["configurationKey"]}
    assert code == 0 and out["request"] == {} and {"HeartbeatInterval", "MeterValueSampleInterval"} <= keys
    code, out = await cli(
        server, capsys, "change-configuration", "CP-CLI", "--key", "MeterValueSampleInterval", "--value", "30"
    )
    assert out["status"] == "Accepted"
    assert out["request"] == {"key": "MeterValueSampleInterval", "value": "30"}
    code, out = await cli(
        server, capsys, "get-configuration", "CP-CLI", "--key", "MeterValueSampleInterval", "--key", "Nope"
    )
    assert out["request"] == {"key": ["MeterValueSampleInterval", "Nope"]}
    assert out["response"]["configurationKey"][0]["value"] == "30"
    assert out["response"]["unknownKey"] == ["Nope"]
    code, out = await cli(
        server, capsys, "change-configuration", "CP-CLI", "--key", "NoSuchKey", "--value", "1"
    )
    assert out["status"] == "NotSupported"
    code, out = await cli(
        server,
        capsys,
        "change-configuration",
        "CP-CLI",
        "--key",
        "MeterValueSampleInterval",
        "--value",
        "soon",
    )
    assert code == 0 and out["status"] == "Rejected"
    stored = {a.variable: a for a in await server.domain.device_model.configuration("CP-CLI")}
    assert stored["MeterValueSampleInterval"].value == "30"
    assert "NoSuchKey" not in stored


async def test_tc_017_1_061_csms_unlock_connector_clear_cache_and_other_core_calls(
    server: Runtime, station: SimulatedStation16, capsys: pytest.CaptureFixture[str]
) -> None:
    """TC_017_1_CSMS: UnlockConnector for connector 1 with no session (loose cable): Unlocked.
    TC_061_CSMS: ClearCache, Accepted. ChangeAvailability and DataTransfer answered by the station."""
    _, out = await cli(server, capsys, "unlock-connector", "CP-CLI", "--connector", "1")
    assert out["request"] == {"connectorId": 1} and out["status"] == "Unlocked"
    _, out = await cli(server, capsys, "clear-cache", "CP-CLI")
    assert out["action"] == "ClearCache" and out["request"] == {} and out["status"] == "Accepted"
    _, out = await cli(server, capsys, "change-availability", "CP-CLI", "--connector", "2", "--inoperative")
    assert out["status"] == "Accepted"
    await poll(lambda: station.connectors[2].status == "Unavailable")
    assert (await cli(server, capsys, "data-transfer", "CP-CLI", "--vendor-id", "acme"))[1][
        "status"
    ] == "UnknownVendorId"


async def test_command_errors_are_problem_json(
    server: Runtime, station: SimulatedStation16, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out = await cli(server, capsys, "reset", "CP-NOT-THERE")
    assert code == 1 and out["status"] == 404 and "no station CP-NOT-THERE" in out["detail"]
    code, out = await cli(server, capsys, "remote-stop", "CP-CLI", "--transaction", "999999")
    assert code == 1 and out["status"] == 422 and "no transaction" in out["detail"]
    code, out = await cli(
        server, capsys, "call", "CP-CLI", "--action", "Reset", "--payload", '{"type": "Sideways"}'
    )
    assert code == 1 and out["status"] == 422


async def test_token_cli_add_list_block(server: Runtime, capsys: pytest.CaptureFixture[str]) -> None:
    db = ["--database-url", server.settings.database_url]
    assert await asyncio.to_thread(cli_main, ["token", *db, "add", "T-CLI", "--parent", "G1"]) == 0
    assert json.loads(capsys.readouterr().out)["parent_id_token"] == "G1"
    assert await asyncio.to_thread(cli_main, ["token", *db, "block", "T-CLI"]) == 0
    assert json.loads(capsys.readouterr().out)["status"] == "Blocked"
    assert await asyncio.to_thread(cli_main, ["token", *db, "list"]) == 0
    assert "T-CLI" in capsys.readouterr().out
    info = await server.domain.tokens.authorize("T-CLI", datetime.now(UTC))
    assert str(info.status) == "Blocked"
