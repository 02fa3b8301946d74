"""OCA OCPP 2.0.1 CSMS test cases of blocks B, E, F and G that the operator starts: the CSMS sends
the call, the test answers as the case's station does, and checks the call sent, the answer
shown, the station messages that follow and what was stored."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

from opencsms.bus.interface import EventFilter
from opencsms.runtime import Runtime
from tests.e2e.scripted import BOOT_201, ChargingStation, command_answered, evse_status, timestamp
from tests.e2e.wsclient import RawStation

pytestmark = pytest.mark.e2e

ACCEPTED = {"idTokenInfo": {"status": "Accepted"}}


async def running(server: Runtime, station: ChargingStation, transaction: str, evse: int = 1) -> int:
    """Reusable state EnergyTransferStarted on ``evse``; returns opencsms's id of the transaction."""
    await server.domain.tokens.add("RFID-RUN")
    await station.status(evse, 1, "Occupied")
    assert await station.event("Started", "Authorized", transaction, token="RFID-RUN", evse=evse) == ACCEPTED
    await station.event("Updated", "ChargingStateChanged", transaction, state="Charging")
    tx = await server.domain.transactions.find(station.station_id, transaction)
    assert tx is not None
    return tx.id


async def command(
    http: httpx.AsyncClient,
    station: ChargingStation,
    name: str,
    args: dict[str, Any],
    action: str,
    answer: dict[str, Any],
) -> tuple[dict[str, Any], dict[str, Any]]:
    return await command_answered(http, station.raw, station.station_id, name, args, action, answer)


async def test_tc_b_22_csms_reset_station_with_ongoing_transaction_immediate(
    server: Runtime, operator_http: httpx.AsyncClient
) -> None:
    """TC_B_22_CSMS: Reset Immediate while charging: the transaction ends (ResetCommand,
    ImmediateReset), the station reboots (BootNotification RemoteReset) and is Accepted again."""
    station = await ChargingStation.online(server, "CS-B22")
    tx_id = await running(server, station, "tx-b22")
    sent, result = await command(
        operator_http, station, "reset", {"kind": "Hard"}, "Reset", {"status": "Accepted"}
    )
    assert sent == {"type": "Immediate"} and result["status"] == "Accepted"
    await station.event("Ended", "ResetCommand", "tx-b22", state="EVConnected", stopped="ImmediateReset")
    await station.close()
    before = await server.domain.stations.get("CS-B22")
    assert before is not None and before.last_boot is not None

    station = ChargingStation(await RawStation.open(server.ocpp_url, "CS-B22", ("ocpp2.0.1",)), "CS-B22")
    boot = await station.call("BootNotification", {**BOOT_201, "reason": "RemoteReset"})
    assert boot["status"] == "Accepted"
    await station.status(1, 1, "Available")
    tx = await server.domain.transactions.get(tx_id)
    assert tx is not None and (tx.status, tx.stop_reason) == ("ended", "ImmediateReset")
    after = await server.domain.stations.get("CS-B22")
    assert after is not None and after.last_boot is not None and after.last_boot >= before.last_boot
    await station.close()


async def test_tc_b_25_csms_reset_evse_without_ongoing_transaction(
    server: Runtime, operator_http: httpx.AsyncClient
) -> None:
    """TC_B_25_CSMS: Reset OnIdle of one idle EVSE names it; Accepted; the EVSE reboots
    (Unavailable, then Available) while the station stays connected."""
    station = await ChargingStation.online(server, "CS-B25")
    sent, result = await command(
        operator_http, station, "reset", {"kind": "Soft", "evse_id": 1}, "Reset", {"status": "Accepted"}
    )
    assert sent == {"type": "OnIdle", "evseId": 1} and result["status"] == "Accepted"
    await station.status(1, 1, "Unavailable")
    assert await evse_status(server, "CS-B25", 1) == "Unavailable"
    await station.status(1, 1, "Available")
    assert await evse_status(server, "CS-B25", 1) == "Available"
    assert await evse_status(server, "CS-B25", 2) == "Available"
    await station.close()


