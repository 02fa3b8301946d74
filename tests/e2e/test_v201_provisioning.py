"""OCPP 2.0.1 block B (device model) through the command endpoint, the CLI and the configuration view."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from opencsms.cli.main import main as cli_main
from opencsms.domain.commands import GetConfiguration, SetConfiguration
from opencsms.runtime import Runtime
from opencsms.simulate import SimulatedStation16, SimulatedStation201, StationConfig
from opencsms.simulate.device_model201 import Component
from tests.conftest import admin_key, auth
from tests.e2e.scripted import ChargingStation, command_answered
from tests.simulate.csms import VALIDATORS, poll

pytestmark = pytest.mark.e2e


@pytest.fixture
async def station(server: Runtime) -> AsyncIterator[SimulatedStation201]:
    st = SimulatedStation201(
        StationConfig("CS-DM", server.ocpp_url, evses=2, meter_interval=0.1, boot_retry_seconds=0.1),
        validator=VALIDATORS["2.0.1"],
    )
    await st.connect()
    assert await st.boot() == "Accepted"
    yield st
    await st.disconnect()


async def command(server: Runtime, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, Any]:
    """`opencsms command ...` against the server: exit code and JSON output."""
    code = await asyncio.to_thread(
        cli_main,
        ["command", "--server", server.http_url, "--api-key", admin_key(server), "--timeout", "5", *args],
    )
    return code, json.loads(capsys.readouterr().out)


async def station_config(server: Runtime, capsys: pytest.CaptureFixture[str], station_id: str) -> Any:
    """`opencsms station config <id> --json` on the server's store."""
    argv = ["station", "--database-url", server.settings.database_url, "config", station_id, "--json"]
    code = await asyncio.to_thread(cli_main, argv)
    assert code == 0
    return json.loads(capsys.readouterr().out)


async def test_tc_b_13_csms_get_base_report_full_inventory(
    server: Runtime, station: SimulatedStation201, capsys: pytest.CaptureFixture[str]
) -> None:
    """TC_B_13_CSMS: GetBaseReport FullInventory; the NotifyReport parts (tbc, seqNo) are all stored."""
    code, out = await command(server, capsys, "get-base-report", "CS-DM", "--request-id", "41")
    assert code == 0 and out["action"] == "GetBaseReport" and out["status"] == "Accepted"
    assert out["request"] == {"requestId": 41, "reportBase": "FullInventory"}

    async def complete() -> bool:
        progress = await server.domain.device_model.report("CS-DM", 41)
        return progress is not None and progress.complete

    await poll(complete)
    progress = await server.domain.device_model.report("CS-DM", 41)
    assert (
        progress is not None and progress.final_seq_no is not None and progress.final_seq_no >= 2
    )  # multi-part
    view = {entry["key"]: entry for entry in await station_config(server, capsys, "CS-DM")}
    assert len(view) == progress.items
    assert view["OCPPCommCtrlr.HeartbeatInterval"]["value"] == "60"  # as the boot answer set it
    assert view["OCPPCommCtrlr.HeartbeatInterval"]["unit"] == "s"
    assert view["EVSE@2.Power"]["max_limit"] == "22000" and view["EVSE@2.Power"]["unit"] == "W"
    assert view["Connector@1/1.ConnectorType"]["mutability"] == "ReadOnly"
    assert view["SecurityCtrlr.BasicAuthPassword"]["value"] is None  # write-only: never reported


async def test_tc_b_12_csms_get_base_report_configuration_inventory_over_http(
    server: Runtime, station: SimulatedStation201
) -> None:
    """TC_B_12_CSMS: ConfigurationInventory through the HTTP command endpoint; read back over HTTP."""
    async with httpx.AsyncClient(base_url=server.http_url, headers=auth(admin_key(server))) as http:
        sent = await http.post(
            "/api/v1/stations/CS-DM/commands/get_base_report",
            json={"report_base": "ConfigurationInventory"},
        )
        assert sent.status_code == 200 and sent.json()["status"] == "Accepted"
        request_id = sent.json()["request"]["requestId"]

        async def complete() -> bool:
            progress = await server.domain.device_model.report("CS-DM", request_id)
            return progress is not None and progress.complete

        await poll(complete)
        view = (await http.get("/api/v1/stations/CS-DM/configuration", params={"limit": 1000})).json()
        assert view["total"] == len(view["items"])
        keys = {entry["key"] for entry in view["items"]}
        assert "SampledDataCtrlr.TxUpdatedInterval" in keys
        assert "ChargingStation.Model" not in keys  # read-only: not configuration
        unknown = await http.get("/api/v1/stations/NOPE/configuration")
        assert unknown.status_code == 404
        assert unknown.headers["content-type"] == "application/problem+json"


