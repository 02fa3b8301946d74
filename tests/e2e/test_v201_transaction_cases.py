"""OCA OCPP 2.0.1 CSMS test cases of blocks C, E and J that the charging station drives: the test
sends the TransactionEvents each case lists and checks the CSMS's answers and what it stored."""

from __future__ import annotations

import json

import pytest

from opencsms.domain.model import Transaction
from opencsms.runtime import Runtime
from tests.e2e.scripted import ChargingStation, energy, evse_status, timestamp

pytestmark = pytest.mark.e2e

ACCEPTED = {"idTokenInfo": {"status": "Accepted"}}


async def stored(server: Runtime, station_id: str, transaction: str) -> Transaction:
    tx = await server.domain.transactions.find(station_id, transaction)
    assert tx is not None, f"{transaction} was not stored"
    return tx


@pytest.mark.parametrize(
    ("trigger", "state"),
    [
        ("ChargingStateChanged", "Charging"),  # TC_E_02_CSMS: TxStartPoint EnergyTransfer
        ("CablePluggedIn", "EVConnected"),  # TC_E_09_CSMS: TxStartPoint EVConnected
        ("EVDetected", None),  # TC_E_12_CSMS: TxStartPoint ParkingBayOccupancy
    ],
)
async def test_tc_e_02_09_12_csms_start_transaction_options(
    server: Runtime, trigger: str, state: str | None
) -> None:
    """TC_E_02 (EnergyTransfer), TC_E_09 (EVConnected), TC_E_12 (ParkingBayOccupied): a transaction
    that starts at that point, without a token yet, is answered and stored with its trigger.

    TC_E_02_CSMS: Started at EnergyTransfer (ChargingStateChanged, Charging), no token: stored with its
        trigger.
    TC_E_09_CSMS: Started at EVConnected (CablePluggedIn), no token: stored with its trigger.
    TC_E_12_CSMS: Started at ParkingBayOccupancy (EVDetected), no token: stored with its trigger.
    """
    station = await ChargingStation.online(server, "CS-E-START")
    answer = await station.event(
        "Started", trigger, "tx-start", evse=1, state=state, meterValue=[energy(100, "Transaction.Begin")]
    )
    assert "idTokenInfo" not in answer
    tx = await stored(server, "CS-E-START", "tx-start")
    assert tx.status == "active" and tx.start_trigger_reason == trigger and tx.charging_state == state
    assert (tx.evse_id, tx.connector_id, tx.meter_start_wh, tx.id_token) == (1, 1, 100, None)
    await station.close()


async def test_tc_e_03_csms_local_start_cable_plugin_first(server: Runtime) -> None:
    """TC_E_03_CSMS: cable first (Occupied, Started CablePluggedIn), then the driver's token
    (Authorize, Updated Authorized: idTokenInfo Accepted), then energy flows (Charging)."""
    await server.domain.tokens.add("RFID-E03")
    station = await ChargingStation.online(server, "CS-E03")
    await station.status(1, 1, "Occupied")
    assert await station.event("Started", "CablePluggedIn", "tx-e03", evse=1, state="EVConnected") == {}
    assert await station.authorize("RFID-E03") == {"status": "Accepted"}
    assert await station.event("Updated", "Authorized", "tx-e03", token="RFID-E03") == ACCEPTED
    await station.event("Updated", "ChargingStateChanged", "tx-e03", state="Charging")
    tx = await stored(server, "CS-E03", "tx-e03")
    assert tx.status == "active" and tx.id_token == "RFID-E03" and tx.charging_state == "Charging"
    assert tx.start_trigger_reason == "CablePluggedIn"
    assert await evse_status(server, "CS-E03", 1) == "Occupied"
    await station.close()


async def test_tc_e_04_10_csms_local_start_authorization_first(server: Runtime) -> None:
    """TC_E_04_CSMS (authorization first, then cable and energy) and TC_E_10_CSMS (TxStartPoint
    Authorized): Authorize, Started Authorized with the token, Occupied, EVConnected, Charging.

    TC_E_04_CSMS: Authorize, Started Authorized, then cable and energy: all answered, the transaction runs.
    TC_E_10_CSMS: TxStartPoint Authorized: the Started event is the Authorized one, with the token Accepted.
    """
    await server.domain.tokens.add("RFID-E04")
    station = await ChargingStation.online(server, "CS-E04")
    assert await station.authorize("RFID-E04") == {"status": "Accepted"}
    assert await station.event("Started", "Authorized", "tx-e04", token="RFID-E04", evse=2) == ACCEPTED
    await station.status(2, 1, "Occupied")
    await station.event("Updated", "CablePluggedIn", "tx-e04", state="EVConnected")
    await station.event("Updated", "ChargingStateChanged", "tx-e04", state="Charging")
    tx = await stored(server, "CS-E04", "tx-e04")
    assert (tx.status, tx.id_token, tx.start_trigger_reason, tx.charging_state) == (
        "active",
        "RFID-E04",
        "Authorized",
        "Charging",
    )
    assert tx.evse_id == 2
    await station.close()


