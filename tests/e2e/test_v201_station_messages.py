"""OCPP 2.0.1 station messages with exact frames: authorization (C), transaction options (E), meter
values (J), data transfer (P), connector status (G) and invalid payloads."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest

from opencsms.domain import AuthorizationStatus
from opencsms.runtime import Runtime
from tests.e2e.wsclient import RawStation

pytestmark = pytest.mark.e2e

BOOT = {"reason": "PowerUp", "chargingStation": {"model": "DC50", "vendorName": "Acme"}}
ID_TOKEN_TYPES = ["Central", "eMAID", "ISO14443", "ISO15693", "KeyCode", "Local", "MacAddress"]


@pytest.fixture
async def station(server: Runtime) -> AsyncIterator[RawStation]:
    st = await RawStation.open(server.ocpp_url, "CS-MSG", ("ocpp2.0.1",))
    assert (await st.call("BootNotification", BOOT))[2]["status"] == "Accepted"
    yield st
    await st.close()


def register(ts: str, wh: float, context: str = "Sample.Periodic", **extra: Any) -> dict[str, Any]:
    value = {"value": wh, "measurand": "Energy.Active.Import.Register", "context": context, **extra}
    return {"timestamp": ts, "sampledValue": [value]}


def event(kind: str, seq: int, trigger: str, tx: str = "tx-msg", **extra: Any) -> dict[str, Any]:
    minute = f"{seq:02d}"
    payload = {
        "eventType": kind,
        "timestamp": f"2026-11-24T10:{minute}:00Z",
        "triggerReason": trigger,
        "seqNo": seq,
        "transactionInfo": {"transactionId": tx},
    }
    return payload | extra


async def authorize(station: RawStation, token: str, kind: str = "ISO14443") -> dict[str, Any]:
    frame = await station.call("Authorize", {"idToken": {"idToken": token, "type": kind}})
    assert frame[0] == 3
    info: dict[str, Any] = frame[2]["idTokenInfo"]
    return info


@pytest.mark.parametrize("kind", ID_TOKEN_TYPES)
async def test_tc_c_02_csms_authorize_every_id_token_type(
    server: Runtime, station: RawStation, kind: str
) -> None:
    """TC_C_02_CSMS and C01: every IdTokenType is looked up; known Accepted, unknown Invalid."""
    await server.domain.tokens.add(f"KNOWN-{kind}")
    assert await authorize(station, f"KNOWN-{kind}", kind) == {"status": "Accepted"}
    assert await authorize(station, f"UNKNOWN-{kind}", kind) == {"status": "Invalid"}


async def test_no_authorization_token_is_accepted_without_lookup(station: RawStation) -> None:
    """C01: a NoAuthorization token carries no identity."""
    assert await authorize(station, "", "NoAuthorization") == {"status": "Accepted"}


async def test_tc_c_06_07_39_csms_blocked_expired_and_group_tokens(
    server: Runtime, station: RawStation
) -> None:
    """TC_C_06_CSMS: Authorize of a blocked token is Blocked. TC_C_07_CSMS: Authorize of an expired
    token is Expired. TC_C_39_CSMS: two tokens of one group are each Accepted with the same groupIdToken
    (so either may stop the other's transaction), with the cache expiry."""
    await server.domain.tokens.add("BLOCKED-1", status=AuthorizationStatus.BLOCKED)
    await server.domain.tokens.add("OLD-1", expiry_date=datetime(2020, 1, 1, tzinfo=UTC))
    await server.domain.tokens.add("FLEET")
    await server.domain.tokens.add(
        "DRIVER-1", parent_id_token="FLEET", expiry_date=datetime(2030, 1, 1, tzinfo=UTC)
    )
    assert (await authorize(station, "BLOCKED-1"))["status"] == "Blocked"
    assert (await authorize(station, "OLD-1"))["status"] == "Expired"
    assert await authorize(station, "DRIVER-1") == {
        "status": "Accepted",
        "cacheExpiryDateTime": "2030-01-01T00:00:00.000Z",
        "groupIdToken": {"idToken": "FLEET", "type": "Central"},
    }
    await server.domain.tokens.add("DRIVER-2", parent_id_token="FLEET")
    assert await authorize(station, "DRIVER-2") == {
        "status": "Accepted",
        "groupIdToken": {"idToken": "FLEET", "type": "Central"},
    }


async def test_trigger_and_stopped_reasons_are_kept(server: Runtime, station: RawStation) -> None:
    """A transaction started by the cable and stopped by the token: the Started event's and the
    latest triggerReason, the stoppedReason and idTokenInfo of the answer."""
    await server.domain.tokens.add("TAG-E")
    plug = event(
        "Started",
        0,
        "CablePluggedIn",
        evse={"id": 1, "connectorId": 1},
        meterValue=[register("2026-11-24T10:00:00Z", 100, "Transaction.Begin")],
    )
    assert (await station.call("TransactionEvent", plug))[2] == {}  # no token yet: no idTokenInfo
    auth = event(
        "Updated",
        1,
        "Authorized",
        idToken={"idToken": "TAG-E", "type": "ISO14443"},
        transactionInfo={"transactionId": "tx-msg", "chargingState": "Charging"},
    )
    assert (await station.call("TransactionEvent", auth))[2] == {"idTokenInfo": {"status": "Accepted"}}
    stop = event(
        "Ended",
        2,
        "StopAuthorized",
        idToken={"idToken": "TAG-E", "type": "ISO14443"},
        transactionInfo={"transactionId": "tx-msg", "stoppedReason": "Local", "chargingState": "EVConnected"},
        meterValue=[register("2026-11-24T10:02:00Z", 900, "Transaction.End")],
    )
    assert (await station.call("TransactionEvent", stop))[2] == {"idTokenInfo": {"status": "Accepted"}}
    tx = await server.domain.transactions.find("CS-MSG", "tx-msg")
    assert tx is not None and tx.status == "ended"
    assert (tx.start_trigger_reason, tx.trigger_reason, tx.stop_reason) == (
        "CablePluggedIn",
        "StopAuthorized",
        "Local",
    )
    assert (tx.id_token, tx.meter_start_wh, tx.meter_stop_wh, tx.charging_state) == (
        "TAG-E",
        100,
        900,
        "EVConnected",
    )


async def test_tc_e_16_csms_deauthorized_by_an_invalid_token_answer(
    server: Runtime, station: RawStation
) -> None:
    """TC_E_16_CSMS: a Started event with an unknown token is stored and answered Invalid; the
    station then ends it Deauthorized."""
    start = event("Started", 0, "Authorized", tx="tx-bad", idToken={"idToken": "NOPE", "type": "ISO14443"})
    assert (await station.call("TransactionEvent", start))[2] == {"idTokenInfo": {"status": "Invalid"}}
    end = event(
        "Ended",
        1,
        "Deauthorized",
        tx="tx-bad",
        transactionInfo={"transactionId": "tx-bad", "stoppedReason": "DeAuthorized"},
    )
    assert (await station.call("TransactionEvent", end))[0] == 3
    tx = await server.domain.transactions.find("CS-MSG", "tx-bad")
    assert tx is not None and (tx.status, tx.stop_reason, tx.trigger_reason) == (
        "ended",
        "DeAuthorized",
        "Deauthorized",
    )


async def test_tc_e_53_csms_seq_no_starts_at_zero_for_each_transaction(
    server: Runtime, station: RawStation
) -> None:
    """TC_E_53_CSMS: seqNo 0 again at the start of the next transaction is a new event, not a resend."""
    for tx in ("tx-one", "tx-two"):
        assert (await station.call("TransactionEvent", event("Started", 0, "Authorized", tx=tx)))[0] == 3
        assert (await station.call("TransactionEvent", event("Ended", 1, "StopAuthorized", tx=tx)))[0] == 3
    for tx in ("tx-one", "tx-two"):
        stored = await server.domain.transactions.find("CS-MSG", tx)
        assert stored is not None and stored.status == "ended" and stored.last_seq_no == 1


async def test_tc_j_01_csms_clock_aligned_meter_values_without_a_transaction(
    server: Runtime, station: RawStation
) -> None:
    """TC_J_01_CSMS: no transaction runs; three times, a clock interval apart, for EVSE 0 and each
    EVSE: MeterValues (Sample.Clock) and NotifyEvent (Periodic, FiscalMetering); the CSMS answers
    every message and keeps every reading with its time."""
    readings: list[tuple[str, float]] = []
    for round_ in range(3):
        at = f"2026-11-24T10:{15 * round_:02d}:00Z"
        for evse in (0, 1, 2):
            wh = 1000.0 * (evse + 1) + 10 * round_
            value = {"value": wh, "measurand": "Energy.Active.Import.Register", "context": "Sample.Clock"}
            frame = await station.call(
                "MeterValues", {"evseId": evse, "meterValue": [{"timestamp": at, "sampledValue": [value]}]}
            )
            assert frame[2] == {}
            fiscal = {
                "eventId": 100 * round_ + evse,
                "timestamp": at,
                "trigger": "Periodic",
                "actualValue": str(wh),
                "eventNotificationType": "HardWiredMonitor",
                "component": {"name": "FiscalMetering", **({"evse": {"id": evse}} if evse else {})},
                "variable": {"name": "EnergyImport"},
            }
            notify = {"generatedAt": at, "seqNo": 0, "eventData": [fiscal]}
            assert (await station.call("NotifyEvent", notify))[2] == {}
            readings.append((at, wh))
    stored = await server.domain.transactions.meter_values_of_station("CS-MSG")
    assert sorted((sv.context, float(sv.value)) for _, sv in stored) == sorted(
        ("Sample.Clock", wh) for _, wh in readings
    )
    assert {moment.isoformat().replace("+00:00", "Z") for moment, _ in stored} == {at for at, _ in readings}


async def test_tc_j_04_csms_clock_aligned_signed_meter_values(server: Runtime, station: RawStation) -> None:
    """TC_J_04_CSMS: clock-aligned values with a signed meter value: every measurand, phase, unit
    and context kept, the signed meter value verbatim."""
    signed = {
        "signedMeterData": "AP///wEAAAAB",
        "signingMethod": "ECDSA-secp256r1-SHA256",
        "encodingMethod": "OCMF",
        "publicKey": "MFkwEwYH",
    }
    values = [
        {
            "value": 12345.5,
            "measurand": "Energy.Active.Import.Register",
            "context": "Sample.Clock",
            "unitOfMeasure": {"unit": "kWh", "multiplier": -3},
            "signedMeterValue": signed,
        },
        {
            "value": 230.1,
            "measurand": "Voltage",
            "phase": "L1-N",
            "context": "Sample.Clock",
            "unitOfMeasure": {"unit": "V"},
            "location": "Inlet",
        },
        {"value": 16, "measurand": "Current.Import", "phase": "L2", "context": "Sample.Clock"},
        {
            "value": 55,
            "measurand": "SoC",
            "context": "Sample.Clock",
            "location": "EV",
            "unitOfMeasure": {"unit": "Percent"},
        },
    ]
    frame = await station.call(
        "MeterValues",
        {"evseId": 0, "meterValue": [{"timestamp": "2026-11-24T10:15:00Z", "sampledValue": values}]},
    )
    assert frame[2] == {}
    stored = [sv for _, sv in await server.domain.transactions.meter_values_of_station("CS-MSG")]
    assert [(sv.measurand, sv.phase, sv.unit, sv.context, sv.location, sv.value) for sv in stored] == [
        ("Energy.Active.Import.Register", None, "kWh*10^-3", "Sample.Clock", "Outlet", "12345.5"),
        ("Voltage", "L1-N", "V", "Sample.Clock", "Inlet", "230.1"),
        ("Current.Import", "L2", "Wh", "Sample.Clock", "Outlet", "16"),
        ("SoC", None, "Percent", "Sample.Clock", "EV", "55"),
    ]
    assert stored[0].signed_data is not None
    assert json.loads(stored[0].signed_data) == signed


async def test_tc_j_07_10_csms_sampled_values_of_a_transaction(server: Runtime, station: RawStation) -> None:
    """TC_J_07/J_09/J_10_CSMS: Transaction.Begin, periodic and Transaction.End samples of Started,
    Updated and Ended events land with the transaction, with their contexts.

    TC_J_07_CSMS: Started with the EVSE and a Transaction.Begin sample: kept with the transaction.
    TC_J_10_CSMS: Ended with a Transaction.End sample: kept, the meter stop set.
    """
    await station.call(
        "TransactionEvent",
        event(
            "Started",
            0,
            "Authorized",
            tx="tx-j",
            evse={"id": 2, "connectorId": 1},
            meterValue=[register("2026-11-24T10:00:00Z", 10, "Transaction.Begin")],
        ),
    )
    await station.call(
        "TransactionEvent",
        event(
            "Updated", 1, "MeterValuePeriodic", tx="tx-j", meterValue=[register("2026-11-24T10:01:00Z", 20)]
        ),
    )
    await station.call(
        "TransactionEvent",
        event(
            "Ended",
            2,
            "EVCommunicationLost",
            tx="tx-j",
            transactionInfo={"transactionId": "tx-j", "stoppedReason": "EVDisconnected"},
            meterValue=[register("2026-11-24T10:02:00Z", 30, "Transaction.End")],
        ),
    )
    tx = await server.domain.transactions.find("CS-MSG", "tx-j")
    assert tx is not None
    samples = await server.domain.transactions.meter_values_of(tx.id)
    assert [(sv.context, sv.value) for _, sv in samples] == [
        ("Transaction.Begin", "10"),
        ("Sample.Periodic", "20"),
        ("Transaction.End", "30"),
    ]
    assert (tx.evse_id, tx.connector_id, tx.meter_start_wh, tx.meter_stop_wh) == (2, 1, 10, 30)


async def test_tc_p_02_csms_data_transfer_from_the_station_unknown_vendor(station: RawStation) -> None:
    """TC_P_02_CSMS: no vendor extension is configured: UnknownVendorId."""
    frame = await station.call("DataTransfer", {"vendorId": "com.acme", "messageId": "x", "data": {"a": 1}})
    assert frame[2] == {"status": "UnknownVendorId"}


async def test_connector_status_faulted_is_kept(server: Runtime, station: RawStation) -> None:
    """A Faulted connector: the EVSE's connector status and its history."""
    for status in ("Available", "Faulted"):
        payload = {
            "timestamp": "2026-11-24T10:00:00Z",
            "connectorStatus": status,
            "evseId": 1,
            "connectorId": 2,
        }
        assert (await station.call("StatusNotification", payload))[2] == {}
    [connector] = await server.domain.stations.connectors("CS-MSG")
    assert (connector.evse_id, connector.connector_id, connector.status) == (1, 2, "Faulted")
    history = await server.domain.stations.status_history("CS-MSG", 2, evse_id=1)
    assert [h.status for h in history] == ["Faulted", "Available"]


@pytest.mark.parametrize(
    ("action", "payload", "code"),
    [
        ("BootNotification", {"reason": "PowerUp"}, "OccurrenceConstraintViolation"),
        (
            "BootNotification",
            {"reason": "Bored", "chargingStation": {"model": "m", "vendorName": "v"}},
            "PropertyConstraintViolation",
        ),
        (
            "StatusNotification",
            {
                "timestamp": "2026-11-24T10:00:00Z",
                "connectorStatus": "Available",
                "evseId": "one",
                "connectorId": 1,
            },
            "TypeConstraintViolation",
        ),
        ("Authorize", {"idToken": {"idToken": "x" * 37, "type": "ISO14443"}}, "PropertyConstraintViolation"),
        ("MeterValues", {"evseId": 1, "meterValue": []}, "OccurrenceConstraintViolation"),
        (
            "NotifyReport",
            {"requestId": 1, "generatedAt": "yesterday", "seqNo": 0},
            "PropertyConstraintViolation",
        ),
        (
            "TransactionEvent",
            {
                "eventType": "Started",
                "timestamp": "2026-11-24T10:00:00Z",
                "triggerReason": "Authorized",
                "seqNo": 0,
            },
            "OccurrenceConstraintViolation",
        ),
        ("Heartbeat", {"extra": True}, "FormatViolation"),
    ],
)
async def test_invalid_201_payloads_get_the_right_callerror_and_change_nothing(
    server: Runtime, station: RawStation, action: str, payload: dict[str, Any], code: str
) -> None:
    frame = await station.call(action, payload)
    assert frame[0] == 4 and frame[2] == code and frame[3]  # with a description
    assert await server.domain.stations.connectors("CS-MSG") == []
    assert await server.domain.transactions.list(station_id="CS-MSG") == []
    assert (await station.call("Heartbeat", {}))[0] == 3  # the session goes on