async def test_tc_b_06_07_csms_get_variables_single_and_multiple(
    server: Runtime, station: SimulatedStation201, capsys: pytest.CaptureFixture[str]
) -> None:
    """TC_B_06/07_CSMS: GetVariables for one and several variables; Accepted values land in the view.

    TC_B_06_CSMS: GetVariables for one variable; its Accepted value is kept.
    TC_B_07_CSMS: GetVariables for several; each result status, the Accepted values kept.
    """
    code, out = await command(
        server, capsys, "get-variables", "CS-DM", "--variable", "OCPPCommCtrlr.HeartbeatInterval"
    )
    assert code == 0 and out["response"]["getVariableResult"] == [
        {
            "attributeStatus": "Accepted",
            "attributeType": "Actual",
            "attributeValue": "60",
            "component": {"name": "OCPPCommCtrlr"},
            "variable": {"name": "HeartbeatInterval"},
        }
    ]
    code, out = await command(
        server, capsys, "get-variables", "CS-DM",
        "--variable", "EVSE@2.Power", "--variable", "AuthCtrlr.AuthorizeRemoteStart",
        "--variable", "EVSE@2.Power:MaxSet", "--variable", "NoSuchCtrlr.Nothing",
    )  # fmt: skip
    statuses = [r["attributeStatus"] for r in out["response"]["getVariableResult"]]
    assert code == 0 and statuses == ["Accepted", "Accepted", "NotSupportedAttributeType", "UnknownComponent"]
    view = {entry["key"]: entry for entry in await station_config(server, capsys, "CS-DM")}
    assert set(view) == {
        "OCPPCommCtrlr.HeartbeatInterval",
        "EVSE@2.Power",
        "AuthCtrlr.AuthorizeRemoteStart",
    }
    assert view["AuthCtrlr.AuthorizeRemoteStart"] | {"updated_at": None} == {
        "key": "AuthCtrlr.AuthorizeRemoteStart",
        "value": "false",
        "kind": "variable",
        "component": "AuthCtrlr",
        "evse_id": None,
        "connector_id": None,
        "variable": "AuthorizeRemoteStart",
        "attribute_type": "Actual",
        "mutability": None,
        "unit": None,
        "data_type": None,
        "min_limit": None,
        "max_limit": None,
        "values_list": None,
        "status": "Accepted",
        "source": "GetVariables",
        "updated_at": None,
    }


async def test_tc_b_09_10_csms_set_variables_single_and_multiple(
    server: Runtime, station: SimulatedStation201, capsys: pytest.CaptureFixture[str]
) -> None:
    """TC_B_09/10_CSMS: SetVariables; the station applies them, the view keeps value and status.

    TC_B_09_CSMS: SetVariables of one variable, Accepted, applied and kept.
    TC_B_10_CSMS: SetVariables of several: Accepted and Rejected kept as answered.
    """
    code, out = await command(
        server, capsys, "set-variables", "CS-DM", "--set", "OCPPCommCtrlr.HeartbeatInterval=45"
    )
    assert code == 0 and out["response"]["setVariableResult"][0]["attributeStatus"] == "Accepted"
    assert station.device_model.value("OCPPCommCtrlr", "HeartbeatInterval") == "45"
    code, out = await command(
        server, capsys, "set-variables", "CS-DM",
        "--set", "SampledDataCtrlr.TxUpdatedInterval=30", "--set", "ChargingStation.Model=Other",
    )  # fmt: skip
    assert code == 0
    assert [r["attributeStatus"] for r in out["response"]["setVariableResult"]] == ["Accepted", "Rejected"]
    view = {entry["key"]: entry for entry in await station_config(server, capsys, "CS-DM")}
    assert (
        view["OCPPCommCtrlr.HeartbeatInterval"]["value"],
        view["OCPPCommCtrlr.HeartbeatInterval"]["status"],
    ) == (
        "45",
        "Accepted",
    )
    assert view["SampledDataCtrlr.TxUpdatedInterval"]["value"] == "30"
    assert view["ChargingStation.Model"]["status"] == "Rejected"
    assert view["ChargingStation.Model"]["value"] is None  # the refused value is not the station's
    assert station.device_model.value(Component("ChargingStation"), "Model") == "SimCharger"