async def test_tc_e_01_07_csms_power_path_closed_start_and_local_stop(server: Runtime) -> None:
    """TC_E_01_CSMS (TxStartPoint PowerPathClosed): the cable is in (Occupied, no transaction yet),
    the driver's token is Authorized, and only then Started (Authorized, EVConnected, with the
    token and Transaction.Begin reading), then Charging. TC_E_07_CSMS (TxStopPoint PowerPathClosed):
    the token presented again ends it at once (Ended StopAuthorized, Local, Transaction.End). The
    CSMS answers the tokens Accepted and stores start and stop as reported.

    TC_E_01_CSMS: cable in, Authorize, then Started Authorized (EVConnected) with the begin reading, then
        Charging.
    TC_E_07_CSMS: the token again: Ended StopAuthorized, Local, with the end reading.
    """
    await server.domain.tokens.add("RFID-E01")
    station = await ChargingStation.online(server, "CS-E01")
    await station.availability(1, 1, "Occupied")
    assert await server.domain.transactions.list(station_id="CS-E01") == []
    assert await station.authorize("RFID-E01") == {"status": "Accepted"}
    begin = energy(100, "Transaction.Begin")
    started = await station.event(
        "Started", "Authorized", "tx-e01", token="RFID-E01", evse=1, state="EVConnected", meterValue=[begin]
    )
    assert started == ACCEPTED
    await station.event("Updated", "ChargingStateChanged", "tx-e01", state="Charging")
    assert await station.authorize("RFID-E01") == {"status": "Accepted"}
    end = energy(900, "Transaction.End")
    ended = await station.event(
        "Ended",
        "StopAuthorized",
        "tx-e01",
        token="RFID-E01",
        state="EVConnected",
        stopped="Local",
        meterValue=[end],
    )
    assert ended == ACCEPTED
    tx = await stored(server, "CS-E01", "tx-e01")
    assert (tx.status, tx.start_trigger_reason, tx.trigger_reason, tx.stop_reason) == (
        "ended",
        "Authorized",
        "StopAuthorized",
        "Local",
    )
    assert (tx.id_token, tx.evse_id, tx.meter_start_wh, tx.meter_stop_wh) == ("RFID-E01", 1, 100, 900)
    assert await evse_status(server, "CS-E01", 1) == "Occupied"  # the cable is still in
    await station.close()


async def test_tc_e_11_j_11_csms_signed_meter_values(server: Runtime) -> None:
    """TC_E_11_CSMS (TxStartPoint DataSigned: Started SignedDataReceived) and TC_J_11_CSMS (signed
    sampled values): the signed data is kept with each reading.

    TC_E_11_CSMS: Started SignedDataReceived with a signed Transaction.Begin value: stored with its trigger.
    TC_J_11_CSMS: signed sampled values in Updated: each kept with its signed data.
    """
    station = await ChargingStation.online(server, "CS-SIGNED")
    signed = {
        "signedMeterData": "c2lnbmVk",
        "signingMethod": "ECDSA",
        "encodingMethod": "OCMF",
        "publicKey": "",
    }
    begin = energy(200, "Transaction.Begin", signedMeterValue=signed)
    answer = await station.event("Started", "SignedDataReceived", "tx-signed", evse=1, meterValue=[begin])
    assert answer == {}
    periodic = energy(350, signedMeterValue={**signed, "signedMeterData": "c2lnbmVkMg=="})
    await station.event("Updated", "MeterValuePeriodic", "tx-signed", meterValue=[periodic])
    tx = await stored(server, "CS-SIGNED", "tx-signed")
    assert tx.start_trigger_reason == "SignedDataReceived" and tx.meter_start_wh == 200
    values = await server.domain.transactions.meter_values_of(tx.id)
    kept = [(float(sv.value), sv.context, json.loads(sv.signed_data or "{}")) for _, sv in values]
    assert kept == [
        (200.0, "Transaction.Begin", signed),
        (350.0, "Sample.Periodic", {**signed, "signedMeterData": "c2lnbmVkMg=="}),
    ]
    await station.close()