async def test_tc_b_26_csms_reset_evse_with_ongoing_transaction_on_idle(
    server: Runtime, operator_http: httpx.AsyncClient
) -> None:
    """TC_B_26_CSMS: Reset OnIdle of the EVSE that charges: Scheduled; the transaction goes on
    until the driver stops it (StopAuthorized, then EVDisconnected); then the EVSE resets
    (Unavailable, then Available) and the CSMS stores each status."""
    station = await ChargingStation.online(server, "CS-B26")
    tx_id = await running(server, station, "tx-b26", evse=2)
    sent, result = await command(
        operator_http, station, "reset", {"kind": "Soft", "evse_id": 2}, "Reset", {"status": "Scheduled"}
    )
    assert sent == {"type": "OnIdle", "evseId": 2} and result["status"] == "Scheduled"
    tx = await server.domain.transactions.get(tx_id)
    assert tx is not None and tx.status == "active"
    # The driver stops and unplugs; the EVSE then resets.
    answer = await station.event("Updated", "StopAuthorized", "tx-b26", token="RFID-RUN", state="EVConnected")
    assert answer == ACCEPTED
    await station.event("Ended", "EVCommunicationLost", "tx-b26", state="Idle", stopped="EVDisconnected")
    tx = await server.domain.transactions.get(tx_id)
    assert tx is not None and (tx.status, tx.stop_reason) == ("ended", "EVDisconnected")
    await station.status(2, 1, "Unavailable")
    assert await evse_status(server, "CS-B26", 2) == "Unavailable"
    await station.status(2, 1, "Available")
    assert await evse_status(server, "CS-B26", 2) == "Available"
    await station.close()


async def test_tc_b_27_csms_reset_evse_with_ongoing_transaction_immediate(
    server: Runtime, operator_http: httpx.AsyncClient
) -> None:
    """TC_B_27_CSMS: Reset Immediate of the EVSE that charges: Accepted; its transaction ends
    with ImmediateReset and the EVSE goes Unavailable, then Available."""
    station = await ChargingStation.online(server, "CS-B27")
    tx_id = await running(server, station, "tx-b27", evse=1)
    sent, result = await command(
        operator_http, station, "reset", {"kind": "Hard", "evse_id": 1}, "Reset", {"status": "Accepted"}
    )
    assert sent == {"type": "Immediate", "evseId": 1} and result["status"] == "Accepted"
    await station.event("Ended", "ResetCommand", "tx-b27", state="EVConnected", stopped="ImmediateReset")
    await station.status(1, 1, "Unavailable")
    assert await evse_status(server, "CS-B27", 1) == "Unavailable"
    await station.status(1, 1, "Available")
    tx = await server.domain.transactions.get(tx_id)
    assert tx is not None and (tx.status, tx.stop_reason) == ("ended", "ImmediateReset")
    assert await evse_status(server, "CS-B27", 1) == "Available"
    await station.close()