NETWORK_PROFILE = {
    "ocppVersion": "OCPP20",
    "ocppTransport": "JSON",
    "ocppCsmsUrl": "wss://csms.example.com/ocpp",
    "messageTimeout": 30,
    "securityProfile": 2,
    "ocppInterface": "Wired0",
}


async def test_tc_b_42_csms_set_network_connection_profile(
    server: Runtime, station: SimulatedStation201, capsys: pytest.CaptureFixture[str]
) -> None:
    """TC_B_42_CSMS: SetNetworkProfile with a full NetworkConnectionProfileType is sent as given."""
    profile = {
        "ocppVersion": "OCPP20",
        "ocppTransport": "JSON",
        "ocppCsmsUrl": "wss://csms.example.com/ocpp",
        "messageTimeout": 30,
        "securityProfile": 2,
        "ocppInterface": "Wired0",
    }
    code, out = await command(
        server, capsys, "set-network-profile", "CS-DM", "--slot", "1", "--profile", json.dumps(profile)
    )
    assert code == 0 and out["action"] == "SetNetworkProfile" and out["status"] == "Accepted"
    assert out["request"] == {"configurationSlot": 1, "connectionData": profile}


async def test_tc_b_44_csms_set_network_profile_failed(
    server: Runtime, operator_http: httpx.AsyncClient
) -> None:
    """TC_B_44_CSMS: the CSMS sends SetNetworkProfile with the configured slot and profile; the
    station answers Failed; the operator is shown Failed and the station stays where it is."""
    station = await ChargingStation.online(server, "CS-NP")
    try:
        sent, result = await command_answered(
            operator_http,
            station.raw,
            "CS-NP",
            "set_network_profile",
            {"configuration_slot": 2, "connection_data": NETWORK_PROFILE},
            "SetNetworkProfile",
            {"status": "Failed"},
        )
        assert sent == {"configurationSlot": 2, "connectionData": NETWORK_PROFILE}
        assert result["action"] == "SetNetworkProfile" and result["status"] == "Failed"
        # The station is still served on its connection: nothing was torn down by the failure.
        assert "currentTime" in await station.call("Heartbeat", {})
        record = await server.domain.stations.get("CS-NP")
        assert record is not None and record.connected
    finally:
        await station.close()


async def test_invalid_network_profile_is_refused_before_sending(
    server: Runtime, station: SimulatedStation201, capsys: pytest.CaptureFixture[str]
) -> None:
    """A profile that breaks the schema is a 422 problem, never sent to the station."""
    code, out = await command(
        server,
        capsys,
        "set-network-profile",
        "CS-DM",
        "--slot",
        "1",
        "--profile",
        '{"ocppVersion": "OCPP20"}',
    )
    assert code == 1 and out["status"] == 422 and "SetNetworkProfile" in out["detail"]


