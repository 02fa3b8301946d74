"""OCPP 2.0.1 provisioning, authorization and TransactionEvent flow against a real server."""

from __future__ import annotations

from typing import Any

import pytest

from opencsms.runtime import Runtime
from tests.e2e.wsclient import RawStation

pytestmark = pytest.mark.e2e

BOOT = {
    "reason": "PowerUp",
    "chargingStation": {"model": "DC50", "vendorName": "Acme", "firmwareVersion": "2.0"},
}


def energy(ts: str, wh: float, context: str = "Sample.Periodic") -> dict[str, Any]:
    return {
        "timestamp": ts,
        "sampledValue": [
            {
                "value": wh,
                "measurand": "Energy.Active.Import.Register",
                "context": context,
                "unitOfMeasure": {"unit": "Wh"},
            },
            {
                "value": 11000.5,
                "measurand": "Power.Active.Import",
                "context": context,
                "unitOfMeasure": {"unit": "W"},
            },
        ],
    }


def event(kind: str, seq: int, ts: str, tx: str = "tx-201-a", **extra: Any) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "eventType": kind,
        "timestamp": ts,
        "triggerReason": {
            "Started": "Authorized",
            "Updated": "MeterValuePeriodic",
            "Ended": "StopAuthorized",
        }[kind],
        "seqNo": seq,
        "transactionInfo": {"transactionId": tx},
    }
    payload.update(extra)
    return payload


async def test_tc_b_01_csms_cold_boot_charging_station(server: Runtime) -> None:
    """TC_B_01_CSMS: BootNotification accepted with interval; StatusNotification per EVSE connector."""
    st = await RawStation.open(server.ocpp_url, "CS-B01", ("ocpp2.0.1",))
    boot = await st.call("BootNotification", BOOT)
    assert boot[2]["status"] == "Accepted" and boot[2]["interval"] == 60
    status = await st.call(
        "StatusNotification",
        {"timestamp": "2026-11-24T10:00:00Z", "connectorStatus": "Available", "evseId": 1, "connectorId": 1},
    )
    assert status[2] == {}
    assert (await st.call("Heartbeat", {}))[2]["currentTime"].endswith("Z")
    station = await server.domain.stations.get("CS-B01")
    assert station is not None and station.ocpp_version == "2.0.1" and station.firmware_version == "2.0"
    connectors = await server.domain.stations.connectors("CS-B01")
    assert [(c.evse_id, c.connector_id, c.status) for c in connectors] == [(1, 1, "Available")]
    await st.close()


async def test_authorize_with_group_and_unknown(server: Runtime) -> None:
    """C01/C05: known token Accepted with its group id token; unknown Invalid; NoAuthorization accepted."""
    await server.domain.tokens.add("GROUP-1")
    await server.domain.tokens.add("RFID-1", parent_id_token="GROUP-1")
    st = await RawStation.open(server.ocpp_url, "CS-C", ("ocpp2.0.1",))
    ok = await st.call("Authorize", {"idToken": {"idToken": "RFID-1", "type": "ISO14443"}})
    assert ok[2]["idTokenInfo"] == {
        "status": "Accepted",
        "groupIdToken": {"idToken": "GROUP-1", "type": "Central"},
    }
    bad = await st.call("Authorize", {"idToken": {"idToken": "NOPE", "type": "ISO14443"}})
    assert bad[2]["idTokenInfo"]["status"] == "Invalid"
    free = await st.call("Authorize", {"idToken": {"idToken": "", "type": "NoAuthorization"}})
    assert free[2]["idTokenInfo"]["status"] == "Accepted"
    await st.close()