async def test_tc_e_29_31_33_csms_transaction_status_with_messages_in_queue(
    server: Runtime, operator_http: httpx.AsyncClient
) -> None:
    """TC_E_29_CSMS (ongoing, messages queued), TC_E_31_CSMS (ended, messages queued) and
    TC_E_33_CSMS (no transactionId, messages queued): the CSMS asks for the station's
    transaction id, shows the answer, and takes the queued events that follow.

    TC_E_29_CSMS: GetTransactionStatus with the transaction id: messagesInQueue and ongoingIndicator true; the
        queued event follows.
    TC_E_31_CSMS: the same for an ended transaction: ongoingIndicator false; its queued Ended event follows.
    TC_E_33_CSMS: GetTransactionStatus without an id: messagesInQueue true.
    """
    station = await ChargingStation.online(server, "CS-E29")
    tx_id = await running(server, station, "tx-e29")
    sent, result = await command(
        operator_http,
        station,
        "get_transaction_status",
        {"transaction_id": tx_id},
        "GetTransactionStatus",
        {"messagesInQueue": True, "ongoingIndicator": True},
    )
    assert sent == {"transactionId": "tx-e29"}
    assert result["response"] == {"messagesInQueue": True, "ongoingIndicator": True}
    queued = await station.event("Updated", "MeterValuePeriodic", "tx-e29", offline=True)
    assert queued == {}

    # TC_E_31: the transaction ended on the station; its Ended event is still queued.
    sent, result = await command(
        operator_http,
        station,
        "get_transaction_status",
        {"transaction_id": tx_id},
        "GetTransactionStatus",
        {"messagesInQueue": True, "ongoingIndicator": False},
    )
    assert result["response"] == {"messagesInQueue": True, "ongoingIndicator": False}
    await station.event("Ended", "StopAuthorized", "tx-e29", token="RFID-RUN", stopped="Local", offline=True)

    # TC_E_33: no transaction named; the station still has other messages queued.
    sent, result = await command(
        operator_http,
        station,
        "get_transaction_status",
        {},
        "GetTransactionStatus",
        {"messagesInQueue": True},
    )
    assert sent == {} and result["response"] == {"messagesInQueue": True}
    tx = await server.domain.transactions.get(tx_id)
    assert tx is not None and (tx.status, tx.stop_reason, tx.offline) == ("ended", "Local", True)
    await station.close()


async def test_tc_f_01_csms_remote_start_cable_plugin_first(
    server: Runtime, operator_http: httpx.AsyncClient
) -> None:
    """TC_F_01_CSMS: the cable is in and a transaction started (CablePluggedIn); the operator
    starts remotely on that EVSE: RequestStartTransaction with the token (of its own type) and a
    remoteStartId, the station answers with its transaction id, then Updated RemoteStart with the
    token is Accepted."""
    await server.domain.tokens.add("RFID-F01", token_type="ISO14443")
    station = await ChargingStation.online(server, "CS-F01")
    await station.status(1, 1, "Occupied")
    assert await station.event("Started", "CablePluggedIn", "tx-f01", evse=1, state="EVConnected") == {}
    sent, result = await command(
        operator_http,
        station,
        "remote_start",
        {"id_token": "RFID-F01", "evse_id": 1},
        "RequestStartTransaction",
        {"status": "Accepted", "transactionId": "tx-f01"},
    )
    assert sent["idToken"] == {"idToken": "RFID-F01", "type": "ISO14443"} and sent["evseId"] == 1
    assert isinstance(sent["remoteStartId"], int)
    assert result["status"] == "Accepted" and result["response"]["transactionId"] == "tx-f01"
    answer = await station.event(
        "Updated",
        "RemoteStart",
        "tx-f01",
        token="RFID-F01",
        state="Charging",
        remote_start_id=sent["remoteStartId"],
    )
    assert answer == ACCEPTED
    tx = await server.domain.transactions.find("CS-F01", "tx-f01")
    assert tx is not None and (tx.status, tx.id_token, tx.charging_state) == (
        "active",
        "RFID-F01",
        "Charging",
    )
    await station.close()