async def charging(server: Runtime, station: ChargingStation, transaction: str, token: str) -> None:
    """Reusable state EnergyTransferStarted: Authorized, Started, Occupied, EVConnected, Charging."""
    await server.domain.tokens.add(token)
    assert await station.event("Started", "Authorized", transaction, token=token, evse=1) == ACCEPTED
    await station.availability(1, 1, "Occupied")
    await station.event("Updated", "CablePluggedIn", transaction, state="EVConnected")
    await station.event("Updated", "ChargingStateChanged", transaction, state="Charging")


# (eventType, triggerReason, chargingState, stoppedReason) of the events after EnergyTransferStarted;
# UNPLUGGED is the connector reported Available (StatusNotification and NotifyEvent).
Step = tuple[str, str, str | None, str | None]
STOP_AUTHORIZED: Step = ("Updated", "StopAuthorized", "EVConnected", None)
SUSPENDED_EV: Step = ("Updated", "ChargingStateChanged", "SuspendedEV", None)
EV_DISCONNECTED: Step = ("Ended", "EVCommunicationLost", "Idle", "EVDisconnected")
UNPLUGGED: Step = ("StatusNotification", "", "Available", None)
STOP_CASES: dict[str, tuple[list[Step], str]] = {
    # TC_E_08: energy transfer stopped after StopAuthorized; the transaction ends at EVConnected
    "e08": ([STOP_AUTHORIZED, ("Ended", "ChargingStateChanged", "EVConnected", "Local")], "Local"),
    # TC_E_14: EV disconnected at the station's side (EVConnectedPostSession, then EVDisconnected)
    "e14": ([STOP_AUTHORIZED, EV_DISCONNECTED, UNPLUGGED], "EVDisconnected"),
    # TC_E_15: stopped locally with the token
    "e15": ([("Ended", "StopAuthorized", "EVConnected", "Local")], "Local"),
    # TC_E_17: from EnergyTransferSuspended, the EV side's disconnection deauthorizes: one Ended
    # event; the cable is still in the station, so the connector stays Occupied
    "e17": ([SUSPENDED_EV, EV_DISCONNECTED], "EVDisconnected"),
    # TC_E_19: the parking bay is left after the cable (EVDisconnected, then EVDeparted)
    "e19": (
        [
            STOP_AUTHORIZED,
            ("Updated", "EVCommunicationLost", "Idle", None),
            UNPLUGGED,
            ("Ended", "EVDeparted", "Idle", "Local"),
        ],
        "Local",
    ),
    # TC_E_20: from EnergyTransferSuspended, reusable state EVDisconnected: Ended EVDisconnected,
    # then the connector is reported Available
    "e20": ([SUSPENDED_EV, EV_DISCONNECTED, UNPLUGGED], "EVDisconnected"),
    # TC_E_22: energy transfer ends because the EV stops (SuspendedEV)
    "e22": ([("Ended", "ChargingStateChanged", "SuspendedEV", "StoppedByEV")], "StoppedByEV"),
}


