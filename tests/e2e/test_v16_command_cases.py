"""OCA OCPP 1.6 CSMS test cases that the operator starts: the CSMS sends the call, the test answers
as the case's charge point does, and checks the call sent, the answer shown and what was stored."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from opencsms.bus.interface import EventFilter
from opencsms.runtime import Runtime
from tests.e2e.scripted import ChargePoint, command_answered, connector_status

pytestmark = pytest.mark.e2e


async def test_tc_010_csms_remote_start_cable_plugged_in_first(
    server: Runtime, operator_http: httpx.AsyncClient
) -> None:
    """TC_010_CSMS: the cable is in (Preparing); the operator starts remotely on that connector:
    RemoteStartTransaction names connector and tag, then Authorize, StartTransaction, Charging."""
    await server.domain.tokens.add("TAG-010")
    point = await ChargePoint.online(server, "CP-010")
    await point.status(1, "Preparing")
    sent, result = await command_answered(
        operator_http,
        point.raw,
        "CP-010",
        "remote_start",
        {"id_token": "TAG-010", "connector_id": 1},
        "RemoteStartTransaction",
        {"status": "Accepted"},
    )
    assert sent == {"idTag": "TAG-010", "connectorId": 1}
    assert result["status"] == "Accepted"
    assert await point.authorize("TAG-010") == "Accepted"
    transaction_id, status = await point.start(1, "TAG-010")
    assert status == "Accepted"
    await point.status(1, "Charging")
    tx = await server.domain.transactions.get(transaction_id)
    assert tx is not None and tx.status == "active" and (tx.connector_id, tx.id_token) == (1, "TAG-010")
    await point.close()


async def test_tc_011_2_csms_remote_start_time_out(server: Runtime, operator_http: httpx.AsyncClient) -> None:
    """TC_011_2_CSMS: remote start Accepted, Preparing, then no cable within ConnectionTimeOut:
    Available again; the CSMS has no transaction for it."""
    await server.domain.tokens.add("TAG-0112")
    point = await ChargePoint.online(server, "CP-0112")
    _, result = await command_answered(
        operator_http,
        point.raw,
        "CP-0112",
        "remote_start",
        {"id_token": "TAG-0112", "connector_id": 2},
        "RemoteStartTransaction",
        {"status": "Accepted"},
    )
    assert result["status"] == "Accepted"
    await point.status(2, "Preparing")
    await point.status(2, "Available")
    assert await server.domain.transactions.list(station_id="CP-0112") == []
    assert await connector_status(server, "CP-0112", 2) == ("Available", "NoError")
    await point.close()


async def test_tc_026_csms_remote_start_charging_session_rejected(
    server: Runtime, operator_http: httpx.AsyncClient
) -> None:
    """TC_026_CSMS: the charge point rejects the remote start; the operator sees Rejected and no
    transaction is recorded."""
    await server.domain.tokens.add("TAG-026")
    point = await ChargePoint.online(server, "CP-026")
    sent, result = await command_answered(
        operator_http,
        point.raw,
        "CP-026",
        "remote_start",
        {"id_token": "TAG-026", "connector_id": 1},
        "RemoteStartTransaction",
        {"status": "Rejected"},
    )
    assert sent["idTag"] == "TAG-026" and result["status"] == "Rejected"
    assert await server.domain.transactions.list(station_id="CP-026") == []
    await point.close()


@pytest.mark.parametrize(
    ("connector", "answer"),
    [
        (1, "NotSupported"),  # TC_017_2_CSMS: fixed cable
        (1, "UnlockFailed"),  # TC_030_CSMS
        (3, "NotSupported"),  # TC_031_CSMS: the charge point has no connector 3
    ],
)
async def test_tc_017_2_030_031_csms_unlock_connector_not_unlocked(
    server: Runtime, operator_http: httpx.AsyncClient, connector: int, answer: str
) -> None:
    """TC_017_2_CSMS (fixed cable: NotSupported), TC_030_CSMS (UnlockFailed), TC_031_CSMS (unknown
    connector: NotSupported): the CSMS sends UnlockConnector for the connector asked and reports
    the charge point's answer.

    TC_017_2_CSMS: UnlockConnector for connector 1 with a fixed cable: NotSupported.
    TC_030_CSMS: UnlockConnector for connector 1: UnlockFailed.
    TC_031_CSMS: UnlockConnector for connector 3, which the charge point lacks: NotSupported.
    """
    point = await ChargePoint.online(server, "CP-UNLOCK")
    sent, result = await command_answered(
        operator_http,
        point.raw,
        "CP-UNLOCK",
        "unlock_connector",
        {"connector_id": connector},
        "UnlockConnector",
        {"status": answer},
    )
    assert sent == {"connectorId": connector}
    assert result["status"] == answer and result["response"] == {"status": answer}
    await point.close()


async def test_tc_018_1_csms_unlock_connector_with_charging_session(
    server: Runtime, operator_http: httpx.AsyncClient
) -> None:
    """TC_018_1_CSMS: unlocking the connector of a running transaction: Unlocked, then
    StopTransaction (UnlockCommand), Finishing, Available; the transaction ends with that reason."""
    point = await ChargePoint.online(server, "CP-0181")
    transaction_id = await point.charging(server, 1, "TAG-0181")
    sent, result = await command_answered(
        operator_http,
        point.raw,
        "CP-0181",
        "unlock_connector",
        {"connector_id": 1},
        "UnlockConnector",
        {"status": "Unlocked"},
    )
    assert sent == {"connectorId": 1} and result["status"] == "Unlocked"
    await point.stop(transaction_id, "UnlockCommand", meter=1300)
    await point.status(1, "Finishing")
    await point.status(1, "Available")
    tx = await server.domain.transactions.get(transaction_id)
    assert tx is not None and tx.status == "ended" and tx.stop_reason == "UnlockCommand"
    await point.close()


async def test_tc_054_csms_trigger_message(server: Runtime, operator_http: httpx.AsyncClient) -> None:
    """TC_054_CSMS: TriggerMessage for MeterValues, Heartbeat, StatusNotification, BootNotification,
    FirmwareStatusNotification and DiagnosticsStatusNotification; the charge point accepts and
    sends each; the CSMS answers, stores them or passes the statuses on to the event stream."""
    point = await ChargePoint.online(server, "CP-054")

    async def trigger(message: str, connector: int | None = None) -> None:
        args: dict[str, object] = {"message": message}
        if connector is not None:
            args["connector_id"] = connector
        sent, result = await command_answered(
            operator_http,
            point.raw,
            "CP-054",
            "trigger_message",
            args,
            "TriggerMessage",
            {"status": "Accepted"},
        )
        expected: dict[str, object] = {"requestedMessage": message}
        if connector is not None:
            expected["connectorId"] = connector
        assert sent == expected and result["status"] == "Accepted"

    await trigger("MeterValues", 1)
    sample = {
        "value": "4321",
        "measurand": "Energy.Active.Import.Register",
        "unit": "Wh",
        "context": "Trigger",
    }
    mv = {"connectorId": 1, "meterValue": [{"timestamp": "2026-11-24T10:00:00Z", "sampledValue": [sample]}]}
    assert await point.call("MeterValues", mv) == {}
    values = await server.domain.transactions.meter_values_of_station("CP-054")
    assert [(sv.value, sv.context) for _, sv in values] == [("4321", "Trigger")]

    await trigger("Heartbeat")
    assert (await point.call("Heartbeat", {}))["currentTime"].endswith("Z")

    await trigger("StatusNotification", 2)
    await point.status(2, "Unavailable")
    assert await connector_status(server, "CP-054", 2) == ("Unavailable", "NoError")

    await trigger("BootNotification")
    boot = await point.call("BootNotification", {"chargePointVendor": "Acme", "chargePointModel": "AC22"})
    assert boot["status"] == "Accepted"

    kinds = ["station.firmware_status", "station.diagnostics_status"]
    events = server.bus.subscribe(EventFilter.of(kinds, ["CP-054"]))
    try:
        for message in ("FirmwareStatusNotification", "DiagnosticsStatusNotification"):
            await trigger(message)
            assert await point.call(message, {"status": "Idle"}) == {}
        seen = [await asyncio.wait_for(events.get(), 10) for _ in kinds]
    finally:
        events.close()
    assert [(e.kind, e.data["status"]) for e in seen] == [(kind, "Idle") for kind in kinds]
    await point.close()


async def test_tc_055_csms_trigger_message_rejected(
    server: Runtime, operator_http: httpx.AsyncClient
) -> None:
    """TC_055_CSMS: the charge point rejects a TriggerMessage; the operator sees Rejected."""
    point = await ChargePoint.online(server, "CP-055")
    sent, result = await command_answered(
        operator_http,
        point.raw,
        "CP-055",
        "trigger_message",
        {"message": "MeterValues", "connector_id": 1},
        "TriggerMessage",
        {"status": "Rejected"},
    )
    assert sent == {"requestedMessage": "MeterValues", "connectorId": 1}
    assert result["status"] == "Rejected"
    await point.close()


async def test_tc_059_csms_remote_start_transaction_with_charging_profile(
    server: Runtime, operator_http: httpx.AsyncClient
) -> None:
    """TC_059_CSMS: the operator starts remotely with a TxProfile; RemoteStartTransaction carries
    it (1.6 spelling) and the charge point starts the transaction. A profile of another purpose
    is refused before anything is sent."""
    await server.domain.tokens.add("TAG-059")
    point = await ChargePoint.online(server, "CP-059")
    profile = {
        "id": 59,
        "stackLevel": 0,
        "chargingProfilePurpose": "TxProfile",
        "chargingProfileKind": "Relative",
        "chargingSchedule": [
            {"id": 1, "chargingRateUnit": "A", "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 16}]}
        ],
    }
    refused = await operator_http.post(
        "/api/v1/stations/CP-059/commands/remote_start",
        json={
            "id_token": "TAG-059",
            "connector_id": 1,
            "charging_profile": {**profile, "chargingProfilePurpose": "TxDefaultProfile"},
        },
    )
    assert refused.status_code == 422 and "TxProfile" in refused.text
    sent, result = await command_answered(
        operator_http,
        point.raw,
        "CP-059",
        "remote_start",
        {"id_token": "TAG-059", "connector_id": 1, "charging_profile": profile},
        "RemoteStartTransaction",
        {"status": "Accepted"},
    )
    assert sent["idTag"] == "TAG-059" and sent["connectorId"] == 1
    assert sent["chargingProfile"]["chargingProfileId"] == 59
    assert sent["chargingProfile"]["chargingProfilePurpose"] == "TxProfile"
    assert sent["chargingProfile"]["chargingSchedule"]["chargingSchedulePeriod"] == [
        {"startPeriod": 0, "limit": 16.0}
    ]
    assert result["status"] == "Accepted"
    assert await point.authorize("TAG-059") == "Accepted"
    await point.status(1, "Preparing")
    transaction_id, status = await point.start(1, "TAG-059")
    assert status == "Accepted"
    await point.status(1, "Charging")
    tx = await server.domain.transactions.get(transaction_id)
    assert tx is not None and tx.status == "active" and tx.id_token == "TAG-059"
    await point.close()