async def test_tc_f_02_csms_remote_start_first_authorize_remote_start_true(
    server: Runtime, operator_http: httpx.AsyncClient
) -> None:
    """TC_F_02_CSMS (AuthorizeRemoteStart true): RequestStartTransaction with the token, EVSE and a
    remoteStartId, Accepted; the station first sends Authorize for the token (Accepted), then
    Started RemoteStart with the remoteStartId (Accepted), Occupied, EVConnected and Charging; the
    CSMS stores the running transaction with the token and its RemoteStart trigger."""
    await server.domain.tokens.add("RFID-F02")
    station = await ChargingStation.online(server, "CS-F02")
    sent, result = await command(
        operator_http,
        station,
        "remote_start",
        {"id_token": "RFID-F02", "evse_id": 1},
        "RequestStartTransaction",
        {"status": "Accepted"},
    )
    assert sent["idToken"]["idToken"] == "RFID-F02" and sent["evseId"] == 1
    assert isinstance(sent["remoteStartId"], int) and result["status"] == "Accepted"
    token_type = sent["idToken"]["type"]
    answer = await station.call("Authorize", {"idToken": sent["idToken"]})
    assert answer["idTokenInfo"]["status"] == "Accepted"
    started = await station.event(
        "Started",
        "RemoteStart",
        "tx-f02",
        token="RFID-F02",
        token_type=token_type,
        evse=1,
        remote_start_id=sent["remoteStartId"],
    )
    assert started == ACCEPTED
    await station.availability(1, 1, "Occupied")
    await station.event("Updated", "CablePluggedIn", "tx-f02", state="EVConnected")
    await station.event("Updated", "ChargingStateChanged", "tx-f02", state="Charging")
    tx = await server.domain.transactions.find("CS-F02", "tx-f02")
    assert tx is not None and (tx.status, tx.id_token, tx.evse_id, tx.charging_state) == (
        "active",
        "RFID-F02",
        1,
        "Charging",
    )
    assert tx.start_trigger_reason == "RemoteStart"
    await station.close()


async def test_tc_f_04_csms_remote_start_cable_plugin_timeout(
    server: Runtime, operator_http: httpx.AsyncClient
) -> None:
    """TC_F_04_CSMS: remote start first (Accepted, Started RemoteStart), but no cable before
    EVConnectionTimeOut: Ended EVConnectTimeout / Timeout, which the CSMS keeps."""
    await server.domain.tokens.add("RFID-F04")
    station = await ChargingStation.online(server, "CS-F04")
    sent, result = await command(
        operator_http,
        station,
        "remote_start",
        {"id_token": "RFID-F04", "evse_id": 2},
        "RequestStartTransaction",
        {"status": "Accepted"},
    )
    assert result["status"] == "Accepted"
    started = await station.event(
        "Started",
        "RemoteStart",
        "tx-f04",
        token="RFID-F04",
        token_type="Central",
        evse=2,
        remote_start_id=sent["remoteStartId"],
    )
    assert started == ACCEPTED
    assert await station.event("Ended", "EVConnectTimeout", "tx-f04", stopped="Timeout") == {}
    tx = await server.domain.transactions.find("CS-F04", "tx-f04")
    assert tx is not None and (tx.status, tx.stop_reason, tx.evse_id) == ("ended", "Timeout", 2)
    await station.close()


async def test_tc_f_13_14_csms_trigger_message_transaction_event(
    server: Runtime, operator_http: httpx.AsyncClient
) -> None:
    """TC_F_13_CSMS (one EVSE) and TC_F_14_CSMS (all EVSEs): TriggerMessage TransactionEvent;
    the station sends Updated with triggerReason Trigger for each running transaction.

    TC_F_13_CSMS: TriggerMessage TransactionEvent for EVSE 1: its transaction's Updated Trigger event is
        stored.
    TC_F_14_CSMS: TriggerMessage TransactionEvent for all EVSEs: both transactions' Updated Trigger events.
    """
    station = await ChargingStation.online(server, "CS-F13")
    await running(server, station, "tx-f13-1", evse=1)
    await running(server, station, "tx-f13-2", evse=2)
    sent, result = await command(
        operator_http,
        station,
        "trigger_message",
        {"message": "TransactionEvent", "evse_id": 1},
        "TriggerMessage",
        {"status": "Accepted"},
    )
    assert (
        sent == {"requestedMessage": "TransactionEvent", "evse": {"id": 1}} and result["status"] == "Accepted"
    )
    await station.event("Updated", "Trigger", "tx-f13-1", state="Charging")
    tx1 = await server.domain.transactions.find("CS-F13", "tx-f13-1")
    tx2 = await server.domain.transactions.find("CS-F13", "tx-f13-2")
    assert tx1 is not None and tx2 is not None
    assert (tx1.trigger_reason, tx2.trigger_reason) == ("Trigger", "ChargingStateChanged")

    sent, result = await command(
        operator_http,
        station,
        "trigger_message",
        {"message": "TransactionEvent"},
        "TriggerMessage",
        {"status": "Accepted"},
    )
    assert sent == {"requestedMessage": "TransactionEvent"} and result["status"] == "Accepted"
    await station.event("Updated", "Trigger", "tx-f13-1", state="Charging")
    await station.event("Updated", "Trigger", "tx-f13-2", state="Charging")
    tx2 = await server.domain.transactions.find("CS-F13", "tx-f13-2")
    assert tx2 is not None and tx2.trigger_reason == "Trigger"
    await station.close()


