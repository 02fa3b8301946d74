"""The step-by-step API of SimulatedStation201 against the in-test CSMS (validated both ways)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from typing import Any

import pytest

from opencsms.ocppj import UsageError
from opencsms.simulate import SimulatedStation201
from opencsms.simulate.device_model201 import Component
from opencsms.transport.connection import ConnectionLost
from tests.simulate.csms import FakeCsms

UNITS = {
    "Energy.Active.Import.Register": "Wh",
    "Power.Active.Import": "W",
    "Current.Import": "A",
    "Voltage": "V",
    "SoC": "Percent",
}


def register(event: dict[str, Any]) -> float:
    values = event["meterValue"][0]["sampledValue"]
    return float(next(v["value"] for v in values if v["measurand"] == "Energy.Active.Import.Register"))


async def test_boot_statuses_and_heartbeat(
    csms: FakeCsms, make_station201: Callable[..., SimulatedStation201]
) -> None:
    st = make_station201(evses=2, connectors_per_evse=2)
    await st.connect()
    assert csms.versions["CS1"] == "2.0.1" and st.needs_boot
    assert await st.boot() == "Accepted"
    assert st.online.is_set() and not st.needs_boot and st.heartbeat_interval == 60
    assert st.device_model.value("OCPPCommCtrlr", "HeartbeatInterval") == "60"
    boot = csms.calls("BootNotification")[0]
    assert boot == {
        "reason": "PowerUp",
        "chargingStation": {
            "model": "SimCharger",
            "vendorName": "opencsms",
            "serialNumber": "SN-CS1",
            "firmwareVersion": "sim-1.0",
        },
    }
    await st.announce_statuses()
    assert [(p["evseId"], p["connectorId"]) for p in csms.calls("StatusNotification")] == [
        (1, 1), (1, 2), (2, 1), (2, 2),
    ]  # fmt: skip
    await st.announce_statuses(changed_only=True)  # nothing changed: nothing sent
    await st.send_status(2, 2, "Faulted")
    assert st.evses[2].status == "Faulted" and st.evses[2].connector_status == {1: "Available", 2: "Faulted"}
    assert st.device_model.value(Component("EVSE", evse_id=2), "AvailabilityState") == "Faulted"
    assert await st.heartbeat()
    assert csms.actions() == ["BootNotification", *["StatusNotification"] * 5, "Heartbeat"]
    with pytest.raises(UsageError):
        await st.send_status(2, 3, "Available")


async def test_full_session(csms: FakeCsms, station201: SimulatedStation201) -> None:
    assert await station201.authorize("TAG-1") == "Accepted"
    assert csms.calls("Authorize")[0] == {"idToken": {"idToken": "TAG-1", "type": "ISO14443"}}
    assert await station201.authorize("BAD-TAG", token_type="eMAID") == "Invalid"
    before = station201.evses[1].energy_wh
    transaction_id = await station201.start_transaction(1, "TAG-1")
    assert uuid.UUID(transaction_id).version == 4
    for _ in range(3):
        await asyncio.sleep(0.05)
        await station201.send_meter_values(1)
    assert await station201.stop_transaction(1) == {}

    started, *updates, ended = csms.events()
    assert [e["seqNo"] for e in csms.events()] == [0, 1, 2, 3, 4]
    assert all(e["transactionInfo"]["transactionId"] == transaction_id for e in csms.events())
    assert started["eventType"] == "Started" and started["triggerReason"] == "Authorized"
    assert started["idToken"] == {"idToken": "TAG-1", "type": "ISO14443"}
    assert started["evse"] == {"id": 1, "connectorId": 1}
    assert started["transactionInfo"]["chargingState"] == "Charging"
    begin = started["meterValue"][0]["sampledValue"]
    assert begin == [
        {
            "value": pytest.approx(before, abs=0.05),
            "context": "Transaction.Begin",
            "measurand": "Energy.Active.Import.Register",
            "unitOfMeasure": {"unit": "Wh"},
            "location": "Outlet",
        }
    ]
    for update in updates:
        assert update["eventType"] == "Updated" and update["triggerReason"] == "MeterValuePeriodic"
        assert "idToken" not in update and "offline" not in update
        values = update["meterValue"][0]["sampledValue"]
        assert {v["measurand"]: v["unitOfMeasure"]["unit"] for v in values} == UNITS
        assert all(isinstance(v["value"], int | float) and v["context"] == "Sample.Periodic" for v in values)
        assert [v["phase"] for v in values if v["measurand"] == "Current.Import"] == ["L1", "L2", "L3"]
    registers = [register(e) for e in updates]
    assert registers == sorted(registers) and registers[-1] > registers[0] > before
    assert ended["eventType"] == "Ended" and ended["triggerReason"] == "StopAuthorized"
    assert ended["transactionInfo"]["stoppedReason"] == "Local"
    assert ended["meterValue"][0]["sampledValue"][0]["context"] == "Transaction.End"
    assert register(ended) >= registers[-1]
    assert station201.evses[1].transaction is None
    assert station201.stats.sessions_started == station201.stats.sessions_completed == 1

    # the next transaction numbers its events from 0 again
    await station201.start_transaction(2, None, trigger_reason="CablePluggedIn")
    assert csms.events()[-1]["seqNo"] == 0 and "idToken" not in csms.events()[-1]


async def test_meter_values_without_transaction_and_misuse(
    csms: FakeCsms, station201: SimulatedStation201
) -> None:
    await station201.send_meter_values(2)
    payload = csms.calls("MeterValues")[0]
    assert payload["evseId"] == 2
    assert {v["measurand"] for v in payload["meterValue"][0]["sampledValue"]} == set(UNITS) - {"SoC"}
    with pytest.raises(UsageError):
        await station201.stop_transaction(1)
    with pytest.raises(UsageError):
        await station201.start_transaction(3, "TAG-1")
    await station201.start_transaction(1, "TAG-1")
    with pytest.raises(UsageError):
        await station201.start_transaction(1, "TAG-1")
    with pytest.raises(UsageError):
        station201.evse(9)


async def test_refused_token_in_the_started_answer_is_kept(
    csms: FakeCsms, station201: SimulatedStation201
) -> None:
    await station201.start_transaction(1, "BAD-TAG")
    transaction = station201.evses[1].transaction
    assert transaction is not None and transaction.id_token_status == "Invalid"


async def test_offline_events_are_replayed_in_order_before_anything_else(
    csms: FakeCsms, station201: SimulatedStation201
) -> None:
    await station201.announce_statuses()
    transaction_id = await station201.start_transaction(1, "TAG-1")
    await station201.send_meter_values(1)
    await station201.go_offline()
    assert not station201.connected and not station201.online.is_set()

    await asyncio.sleep(0.02)
    assert await station201.send_meter_values(1) is None
    await asyncio.sleep(0.02)
    await station201.send_meter_values(1)
    assert await station201.stop_transaction(1) is None  # kept, not lost
    with pytest.raises(ConnectionLost):
        await station201.heartbeat()
    waiting = station201.outbox.waiting()
    assert [e["seqNo"] for e in waiting] == [2, 3, 4] and all(e["offline"] for e in waiting)
    assert station201.stats.events_queued == 3
    assert len(csms.events()) == 2

    with pytest.raises(ConnectionLost):  # not sent, but shown after the replay
        await station201.send_status(2, 1, "Faulted")
    assert csms.connector_statuses(2) == ["Available"]
    received_before = len(csms.received)
    await station201.go_online()
    assert station201.online.is_set() and len(station201.outbox) == 0
    assert csms.connects["CS1"] == 2 and len(csms.calls("BootNotification")) == 1  # no reboot: no boot
    after = csms.received[received_before:]
    assert [call.action for _, call in after] == [*["TransactionEvent"] * 3, "StatusNotification"]
    replayed = [call.payload for _, call in after[:3]]
    assert [e["seqNo"] for e in replayed] == [2, 3, 4]
    assert [e["eventType"] for e in replayed] == ["Updated", "Updated", "Ended"]
    assert all(
        e["offline"] is True and e["transactionInfo"]["transactionId"] == transaction_id for e in replayed
    )
    timestamps = [e["timestamp"] for e in csms.events()]
    assert timestamps == sorted(timestamps)  # their own times, from when they happened
    assert replayed[-1]["timestamp"] < after[3][1].payload["timestamp"]
    assert csms.connector_statuses(2) == ["Available", "Faulted"]
    assert "offline" not in csms.events()[1]


async def test_an_event_whose_answer_was_lost_is_resent_with_its_seq_no(
    csms: FakeCsms, station201: SimulatedStation201
) -> None:
    await station201.start_transaction(1, "TAG-1")
    first = csms.events()[0]
    assert await station201.resend_last_transaction_event() == {"idTokenInfo": {"status": "Accepted"}}
    assert csms.events()[1] == first and csms.duplicates == 1

    # the connection closes while the CSMS holds the answer: the event stays first in line
    await station201.send_meter_values(1)
    updated = csms.events()[-1]
    csms.hold_transaction_event_answers()
    sending = asyncio.create_task(station201.send_meter_values(1))
    await csms.wait_until(lambda: len(csms.events()) == 4)
    await csms.connections["CS1"].close()
    await sending
    csms.release_answers()
    assert [e["seqNo"] for e in station201.outbox.waiting()] == [updated["seqNo"] + 1]
    await station201.go_online()
    assert csms.events()[-1] == csms.events()[-2] and csms.duplicates == 2
    assert "offline" not in csms.events()[-1]  # it happened while online
    with pytest.raises(UsageError):
        await SimulatedStation201(station201.config).resend_last_transaction_event()


async def test_transaction_status(csms: FakeCsms, station201: SimulatedStation201) -> None:
    transaction_id = await station201.start_transaction(1, "TAG-1")
    status = await csms.call("CS1", "GetTransactionStatus", {"transactionId": transaction_id})
    assert status == {"messagesInQueue": False, "ongoingIndicator": True}
    connection = csms.connections["CS1"]
    await station201.go_offline()
    await station201.stop_transaction(1)
    await station201.go_online()
    await csms.wait_until(lambda: csms.connections["CS1"] is not connection)
    assert await csms.call("CS1", "GetTransactionStatus", {"transactionId": transaction_id}) == {
        "messagesInQueue": False,
        "ongoingIndicator": False,
    }
    assert await csms.call("CS1", "GetTransactionStatus", {}) == {"messagesInQueue": False}


async def test_2_1_uses_its_subprotocol(
    csms: FakeCsms, make_station201: Callable[..., SimulatedStation201]
) -> None:
    st = make_station201("CS21", version="2.1", evses=1)
    await st.connect()
    assert await st.boot() == "Accepted" and csms.versions["CS21"] == "2.1"
    await st.start_transaction(1, "TAG-1")
    await st.send_meter_values(1)
    assert await st.stop_transaction(1, "EVDisconnected") == {}
    ended = csms.events("CS21")[-1]
    assert (
        ended["triggerReason"] == "EVCommunicationLost"
        and ended["transactionInfo"]["chargingState"] == "Idle"
    )
    with pytest.raises(UsageError):
        make_station201(version="1.6")
    with pytest.raises(ValueError, match="EVSE"):
        make_station201(evses=0)