async def test_v16_configuration_keys_and_v201_variables_in_one_view(
    server: Runtime, station: SimulatedStation201, capsys: pytest.CaptureFixture[str]
) -> None:
    """A 1.6 station's GetConfiguration / ChangeConfiguration answers show in the same view."""
    v16 = SimulatedStation16(StationConfig("CP-DM16", server.ocpp_url), validator=VALIDATORS["1.6"])
    await v16.connect()
    try:
        assert await v16.boot() == "Accepted"
        await server.sessions.execute("CP-DM16", GetConfiguration())
        changed = await server.sessions.execute("CP-DM16", SetConfiguration("MeterValueSampleInterval", "15"))
        assert changed.status == "Accepted"
        # The same neutral command on the 2.0.1 station is a SetVariables of the mapped variable.
        mapped = await server.sessions.execute("CS-DM", SetConfiguration("MeterValueSampleInterval", "15"))
        assert mapped.action == "SetVariables" and mapped.status is None
    finally:
        await v16.disconnect()
    keys16 = {entry["key"]: entry for entry in await station_config(server, capsys, "CP-DM16")}
    assert keys16["MeterValueSampleInterval"]["value"] == "15"
    assert keys16["MeterValueSampleInterval"]["source"] == "ChangeConfiguration"
    assert (
        keys16["HeartbeatInterval"]["kind"] == "key"
        and keys16["HeartbeatInterval"]["source"] == "GetConfiguration"
    )
    keys201 = {entry["key"]: entry for entry in await station_config(server, capsys, "CS-DM")}
    assert keys201["SampledDataCtrlr.TxUpdatedInterval"]["value"] == "15"
    unknown = await asyncio.to_thread(
        cli_main, ["station", "--database-url", server.settings.database_url, "config", "NOPE"]
    )
    assert unknown == 1


async def test_get_report_of_named_variables_and_criteria_is_stored(
    server: Runtime, station: SimulatedStation201, capsys: pytest.CaptureFixture[str]
) -> None:
    """B08 GetReport: the variables named, then the components meeting criteria; EmptyResultSet
    when nothing matches."""
    code, out = await command(
        server, capsys, "get-report", "CS-DM", "--variable", "EVSE@1.Power", "--request-id", "77"
    )
    assert code == 0 and out["status"] == "Accepted"
    assert out["request"]["componentVariable"] == [
        {"component": {"name": "EVSE", "evse": {"id": 1}}, "variable": {"name": "Power"}}
    ]

    async def complete() -> bool:
        progress = await server.domain.device_model.report("CS-DM", 77)
        return progress is not None and progress.complete

    await poll(complete)
    view = {entry["key"]: entry for entry in await station_config(server, capsys, "CS-DM")}
    assert set(view) == {"EVSE@1.Power"} and view["EVSE@1.Power"]["source"] == "NotifyReport"
    code, out = await command(server, capsys, "get-report", "CS-DM", "--criteria", "Problem")
    assert code == 0 and out["status"] == "EmptyResultSet"


async def test_ocpp21_station_device_model_uses_the_same_flows(
    server: Runtime, capsys: pytest.CaptureFixture[str]
) -> None:
    """A 2.1 station (2.1 schemas) reports its device model and answers SetVariables the same way."""
    st = SimulatedStation201(
        StationConfig("CS-DM21", server.ocpp_url, evses=1, boot_retry_seconds=0.1),
        validator=VALIDATORS["2.1"],
        version="2.1",
    )
    await st.connect()
    try:
        assert await st.boot() == "Accepted"
        stored = await server.domain.stations.get("CS-DM21")
        assert stored is not None and stored.ocpp_version == "2.1"
        code, out = await command(server, capsys, "get-base-report", "CS-DM21", "--request-id", "5")
        assert code == 0 and out["status"] == "Accepted"

        async def complete() -> bool:
            progress = await server.domain.device_model.report("CS-DM21", 5)
            return progress is not None and progress.complete

        await poll(complete)
        code, out = await command(
            server, capsys, "set-variables", "CS-DM21", "--set", "OCPPCommCtrlr.HeartbeatInterval=90"
        )
        assert code == 0 and out["response"]["setVariableResult"][0]["attributeStatus"] == "Accepted"
    finally:
        await st.disconnect()
    view = {entry["key"]: entry for entry in await station_config(server, capsys, "CS-DM21")}
    assert view["OCPPCommCtrlr.HeartbeatInterval"]["value"] == "90"
    assert view["OCPPCommCtrlr.HeartbeatInterval"]["source"] == "SetVariables"
    assert view["EVSE@1.Power"]["max_limit"] == "22000"


async def learn_device_model(server: Runtime, capsys: pytest.CaptureFixture[str], station_id: str) -> None:
    """A FullInventory report of the station, stored complete."""
    code, out = await command(server, capsys, "get-base-report", station_id, "--request-id", "77")
    assert code == 0 and out["status"] == "Accepted"

    async def complete() -> bool:
        progress = await server.domain.device_model.report(station_id, 77)
        return progress is not None and progress.complete

    await poll(complete)


