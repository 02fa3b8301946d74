"""CSMS -> station calls of 2.0.1: the simulated station answers them and acts on them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from opencsms.ocppj.errors import NotImplementedCallError, NotSupportedError
from opencsms.simulate import SimulatedStation201
from opencsms.simulate.device_model201 import Component
from opencsms.transport.connection import CallErrorReceived
from tests.simulate.csms import FakeCsms

TOKEN = {"idToken": "TAG-R", "type": "Central"}


def item(component: str, variable: str, evse: dict[str, int] | None = None, **extra: Any) -> dict[str, Any]:
    component_ref: dict[str, Any] = {"name": component}
    if evse is not None:
        component_ref["evse"] = evse
    return {"component": component_ref, "variable": {"name": variable}, **extra}


async def test_remote_start_really_starts_and_remote_stop_really_stops(
    csms: FakeCsms, station201: SimulatedStation201
) -> None:
    start = {"idToken": TOKEN, "remoteStartId": 42, "evseId": 2}
    assert await csms.call("CS1", "RequestStartTransaction", start) == {"status": "Accepted"}
    started = (await csms.wait_for("TransactionEvent"))[0]
    assert started["triggerReason"] == "RemoteStart" and started["seqNo"] == 0
    assert started["transactionInfo"]["remoteStartId"] == 42
    assert started["idToken"] == TOKEN and started["evse"] == {"id": 2, "connectorId": 1}
    assert csms.connector_statuses(2) == ["Occupied"]
    assert "Authorize" not in csms.actions()  # AuthCtrlr.AuthorizeRemoteStart is false
    updates = await csms.wait_for("TransactionEvent", 3)  # metered on its own every 0.1 s
    assert updates[-1]["triggerReason"] == "MeterValuePeriodic"

    assert await csms.call("CS1", "RequestStartTransaction", start) == {"status": "Rejected"}  # busy
    assert await csms.call("CS1", "RequestStartTransaction", {**start, "evseId": 7}) == {"status": "Rejected"}
    assert await csms.call("CS1", "RequestStopTransaction", {"transactionId": "nope"}) == {
        "status": "Rejected"
    }

    transaction_id = started["transactionInfo"]["transactionId"]
    result = await csms.call("CS1", "RequestStopTransaction", {"transactionId": transaction_id})
    assert result == {"status": "Accepted"}
    await csms.wait_until(lambda: csms.events()[-1]["eventType"] == "Ended")
    ended = csms.events()[-1]
    assert ended["triggerReason"] == "RemoteStop" and ended["transactionInfo"]["stoppedReason"] == "Remote"
    assert [e["seqNo"] for e in csms.events()] == list(range(len(csms.events())))
    await csms.wait_until(lambda: csms.connector_statuses(2) == ["Occupied", "Available"])
    assert station201.evses[2].is_free


async def test_remote_start_authorizes_when_configured(
    csms: FakeCsms, station201: SimulatedStation201
) -> None:
    result = await csms.call(
        "CS1",
        "SetVariables",
        {"setVariableData": [item("AuthCtrlr", "AuthorizeRemoteStart", attributeValue="TRUE")]},
    )
    assert result["setVariableResult"][0]["attributeStatus"] == "Accepted"
    bad = {"idToken": {"idToken": "BAD-TAG", "type": "ISO14443"}, "remoteStartId": 1}
    assert await csms.call("CS1", "RequestStartTransaction", bad) == {"status": "Accepted"}
    await csms.wait_until(lambda: station201.stats.auth_rejected == 1)
    assert csms.actions().count("Authorize") == 1 and "TransactionEvent" not in csms.actions()
    await csms.wait_until(lambda: all(e.is_free for e in station201.evses.values()))


async def test_remote_start_gives_up_when_nobody_plugs_in(
    csms: FakeCsms, make_station201: Callable[..., SimulatedStation201]
) -> None:
    st = make_station201(plug_in_seconds=0.2)
    await st.connect()
    await st.boot()
    st.device_model.set("TxCtrlr", "EVConnectionTimeOut", "0")
    await csms.call("CS1", "RequestStartTransaction", {"idToken": TOKEN, "remoteStartId": 3, "evseId": 1})
    await csms.wait_until(lambda: st.evses[1].is_free)
    assert "TransactionEvent" not in csms.actions() and "StatusNotification" not in csms.actions()


async def test_immediate_reset_ends_transactions_reconnects_and_boots(
    csms: FakeCsms, station201: SimulatedStation201
) -> None:
    transaction_id = await station201.start_transaction(1, "TAG-1")
    assert await csms.call("CS1", "Reset", {"type": "Immediate"}) == {"status": "Accepted"}
    boots = await csms.wait_for("BootNotification", 2)
    assert boots[1]["reason"] == "RemoteReset"
    ended = csms.events()[-1]
    assert ended["transactionInfo"] == {
        "transactionId": transaction_id,
        "chargingState": "EVConnected",
        "stoppedReason": "ImmediateReset",
    }
    assert ended["triggerReason"] == "ResetCommand"
    await csms.wait_until(lambda: len(csms.calls("StatusNotification")) == 2)  # both EVSEs again
    assert csms.connects["CS1"] == 2 and station201.online.is_set() and station201.stats.resets == 1
    assert await csms.call("CS1", "Reset", {"type": "Immediate", "evseId": 1}) == {"status": "Rejected"}


async def test_on_idle_reset_waits_for_the_last_transaction(
    csms: FakeCsms, station201: SimulatedStation201
) -> None:
    await station201.start_transaction(1, "TAG-1")
    assert await csms.call("CS1", "Reset", {"type": "OnIdle"}) == {"status": "Scheduled"}
    await csms.wait_until(lambda: station201.reset_scheduled)
    assert csms.connects["CS1"] == 1
    await station201.stop_transaction(1)
    boots = await csms.wait_for("BootNotification", 2)
    assert boots[1]["reason"] == "RemoteReset" and csms.connects["CS1"] == 2
    await csms.wait_until(lambda: station201.online.is_set())
    assert await csms.call("CS1", "Reset", {"type": "OnIdle"}) == {"status": "Accepted"}
    await csms.wait_for("BootNotification", 3)


async def test_base_report_comes_in_parts(csms: FakeCsms, station201: SimulatedStation201) -> None:
    result = await csms.call("CS1", "GetBaseReport", {"requestId": 7, "reportBase": "FullInventory"})
    assert result == {"status": "Accepted"}
    total = len(station201.device_model)
    parts = await csms.wait_for("NotifyReport", -(-total // 20))
    assert len(parts) >= 2
    assert [p["seqNo"] for p in parts] == list(range(len(parts)))
    assert [p["tbc"] for p in parts] == [True] * (len(parts) - 1) + [False]
    assert {p["requestId"] for p in parts} == {7} and len({p["generatedAt"] for p in parts}) == 1
    data = [d for p in parts for d in p["reportData"]]
    assert len(data) == total
    by_name = {
        (d["component"]["name"], d["variable"]["name"], d["variable"].get("instance")): d for d in data
    }
    heartbeat = by_name[("OCPPCommCtrlr", "HeartbeatInterval", None)]
    assert heartbeat["variableAttribute"] == [
        {"type": "Actual", "mutability": "ReadWrite", "persistent": True, "constant": False, "value": "60"}
    ]
    assert heartbeat["variableCharacteristics"] == {
        "dataType": "integer", "supportsMonitoring": False, "unit": "s", "minLimit": 0,
    }  # fmt: skip
    for wanted in [
        ("SampledDataCtrlr", "TxUpdatedInterval", None),
        ("AuthCtrlr", "AuthorizeRemoteStart", None),
        ("TxCtrlr", "EVConnectionTimeOut", None),
        ("SecurityCtrlr", "SecurityProfile", None),
        ("DeviceDataCtrlr", "ItemsPerMessage", "GetReport"),
        ("ChargingStation", "AvailabilityState", None),
    ]:
        assert wanted in by_name
    assert "value" not in by_name[("SecurityCtrlr", "BasicAuthPassword", None)]["variableAttribute"][0]
    evses = {d["component"]["evse"]["id"] for d in data if d["component"]["name"] == "EVSE"}
    connectors = {
        (d["component"]["evse"]["id"], d["component"]["evse"]["connectorId"])
        for d in data
        if d["component"]["name"] == "Connector"
    }
    assert evses == {1, 2} and connectors == {(1, 1), (2, 1)}

    await csms.call("CS1", "GetBaseReport", {"requestId": 8, "reportBase": "ConfigurationInventory"})
    await csms.call("CS1", "GetBaseReport", {"requestId": 9, "reportBase": "SummaryInventory"})
    await csms.wait_until(lambda: {8, 9} <= {p["requestId"] for p in csms.calls("NotifyReport")})
    configuration = [d for p in csms.calls("NotifyReport") if p["requestId"] == 8 for d in p["reportData"]]
    assert all(d["variableAttribute"][0]["mutability"] != "ReadOnly" for d in configuration)
    summary = [d for p in csms.calls("NotifyReport") if p["requestId"] == 9 for d in p["reportData"]]
    assert {d["variable"]["name"] for d in summary} == {"AvailabilityState", "Available"}


async def test_custom_report(csms: FakeCsms, station201: SimulatedStation201) -> None:
    asked = {
        "requestId": 1,
        "componentVariable": [
            {"component": {"name": "EVSE"}, "variable": {"name": "Power"}},
            {"component": {"name": "TxCtrlr"}},
        ],
    }
    assert await csms.call("CS1", "GetReport", asked) == {"status": "Accepted"}
    data = (await csms.wait_for("NotifyReport"))[0]["reportData"]
    names = [(d["component"]["name"], d["variable"]["name"]) for d in data]
    assert names[:2] == [("EVSE", "Power"), ("EVSE", "Power")]
    assert {n for c, n in names if c == "TxCtrlr"} >= {"EVConnectionTimeOut", "TxStartPoint"}
    enabled = await csms.call("CS1", "GetReport", {"requestId": 2, "componentCriteria": ["Enabled"]})
    assert enabled == {"status": "Accepted"}
    parts = await csms.wait_for("NotifyReport", 2)
    assert {d["component"]["name"] for d in parts[1]["reportData"]} == {
        "SampledDataCtrlr", "AuthCtrlr", "AuthCacheCtrlr",
    }  # fmt: skip
    nothing = {"requestId": 3, "componentVariable": [{"component": {"name": "Toaster"}}]}
    assert await csms.call("CS1", "GetReport", nothing) == {"status": "EmptyResultSet"}


async def test_get_and_set_variables(csms: FakeCsms, station201: SimulatedStation201) -> None:
    got = await csms.call(
        "CS1",
        "GetVariables",
        {
            "getVariableData": [
                item("OCPPCommCtrlr", "HeartbeatInterval"),
                item("ocppcommctrlr", "heartbeatinterval"),  # names are matched without regard to case
                item("EVSE", "AvailabilityState", {"id": 2}),
                item("Toaster", "Colour"),
                item("TxCtrlr", "Colour"),
                item("OCPPCommCtrlr", "HeartbeatInterval", attributeType="Target"),
                item("SecurityCtrlr", "BasicAuthPassword"),
                item("EVSE", "Power", {"id": 9}),
            ]
        },
    )
    results = got["getVariableResult"]
    assert [r["attributeStatus"] for r in results] == [
        "Accepted", "Accepted", "Accepted", "UnknownComponent", "UnknownVariable",
        "NotSupportedAttributeType", "Rejected", "UnknownComponent",
    ]  # fmt: skip
    assert results[0]["attributeValue"] == "60" and results[2]["attributeValue"] == "Available"
    assert results[3]["component"] == {"name": "Toaster"} and "attributeValue" not in results[6]

    def setting(component: str, variable: str, value: str) -> dict[str, Any]:
        return item(component, variable, attributeValue=value)

    changed = await csms.call(
        "CS1",
        "SetVariables",
        {
            "setVariableData": [
                setting("OCPPCommCtrlr", "HeartbeatInterval", "5"),
                setting("SampledDataCtrlr", "TxUpdatedInterval", "0"),
                setting("ChargingStation", "Model", "Other"),
                setting("OCPPCommCtrlr", "HeartbeatInterval", "soon"),
                setting("TxCtrlr", "StopTxOnInvalidId", "maybe"),
                setting("TxCtrlr", "TxStartPoint", "EVConnected,Teleported"),
                setting("Toaster", "Colour", "red"),
                setting("SecurityCtrlr", "BasicAuthPassword", "0123456789abcdef"),
            ]
        },
    )
    statuses = [
        (r["attributeStatus"], r.get("attributeStatusInfo", {}).get("reasonCode"))
        for r in changed["setVariableResult"]
    ]
    assert statuses == [
        ("Accepted", None),
        ("Accepted", None),
        ("Rejected", "ReadOnly"),
        ("Rejected", "InvalidValue"),
        ("Rejected", "InvalidValue"),
        ("Rejected", "InvalidValue"),
        ("UnknownComponent", None),
        ("Accepted", None),
    ]
    assert station201.heartbeat_interval == 5 and station201.meter_interval == 0
    again = await csms.call(
        "CS1", "GetVariables", {"getVariableData": [item("OCPPCommCtrlr", "HeartbeatInterval")]}
    )
    assert again["getVariableResult"][0]["attributeValue"] == "5"
    too_many = {"getVariableData": [item("OCPPCommCtrlr", "HeartbeatInterval")] * 26}
    with pytest.raises(CallErrorReceived) as refused:
        await csms.call("CS1", "GetVariables", too_many)
    assert refused.value.error.code == "OccurrenceConstraintViolation"


async def test_change_availability(csms: FakeCsms, station201: SimulatedStation201) -> None:
    async def change(status: str, evse: dict[str, int] | None = None) -> str:
        payload: dict[str, Any] = {"operationalStatus": status}
        if evse is not None:
            payload["evse"] = evse
        return str((await csms.call("CS1", "ChangeAvailability", payload))["status"])

    assert await change("Inoperative", {"id": 2}) == "Accepted"
    await csms.wait_until(lambda: csms.connector_statuses(2) == ["Unavailable"])
    assert station201.device_model.value(Component("EVSE", evse_id=2), "Available") == "false"
    start = {"idToken": TOKEN, "remoteStartId": 1, "evseId": 2}
    assert await csms.call("CS1", "RequestStartTransaction", start) == {"status": "Rejected"}
    assert await change("Operative", {"id": 2, "connectorId": 1}) == "Accepted"
    assert csms.connector_statuses(2) == ["Unavailable"]  # the EVSE itself is still inoperative
    assert await change("Operative", {"id": 2}) == "Accepted"
    await csms.wait_until(lambda: csms.connector_statuses(2) == ["Unavailable", "Available"])

    await station201.start_transaction(1, "TAG-1")
    assert await change("Inoperative", {"id": 1}) == "Scheduled"
    assert await change("Inoperative", {"id": 9}) == "Rejected"
    assert await change("Inoperative", {"id": 1, "connectorId": 4}) == "Rejected"
    await station201.end_session(1)
    assert not station201.evses[1].operative
    assert csms.connector_statuses(1) == ["Available", "Unavailable"]  # first told when EVSE 2 changed

    assert await change("Inoperative") == "Accepted"
    await csms.wait_until(lambda: csms.connector_statuses(2)[-1] == "Unavailable")
    assert not any(e.operative for e in station201.evses.values())


async def test_unlock_trigger_and_the_rest(csms: FakeCsms, station201: SimulatedStation201) -> None:
    async def call(action: str, payload: dict[str, Any]) -> str:
        return str((await csms.call("CS1", action, payload))["status"])

    assert await call("UnlockConnector", {"evseId": 1, "connectorId": 1}) == "Unlocked"
    assert await call("UnlockConnector", {"evseId": 1, "connectorId": 2}) == "UnknownConnector"
    await station201.start_transaction(1, "TAG-1")
    assert await call("UnlockConnector", {"evseId": 1, "connectorId": 1}) == "OngoingAuthorizedTransaction"

    assert await call("TriggerMessage", {"requestedMessage": "BootNotification"}) == "Rejected"  # F06.FR.17
    assert await call("TriggerMessage", {"requestedMessage": "Heartbeat"}) == "Accepted"
    await csms.wait_for("Heartbeat")
    assert (
        await call(
            "TriggerMessage", {"requestedMessage": "StatusNotification", "evse": {"id": 2, "connectorId": 1}}
        )
        == "Accepted"
    )
    await csms.wait_until(lambda: csms.connector_statuses(2) == ["Available"])
    assert await call("TriggerMessage", {"requestedMessage": "MeterValues", "evse": {"id": 1}}) == "Accepted"
    sample = (await csms.wait_for("MeterValues"))[0]
    assert sample["evseId"] == 1 and sample["meterValue"][0]["sampledValue"][0]["context"] == "Trigger"
    assert await call("TriggerMessage", {"requestedMessage": "TransactionEvent"}) == "Accepted"
    await csms.wait_until(lambda: csms.events()[-1]["triggerReason"] == "Trigger")
    assert (
        await call("TriggerMessage", {"requestedMessage": "TransactionEvent", "evse": {"id": 2}})
        == "Rejected"
    )
    assert await call("TriggerMessage", {"requestedMessage": "LogStatusNotification"}) == "Accepted"
    assert (await csms.wait_for("LogStatusNotification"))[0] == {"status": "Idle"}
    assert await call("TriggerMessage", {"requestedMessage": "SignV2GCertificate"}) == "NotImplemented"
    assert await call("TriggerMessage", {"requestedMessage": "Heartbeat", "evse": {"id": 5}}) == "Rejected"

    assert await call("ClearCache", {}) == "Accepted"
    assert await call("DataTransfer", {"vendorId": "com.example"}) == "UnknownVendorId"
    profile = {
        "configurationSlot": 1,
        "connectionData": {
            "ocppVersion": "OCPP20", "ocppTransport": "JSON", "ocppCsmsUrl": "wss://example.com/ocpp",
            "messageTimeout": 30, "securityProfile": 0, "ocppInterface": "Wired0",
        },
    }  # fmt: skip
    assert await call("SetNetworkProfile", profile) == "Accepted"
    # No way down (A05): a station at profile 2 refuses a profile 1 network.
    station201.security.profile = 2
    profile["connectionData"]["securityProfile"] = 1
    assert await call("SetNetworkProfile", profile) == "Rejected"


@pytest.mark.parametrize("validate", [True, False])
async def test_unknown_and_unsupported_actions(
    make_station201: Callable[..., SimulatedStation201], validate: bool
) -> None:
    async with FakeCsms(validate=False) as raw:
        st = make_station201(url=raw.url, validate=validate)
        await st.connect()
        with pytest.raises(CallErrorReceived) as refused:
            await raw.call("CS1", "FlyToTheMoon", {})
        assert isinstance(refused.value.error, NotImplementedCallError)
        with pytest.raises(CallErrorReceived) as unsupported:
            await raw.call("CS1", "ClearDisplayMessage", {"id": 1})
        assert isinstance(unsupported.value.error, NotSupportedError)
        if not validate:
            with pytest.raises(CallErrorReceived) as missing:
                await raw.call(
                    "CS1", "RequestStartTransaction", {"idToken": {"idToken": "T", "type": "Local"}}
                )
            assert missing.value.error.code == "OccurrenceConstraintViolation"
            with pytest.raises(CallErrorReceived) as bad:
                await raw.call("CS1", "Reset", {"type": "Gentle"})
            assert bad.value.error.code == "PropertyConstraintViolation"
        await st.disconnect()


async def test_a_2_1_station_answers_in_2_1(
    csms: FakeCsms, make_station201: Callable[..., SimulatedStation201]
) -> None:
    st = make_station201("CS21", version="2.1")
    await st.connect()
    assert await st.boot() == "Accepted"
    start = {"idToken": TOKEN, "remoteStartId": 5, "evseId": 1}
    assert await csms.call("CS21", "RequestStartTransaction", start) == {"status": "Accepted"}
    started = (await csms.wait_for("TransactionEvent"))[0]
    transaction_id = started["transactionInfo"]["transactionId"]
    assert await csms.call("CS21", "RequestStopTransaction", {"transactionId": transaction_id}) == {
        "status": "Accepted"
    }
    await csms.wait_until(lambda: csms.events()[-1]["eventType"] == "Ended")
    assert await csms.call("CS21", "GetBaseReport", {"requestId": 1, "reportBase": "FullInventory"}) == {
        "status": "Accepted"
    }
    await csms.wait_until(lambda: any(not p["tbc"] for p in csms.calls("NotifyReport")))
    got = await csms.call("CS21", "GetVariables", {"getVariableData": [item("TxCtrlr", "TxStartPoint")]})
    assert got["getVariableResult"][0]["attributeValue"] == "EVConnected,Authorized"
    with pytest.raises(CallErrorReceived) as unsupported:  # a 2.1 action: known, not supported
        await csms.call("CS21", "GetTariffs", {"evseId": 1})
    assert isinstance(unsupported.value.error, NotSupportedError)