async def test_tc_f_24_csms_trigger_message_status_notification_occupied(
    server: Runtime, operator_http: httpx.AsyncClient
) -> None:
    """TC_F_24_CSMS: the station reports its connector Occupied (StatusNotification and NotifyEvent
    AvailabilityState); TriggerMessage StatusNotification names that EVSE and connector; the
    station reports again; the CSMS answers everything and keeps status and availability state."""
    station = await ChargingStation.online(server, "CS-F24")

    async def occupied() -> None:
        await station.status(2, 1, "Occupied")
        event = {
            "eventId": 24,
            "timestamp": timestamp(),
            "trigger": "Delta",
            "actualValue": "Occupied",
            "component": {"name": "Connector", "evse": {"id": 2, "connectorId": 1}},
            "variable": {"name": "AvailabilityState"},
            "eventNotificationType": "HardWiredNotification",
        }
        notify = {"generatedAt": timestamp(), "seqNo": 0, "eventData": [event]}
        assert await station.call("NotifyEvent", notify) == {}

    await occupied()
    before = len(await server.domain.stations.status_history("CS-F24", 1, evse_id=2))
    sent, result = await command(
        operator_http,
        station,
        "trigger_message",
        {"message": "StatusNotification", "evse_id": 2, "connector_id": 1},
        "TriggerMessage",
        {"status": "Accepted"},
    )
    assert sent == {"requestedMessage": "StatusNotification", "evse": {"id": 2, "connectorId": 1}}
    assert result["status"] == "Accepted"
    await occupied()
    history = await server.domain.stations.status_history("CS-F24", 1, evse_id=2)
    assert len(history) == before + 1 and history[0].status == "Occupied"
    states = {
        (a.component, a.evse_id, a.connector_id, a.variable): a.value
        for a in await server.domain.device_model.configuration("CS-F24")
    }
    assert states[("Connector", 2, 1, "AvailabilityState")] == "Occupied"
    await station.close()