@pytest.mark.parametrize("case", sorted(STOP_CASES))
async def test_tc_e_08_14_15_17_19_20_22_csms_stop_transaction_options(server: Runtime, case: str) -> None:
    """TC_E_08/14/15/17/19/20/22_CSMS: from EnergyTransferStarted, the station sends the events and
    connector states of the case's stop point; every message is answered (the StopAuthorized token
    with its idTokenInfo) and the transaction is stored as ended with the station's stoppedReason
    and last charging state, the connector with the last status reported.

    TC_E_08_CSMS: Updated StopAuthorized, then Ended ChargingStateChanged at EVConnected, Local.
    TC_E_14_CSMS: Updated StopAuthorized, Ended EVCommunicationLost (EVDisconnected), then Available.
    TC_E_15_CSMS: Ended StopAuthorized with the token, Local.
    TC_E_17_CSMS: from SuspendedEV, one Ended EVCommunicationLost, Idle, EVDisconnected; the connector stays
        Occupied.
    TC_E_19_CSMS: EVDisconnected (Updated EVCommunicationLost, Available), then Ended EVDeparted, Local.
    TC_E_20_CSMS: from SuspendedEV, Ended EVCommunicationLost, EVDisconnected, then Available.
    TC_E_22_CSMS: Ended ChargingStateChanged at SuspendedEV, StoppedByEV.
    """
    steps, reason = STOP_CASES[case]
    station_id = f"CS-STOP-{case}"
    station = await ChargingStation.online(server, station_id)
    await charging(server, station, f"tx-{case}", "RFID-STOP")
    events = [step for step in steps if step is not UNPLUGGED]
    for step in steps:
        if step is UNPLUGGED:
            await station.availability(1, 1, "Available")
            continue
        kind, trigger, state, stopped = step
        token = "RFID-STOP" if trigger == "StopAuthorized" else None
        if token is not None:
            assert await station.authorize(token) == {"status": "Accepted"}
        answer = await station.event(kind, trigger, f"tx-{case}", token=token, state=state, stopped=stopped)
        assert answer == (ACCEPTED if token is not None else {})
    tx = await stored(server, station_id, f"tx-{case}")
    assert tx.status == "ended" and tx.stop_reason == reason
    assert tx.trigger_reason == events[-1][1] and tx.charging_state == events[-1][2]
    assert tx.id_token == "RFID-STOP"
    connector = "Available" if UNPLUGGED in steps else "Occupied"
    assert await evse_status(server, station_id, 1) == connector
    await station.close()


async def test_tc_e_26_csms_cable_disconnected_on_ev_side_suspends_the_transaction(server: Runtime) -> None:
    """TC_E_26_CSMS: from EnergyTransferSuspended, with StopTxOnEVSideDisconnect false, the cable is
    disconnected on the EV side (Updated EVCommunicationLost Idle, then Available): the
    transaction stays open; the cable is connected again (Occupied, Updated CablePluggedIn
    EVConnected) and charging resumes."""
    station = await ChargingStation.online(server, "CS-E26")
    await charging(server, station, "tx-e26", "RFID-E26")
    await station.event("Updated", "ChargingStateChanged", "tx-e26", state="SuspendedEV")
    assert await station.event("Updated", "EVCommunicationLost", "tx-e26", state="Idle") == {}
    await station.availability(1, 1, "Available")
    tx = await stored(server, "CS-E26", "tx-e26")
    assert (tx.status, tx.charging_state, tx.trigger_reason, tx.ended_by) == (
        "active",
        "Idle",
        "EVCommunicationLost",
        None,
    )
    await station.availability(1, 1, "Occupied")
    assert await station.event("Updated", "CablePluggedIn", "tx-e26", state="EVConnected") == {}
    assert await station.event("Updated", "ChargingStateChanged", "tx-e26", state="Charging") == {}
    tx = await stored(server, "CS-E26", "tx-e26")
    assert (tx.status, tx.charging_state, tx.ended_by) == ("active", "Charging", None)
    await station.close()


async def test_tc_e_38_csms_local_start_ev_not_ready(server: Runtime) -> None:
    """TC_E_38_CSMS: from Authorized (Authorize, Started Authorized), the cable is connected
    (Occupied, Updated CablePluggedIn EVConnected) but the EV is not ready: Updated
    ChargingStateChanged SuspendedEV; the CSMS answers each and keeps the transaction open in
    SuspendedEV."""
    await server.domain.tokens.add("RFID-E38")
    station = await ChargingStation.online(server, "CS-E38")
    assert await station.authorize("RFID-E38") == {"status": "Accepted"}
    assert await station.event("Started", "Authorized", "tx-e38", token="RFID-E38", evse=1) == ACCEPTED
    await station.availability(1, 1, "Occupied")
    assert await station.event("Updated", "CablePluggedIn", "tx-e38", state="EVConnected") == {}
    assert await station.event("Updated", "ChargingStateChanged", "tx-e38", state="SuspendedEV") == {}
    tx = await stored(server, "CS-E38", "tx-e38")
    assert (tx.status, tx.charging_state, tx.trigger_reason) == (
        "active",
        "SuspendedEV",
        "ChargingStateChanged",
    )
    assert await evse_status(server, "CS-E38", 1) == "Occupied"
    await station.close()