async def test_get_and_set_variables_are_split_by_the_station_items_per_message(
    server: Runtime, station: SimulatedStation201, capsys: pytest.CaptureFixture[str]
) -> None:
    """B06/B05: more variables than ItemsPerMessage[GetVariables|SetVariables] allows go in several
    requests, answered as one; the station rejects a longer request as a real one would."""
    station.device_model.set("DeviceDataCtrlr", "ItemsPerMessage", "2", instance="GetVariables")
    station.device_model.set("DeviceDataCtrlr", "ItemsPerMessage", "2", instance="SetVariables")
    variables = [
        "OCPPCommCtrlr.HeartbeatInterval",
        "EVSE@2.Power",
        "AuthCtrlr.AuthorizeRemoteStart",
        "NoSuchCtrlr.Nothing",
        "SampledDataCtrlr.TxUpdatedInterval",
    ]
    args = [arg for name in variables for arg in ("--variable", name)]
    # The limit not known yet: one request, refused by the station.
    code, out = await command(server, capsys, "get-variables", "CS-DM", *args)
    assert code != 0 and "OccurrenceConstraintViolation" in json.dumps(out)

    await learn_device_model(server, capsys, "CS-DM")
    received = station.stats.calls_received
    code, out = await command(server, capsys, "get-variables", "CS-DM", *args)
    assert code == 0 and station.stats.calls_received - received == 3  # 2 + 2 + 1
    results = out["response"]["getVariableResult"]
    assert [r["variable"]["name"] for r in results] == [v.split(".")[1] for v in variables]
    assert [r["attributeStatus"] for r in results] == [
        "Accepted", "Accepted", "Accepted", "UnknownComponent", "Accepted",
    ]  # fmt: skip
    assert len(out["request"]["getVariableData"]) == 5

    received = station.stats.calls_received
    code, out = await command(
        server, capsys, "set-variables", "CS-DM",
        "--set", "OCPPCommCtrlr.HeartbeatInterval=50", "--set", "SampledDataCtrlr.TxUpdatedInterval=20",
        "--set", "ChargingStation.Model=Other",
    )  # fmt: skip
    assert code == 0 and station.stats.calls_received - received == 2
    statuses = [r["attributeStatus"] for r in out["response"]["setVariableResult"]]
    assert statuses == ["Accepted", "Accepted", "Rejected"]
    assert station.device_model.value("OCPPCommCtrlr", "HeartbeatInterval") == "50"
    assert station.device_model.value("SampledDataCtrlr", "TxUpdatedInterval") == "20"


async def test_a_refused_part_of_a_split_get_variables_is_reported_per_item(
    server: Runtime, station: SimulatedStation201, capsys: pytest.CaptureFixture[str]
) -> None:
    """A part the station answers with a CALLERROR has its items Rejected with the error; the other
    parts' answers are kept and returned."""
    station.device_model.set("DeviceDataCtrlr", "ItemsPerMessage", "2", instance="GetVariables")
    await learn_device_model(server, capsys, "CS-DM")
    # The station now takes one item a request: the CSMS's parts of two are refused.
    station.device_model.set("DeviceDataCtrlr", "ItemsPerMessage", "1", instance="GetVariables")
    code, out = await command(
        server, capsys, "get-variables", "CS-DM",
        "--variable", "OCPPCommCtrlr.HeartbeatInterval", "--variable", "EVSE@2.Power",
        "--variable", "AuthCtrlr.AuthorizeRemoteStart",
    )  # fmt: skip
    assert code == 0
    first, second, third = out["response"]["getVariableResult"]
    assert first["attributeStatus"] == second["attributeStatus"] == "Rejected"
    assert first["attributeStatusInfo"]["reasonCode"] == "OccurrenceConstraint"[:20]
    assert second["component"] == {"name": "EVSE", "evse": {"id": 2}}
    assert third["attributeStatus"] == "Accepted" and third["attributeValue"] == "false"
    view = {entry["key"]: entry for entry in await station_config(server, capsys, "CS-DM")}
    assert view["AuthCtrlr.AuthorizeRemoteStart"]["source"] == "GetVariables"
    assert view["OCPPCommCtrlr.HeartbeatInterval"]["source"] == "NotifyReport"  # no answer stored