async def test_transaction_events_started_updated_ended_with_duplicates_and_offline(
    server: Runtime,
) -> None:
    """E01/E02/E06 start and stop; E15 seqNo (a resend is stored once); E12 offline events."""
    await server.domain.tokens.add("RFID-2")
    st = await RawStation.open(server.ocpp_url, "CS-E", ("ocpp2.0.1",))
    token = {"idToken": "RFID-2", "type": "ISO14443"}
    started = await st.call(
        "TransactionEvent",
        event(
            "Started",
            0,
            "2026-11-24T10:00:00Z",
            idToken=token,
            evse={"id": 1, "connectorId": 1},
            meterValue=[energy("2026-11-24T10:00:00Z", 500, "Transaction.Begin")],
        ),
    )
    assert started[2]["idTokenInfo"]["status"] == "Accepted"
    upd = event("Updated", 1, "2026-11-24T10:01:00Z", meterValue=[energy("2026-11-24T10:01:00Z", 700)])
    assert (await st.call("TransactionEvent", upd))[0] == 3
    assert (await st.call("TransactionEvent", upd))[0] == 3  # resent after a lost answer: same answer
    # events queued while offline arrive later, flagged offline, with their own timestamps
    for seq, minute in ((2, 2), (3, 3)):
        offline = event(
            "Updated",
            seq,
            f"2026-11-24T10:0{minute}:00Z",
            offline=True,
            meterValue=[energy(f"2026-11-24T10:0{minute}:00Z", 700 + 100 * minute)],
        )
        assert (await st.call("TransactionEvent", offline))[0] == 3
    ended = await st.call(
        "TransactionEvent",
        event(
            "Ended",
            4,
            "2026-11-24T10:04:00Z",
            idToken=token,
            transactionInfo={"transactionId": "tx-201-a", "stoppedReason": "Local"},
            meterValue=[energy("2026-11-24T10:04:00Z", 1234.5, "Transaction.End")],
        ),
    )
    assert ended[2]["idTokenInfo"]["status"] == "Accepted"
    await st.close()

    tx = await server.domain.transactions.find("CS-E", "tx-201-a")
    assert tx is not None and tx.status == "ended"
    assert tx.meter_start_wh == 500 and tx.meter_stop_wh == 1234.5 and tx.stop_reason == "Local"
    assert tx.evse_id == 1 and tx.connector_id == 1 and tx.id_token == "RFID-2"
    values = await server.domain.transactions.meter_values_of(tx.id)
    readings = [
        (ts.minute, float(sv.value)) for ts, sv in values if sv.measurand == "Energy.Active.Import.Register"
    ]
    assert readings == [(0, 500.0), (1, 700.0), (2, 900.0), (3, 1000.0), (4, 1234.5)]  # ordered, no duplicate


async def test_v201_and_v16_sessions_land_in_the_same_table(server: Runtime) -> None:
    st201 = await RawStation.open(server.ocpp_url, "CS-MIX-201", ("ocpp2.0.1",))
    st16 = await RawStation.open(server.ocpp_url, "CS-MIX-16", ("ocpp1.6",))
    await st201.call("TransactionEvent", event("Started", 0, "2026-11-24T11:00:00Z", tx="mix-1"))
    await st16.call(
        "StartTransaction",
        {"connectorId": 1, "idTag": "X", "meterStart": 0, "timestamp": "2026-11-24T11:00:00Z"},
    )
    active = {t.station_id for t in await server.domain.transactions.list(active=True)}
    assert {"CS-MIX-201", "CS-MIX-16"} <= active
    await st201.close()
    await st16.close()


async def test_invalid_transaction_event_gets_the_right_callerror(server: Runtime) -> None:
    st = await RawStation.open(server.ocpp_url, "CS-BADTX", ("ocpp2.0.1",))
    bad = event("Started", 0, "2026-11-24T10:00:00Z")
    bad["triggerReason"] = "Whenever"
    frame = await st.call("TransactionEvent", bad)
    assert frame[0] == 4 and frame[2] == "PropertyConstraintViolation"
    del bad["seqNo"]
    assert (await st.call("TransactionEvent", bad))[2] == "OccurrenceConstraintViolation"
    await st.close()


async def test_ocpp21_station_uses_the_same_flows(server: Runtime) -> None:
    st = await RawStation.open(server.ocpp_url, "CS-21", ("ocpp2.1", "ocpp2.0.1"))
    assert st.ws.subprotocol == "ocpp2.1"
    assert (await st.call("BootNotification", BOOT))[2]["status"] == "Accepted"
    assert (await st.call("TransactionEvent", event("Started", 0, "2026-11-24T12:00:00Z", tx="t21")))[0] == 3
    assert await server.domain.transactions.find("CS-21", "t21") is not None
    await st.close()