async def test_tc_e_39_csms_deauthorized_by_timeout(server: Runtime) -> None:
    """TC_E_39_CSMS: authorized, but no cable before EVConnectionTimeOut: Ended with
    EVConnectTimeout and stoppedReason Timeout, which the CSMS keeps."""
    await server.domain.tokens.add("RFID-E39")
    station = await ChargingStation.online(server, "CS-E39")
    assert await station.authorize("RFID-E39") == {"status": "Accepted"}
    assert await station.event("Started", "Authorized", "tx-e39", token="RFID-E39", evse=1) == ACCEPTED
    assert await station.event("Ended", "EVConnectTimeout", "tx-e39", stopped="Timeout") == {}
    tx = await stored(server, "CS-E39", "tx-e39")
    assert (tx.status, tx.stop_reason, tx.trigger_reason) == ("ended", "Timeout", "EVConnectTimeout")
    await station.close()


async def test_tc_c_08_20_csms_authorization_through_the_cache(server: Runtime) -> None:
    """TC_C_08_CSMS: a token from the station's cache starts a transaction without Authorize; the
    CSMS checks it in the TransactionEvent (Accepted). TC_C_20_CSMS: a cached token the CSMS no
    longer accepts gets Invalid; the station then ends the transaction Deauthorized."""
    await server.domain.tokens.add("RFID-CACHED")
    station = await ChargingStation.online(server, "CS-CACHE")
    answer = await station.event("Started", "Authorized", "tx-c08", token="RFID-CACHED", evse=1)
    assert answer == ACCEPTED
    answer = await station.event("Started", "Authorized", "tx-c20", token="RFID-GONE", evse=2)
    assert answer == {"idTokenInfo": {"status": "Invalid"}}
    await station.event("Ended", "Deauthorized", "tx-c20", state="EVConnected", stopped="DeAuthorized")
    assert (await stored(server, "CS-CACHE", "tx-c08")).status == "active"
    tx = await stored(server, "CS-CACHE", "tx-c20")
    assert (tx.status, tx.stop_reason, tx.id_token) == ("ended", "DeAuthorized", "RFID-GONE")
    await station.close()


async def test_tc_j_02_03_09_csms_meter_values_in_transaction_events(server: Runtime) -> None:
    """TC_J_09_CSMS (sampled values in Updated), TC_J_02_CSMS (clock-aligned values while a
    transaction runs, MeterValueClock) and TC_J_03_CSMS (clock-aligned values in Ended): every
    reading is kept on the transaction with its context, in order.

    TC_J_02_CSMS: clock-aligned values (MeterValueClock, Sample.Clock) in an Updated event: kept.
    TC_J_03_CSMS: clock-aligned values and the Transaction.End value in the Ended event: kept, the meter stop
        set.
    TC_J_09_CSMS: sampled values (MeterValuePeriodic, Sample.Periodic) in an Updated event: kept.
    """
    station = await ChargingStation.online(server, "CS-J")
    await charging(server, station, "tx-j", "RFID-J")
    await station.event("Updated", "MeterValuePeriodic", "tx-j", meterValue=[energy(1100)])
    await station.event("Updated", "MeterValueClock", "tx-j", meterValue=[energy(1200, "Sample.Clock")])
    end = [energy(1250, "Sample.Clock"), energy(1300, "Transaction.End")]
    await station.event("Ended", "StopAuthorized", "tx-j", token="RFID-J", stopped="Local", meterValue=end)
    tx = await stored(server, "CS-J", "tx-j")
    assert tx.status == "ended" and tx.meter_stop_wh == 1300
    values = await server.domain.transactions.meter_values_of(tx.id)
    assert [(float(sv.value), sv.context) for _, sv in values] == [
        (1100.0, "Sample.Periodic"),
        (1200.0, "Sample.Clock"),
        (1250.0, "Sample.Clock"),
        (1300.0, "Transaction.End"),
    ]
    await station.close()


async def test_tc_j_08_csms_transaction_begin_before_the_evse_is_known(server: Runtime) -> None:
    """TC_J_08_CSMS: Authorized (Started with the token, no EVSE yet), then EVConnectedPreSession:
    the Updated CablePluggedIn event names the EVSE and carries the Transaction.Begin reading, then
    EnergyTransferStarted; the CSMS answers each and keeps the reading as the transaction's start
    on that EVSE."""
    await server.domain.tokens.add("RFID-J08")
    station = await ChargingStation.online(server, "CS-J08")
    assert await station.authorize("RFID-J08") == {"status": "Accepted"}
    assert await station.event("Started", "Authorized", "tx-j08", token="RFID-J08") == ACCEPTED
    await station.availability(2, 1, "Occupied")
    begin = [energy(500, "Transaction.Begin")]
    plugged = await station.event(
        "Updated", "CablePluggedIn", "tx-j08", evse=2, state="EVConnected", meterValue=begin
    )
    assert plugged == {}
    await station.event("Updated", "ChargingStateChanged", "tx-j08", state="Charging")
    tx = await stored(server, "CS-J08", "tx-j08")
    assert (tx.status, tx.evse_id, tx.connector_id, tx.charging_state) == ("active", 2, 1, "Charging")
    values = await server.domain.transactions.meter_values_of(tx.id)
    assert [(float(sv.value), sv.context) for _, sv in values] == [(500.0, "Transaction.Begin")]
    assert tx.meter_start_wh == 500
    await station.close()


