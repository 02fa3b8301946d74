"""OCPP 2.0.1 boot with Pending and Rejected registrations (B02, B03), exact frames."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any

import pytest

from opencsms.domain import RegistrationStatus
from opencsms.domain import commands as c
from opencsms.runtime import Runtime
from tests.e2e.wsclient import RawStation

pytestmark = pytest.mark.e2e

BOOT = {"reason": "PowerUp", "chargingStation": {"model": "DC50", "vendorName": "Acme"}}
STATUS = {"timestamp": "2026-11-24T10:00:00Z", "connectorStatus": "Available", "evseId": 1, "connectorId": 1}


async def answer_next_call(station: RawStation, result: dict[str, Any]) -> list[Any]:
    """Receive the CSMS's next CALL, answer it with ``result``; returns the CALL frame."""
    frame = await station.recv()
    assert frame[0] == 2
    await station.send_raw(json.dumps([3, frame[1], result]))
    return frame


async def test_tc_b_02_30_31_csms_cold_boot_pending(server_factory: Callable[..., Any]) -> None:
    """TC_B_02_CSMS (Pending, the CSMS may ask for reports), TC_B_30_CSMS (unprompted messages get
    SecurityError), TC_B_31_CSMS (what a TriggerMessage asked for is accepted); then Accepted.

    TC_B_02_CSMS: BootNotification answered Pending with an interval; the CSMS may ask for a report; then
        Accepted.
    TC_B_30_CSMS: while Pending, unprompted messages get SecurityError.
    TC_B_31_CSMS: while Pending, the StatusNotification a TriggerMessage asked for is accepted.
    """
    server: Runtime = await server_factory(registration_policy="pending")
    try:
        st = await RawStation.open(server.ocpp_url, "CS-PEND", ("ocpp2.0.1",))
        boot = await st.call("BootNotification", BOOT)
        assert boot[2]["status"] == "Pending" and boot[2]["interval"] > 0

        frame = await st.call("StatusNotification", STATUS)
        assert frame[0] == 4 and frame[2] == "SecurityError"
        assert (await st.call("Heartbeat", {}))[2] == "SecurityError"

        report = asyncio.create_task(server.sessions.execute("CS-PEND", c.GetBaseReport(request_id=9)))
        call = await answer_next_call(st, {"status": "Accepted"})
        assert call[2:] == ["GetBaseReport", {"requestId": 9, "reportBase": "FullInventory"}]
        assert (await report).status == "Accepted"
        part = {
            "requestId": 9,
            "generatedAt": "2026-11-24T10:00:00Z",
            "seqNo": 0,
            "reportData": [
                {
                    "component": {"name": "OCPPCommCtrlr"},
                    "variable": {"name": "HeartbeatInterval"},
                    "variableAttribute": [{"value": "300"}],
                }
            ],
        }
        assert (await st.call("NotifyReport", part))[::2] == [3, {}]

        with pytest.raises(c.InvalidCommand, match="Pending"):
            await server.sessions.execute("CS-PEND", c.RemoteStart("TAG", evse_id=1))

        trigger = asyncio.create_task(
            server.sessions.execute("CS-PEND", c.TriggerMessage("StatusNotification"))
        )
        call = await answer_next_call(st, {"status": "Accepted"})
        assert call[2:] == ["TriggerMessage", {"requestedMessage": "StatusNotification"}]
        assert (await trigger).status == "Accepted"
        assert (await st.call("StatusNotification", STATUS))[0] == 3

        await server.domain.stations.register("CS-PEND", RegistrationStatus.ACCEPTED)
        assert (await st.call("BootNotification", BOOT))[2]["status"] == "Accepted"
        assert (await st.call("Heartbeat", {}))[0] == 3
        await st.close()
    finally:
        await server.stop()


async def test_tc_b_30_csms_rejected_station_gets_security_error(server: Runtime) -> None:
    """TC_B_30_CSMS, B03.FR.07: a Rejected station gets SecurityError for anything but a boot;
    the CSMS sends it nothing."""
    # A station known as Rejected is refused at the handshake; this one is rejected once connected.
    st = await RawStation.open(server.ocpp_url, "CS-REJ", ("ocpp2.0.1",))
    await server.domain.stations.register("CS-REJ", RegistrationStatus.REJECTED)
    assert (await st.call("BootNotification", BOOT))[2]["status"] == "Rejected"
    for action, payload in (
        ("StatusNotification", STATUS),
        ("Authorize", {"idToken": {"idToken": "X", "type": "ISO14443"}}),
        ("NotifyReport", {"requestId": 1, "generatedAt": "2026-11-24T10:00:00Z", "seqNo": 0}),
    ):
        frame = await st.call(action, payload)
        assert frame[0] == 4 and frame[2] == "SecurityError", action
    with pytest.raises(c.InvalidCommand, match="Rejected"):
        await server.sessions.execute("CS-REJ", c.GetBaseReport())
    await st.close()