@pytest.mark.parametrize(
    ("args", "evse"),
    [
        ({"evse_id": 1}, {"id": 1}),  # TC_G_11_CSMS: an EVSE
        ({}, None),  # TC_G_14_CSMS: the whole station
        ({"evse_id": 1, "connector_id": 1}, {"id": 1, "connectorId": 1}),  # TC_G_17_CSMS: a connector
    ],
    ids=["TC_G_11_CSMS", "TC_G_14_CSMS", "TC_G_17_CSMS"],
)
async def test_tc_g_11_14_17_csms_change_availability_with_ongoing_transaction(
    server: Runtime, operator_http: httpx.AsyncClient, args: dict[str, Any], evse: dict[str, int] | None
) -> None:
    """TC_G_11_CSMS (EVSE), TC_G_14_CSMS (station) and TC_G_17_CSMS (connector): while EVSE 1
    charges, the CSMS sends ChangeAvailability Inoperative for that target; the station answers
    Scheduled (for the station, its idle EVSE goes Unavailable at once); the transaction goes on,
    then StopAuthorized, EVConnectedPostSession, EVDisconnected, and the connector reports
    Unavailable. The CSMS answers each and stores the transaction ended and the statuses.

    TC_G_11_CSMS: Inoperative for EVSE 1 while it charges: Scheduled; after the transaction, Unavailable.
    TC_G_14_CSMS: Inoperative for the station: Scheduled; the idle EVSE at once, EVSE 1 after its transaction,
        Unavailable.
    TC_G_17_CSMS: Inoperative for connector 1 of EVSE 1 while it charges: Scheduled; after the transaction,
        Unavailable.
    """
    station = await ChargingStation.online(server, "CS-G11")
    tx_id = await running(server, station, "tx-g11", evse=1)
    sent, result = await command(
        operator_http,
        station,
        "change_availability",
        {"operative": False, **args},
        "ChangeAvailability",
        {"status": "Scheduled"},
    )
    expected: dict[str, Any] = {"operationalStatus": "Inoperative"}
    if evse is not None:
        expected["evse"] = evse
    assert sent == expected and result["status"] == "Scheduled"
    if evse is None:
        await station.availability(2, 1, "Unavailable")
        assert await evse_status(server, "CS-G11", 2) == "Unavailable"
    tx = await server.domain.transactions.get(tx_id)
    assert tx is not None and tx.status == "active"
    assert await evse_status(server, "CS-G11", 1) == "Occupied"
    # StopAuthorized, EVConnectedPostSession, EVDisconnected; then the scheduled change happens.
    assert await station.authorize("RFID-RUN") == {"status": "Accepted"}
    stop = await station.event("Updated", "StopAuthorized", "tx-g11", token="RFID-RUN", state="EVConnected")
    assert stop == ACCEPTED
    await station.event("Ended", "EVCommunicationLost", "tx-g11", state="Idle", stopped="EVDisconnected")
    await station.availability(1, 1, "Unavailable")
    tx = await server.domain.transactions.get(tx_id)
    assert tx is not None and tx.status == "ended" and tx.stop_reason == "EVDisconnected"
    assert await evse_status(server, "CS-G11", 1) == "Unavailable"
    await station.close()


async def test_tc_p_03_csms_custom_data_is_accepted(server: Runtime) -> None:
    """TC_P_03_CSMS: messages carrying vendor customData (at the top and nested) are taken as
    usual: the CSMS ignores what it does not know."""
    station = await ChargingStation.online(server, "CS-P03")
    custom = {"vendorId": "com.acme", "mood": "sunny"}
    answer = await station.call("Heartbeat", {"customData": custom})
    assert answer["currentTime"].endswith("Z")
    status = {
        "timestamp": timestamp(),
        "connectorStatus": "Occupied",
        "evseId": 1,
        "connectorId": 1,
        "customData": custom,
    }
    assert await station.call("StatusNotification", status) == {}
    assert await evse_status(server, "CS-P03", 1) == "Occupied"
    await station.close()


@pytest.mark.parametrize(
    ("message", "kind"),
    [
        ("LogStatusNotification", "station.log_status"),  # TC_F_15_CSMS
        ("FirmwareStatusNotification", "station.firmware_status"),  # TC_F_18_CSMS
    ],
)
async def test_tc_f_15_18_csms_trigger_message_log_and_firmware_status_idle(
    server: Runtime, operator_http: httpx.AsyncClient, message: str, kind: str
) -> None:
    """TC_F_15_CSMS (LogStatusNotification) and TC_F_18_CSMS (FirmwareStatusNotification): the
    station, asked by a TriggerMessage while nothing runs, reports Idle; the CSMS answers it and
    passes the status on to the event stream.

    TC_F_15_CSMS: TriggerMessage LogStatusNotification; the station reports Idle; passed on.
    TC_F_18_CSMS: TriggerMessage FirmwareStatusNotification; the station reports Idle; passed on.
    """
    station = await ChargingStation.online(server, "CS-F15")
    events = server.bus.subscribe(EventFilter.of([kind], ["CS-F15"]))
    try:
        sent, result = await command(
            operator_http,
            station,
            "trigger_message",
            {"message": message},
            "TriggerMessage",
            {"status": "Accepted"},
        )
        assert sent == {"requestedMessage": message} and result["status"] == "Accepted"
        assert await station.call(message, {"status": "Idle"}) == {}
        event = await asyncio.wait_for(events.get(), 10)
    finally:
        events.close()
    assert (event.kind, event.data) == (kind, {"status": "Idle", "request_id": None})
    await station.close()