async def test_tc_g_20_csms_connector_lock_failure_event(server: Runtime) -> None:
    """TC_G_20_CSMS: the station reports a lock failure with NotifyEvent (Delta,
    ConnectorPlugRetentionLock.Problem = true); the CSMS answers and keeps the value in the
    station's device model, where the configuration view shows it."""
    station = await ChargingStation.online(server, "CS-G20")
    notify = {
        "generatedAt": timestamp(),
        "seqNo": 0,
        "eventData": [
            {
                "eventId": 20,
                "timestamp": timestamp(),
                "trigger": "Delta",
                "actualValue": "true",
                "component": {"name": "ConnectorPlugRetentionLock", "evse": {"id": 1, "connectorId": 1}},
                "variable": {"name": "Problem"},
                "eventNotificationType": "HardWiredNotification",
            }
        ],
    }
    assert await station.call("NotifyEvent", notify) == {}
    stored_values = {
        (a.component, a.evse_id, a.connector_id, a.variable): a.value
        for a in await server.domain.device_model.configuration("CS-G20")
    }
    assert stored_values[("ConnectorPlugRetentionLock", 1, 1, "Problem")] == "true"
    await station.close()


@pytest.mark.parametrize(
    ("case", "stopped_by", "evses_stopped"),
    [
        ("c47", "RFID-MASTER", (1, 2)),  # TC_C_47_CSMS: with a UI, all transactions
        ("c48", "RFID-MASTER", (1,)),  # TC_C_48_CSMS: with a UI, the one selected
        ("c49", None, (1, 2)),  # TC_C_49_CSMS: without a UI, each with its own token
    ],
)
async def test_tc_c_47_48_49_csms_stop_transactions_with_a_master_pass(
    server: Runtime, case: str, stopped_by: str | None, evses_stopped: tuple[int, ...]
) -> None:
    """TC_C_47/48/49_CSMS: a token whose group is the station's MasterPassGroupId is Accepted
    with that groupIdToken, so the station lets it stop transactions; the Ended events
    (stoppedReason MasterPass) are answered and stored, the others go on.

    TC_C_47_CSMS: the master pass Authorize is Accepted with the MasterPassGroupId; both transactions end
        MasterPass with its token.
    TC_C_48_CSMS: the same, one transaction ends; the other goes on.
    TC_C_49_CSMS: no UI: both transactions end MasterPass, each Ended event with its driver's token.
    """
    await server.domain.tokens.add("MASTERPASS")
    await server.domain.tokens.add("RFID-MASTER", parent_id_token="MASTERPASS")
    station_id = f"CS-{case.upper()}"
    station = await ChargingStation.online(server, station_id)
    drivers = {1: "RFID-DRIVER-1", 2: "RFID-DRIVER-2"}
    for evse, token in drivers.items():
        await server.domain.tokens.add(token)
        assert await station.event("Started", "Authorized", f"tx-{evse}", token=token, evse=evse) == ACCEPTED
        await station.event("Updated", "ChargingStateChanged", f"tx-{evse}", state="Charging")

    info = await station.authorize("RFID-MASTER")
    assert info == {"status": "Accepted", "groupIdToken": {"idToken": "MASTERPASS", "type": "Central"}}
    for evse in evses_stopped:
        token = stopped_by or drivers[evse]
        answer = await station.event(
            "Ended", "StopAuthorized", f"tx-{evse}", token=token, stopped="MasterPass"
        )
        assert answer["idTokenInfo"]["status"] == "Accepted"
    for evse, token in drivers.items():
        tx = await stored(server, station_id, f"tx-{evse}")
        assert tx.id_token == token  # the driver's transaction, whoever stopped it
        if evse in evses_stopped:
            assert (tx.status, tx.stop_reason, tx.stop_id_token) == (
                "ended",
                "MasterPass",
                stopped_by or token,
            )
        else:
            assert tx.status == "active"
    await station.close()
