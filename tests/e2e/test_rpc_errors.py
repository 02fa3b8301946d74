"""Malformed frames, unknown actions and invalid payloads get the right CALLERROR over a real socket."""

from __future__ import annotations

import asyncio

import pytest
from websockets.exceptions import InvalidStatus

from opencsms.domain.commands import Reset
from opencsms.domain.model import RegistrationStatus
from opencsms.runtime import Runtime
from tests.e2e.wsclient import RawStation

pytestmark = pytest.mark.e2e

BOOT = {"chargePointVendor": "Acme", "chargePointModel": "AC22"}


async def test_unknown_action_gets_not_implemented(server: Runtime) -> None:
    st = await RawStation.open(server.ocpp_url, "CP-UNK")
    frame = await st.call("FlyToTheMoon", {})
    assert frame[0] == 4 and frame[2] == "NotImplemented"
    await st.close()


@pytest.mark.parametrize(
    ("payload", "code"),
    [
        ({"chargePointVendor": "Acme"}, "OccurenceConstraintViolation"),
        ({"chargePointVendor": 5, "chargePointModel": "M"}, "TypeConstraintViolation"),
        ({"chargePointVendor": "A" * 21, "chargePointModel": "M"}, "PropertyConstraintViolation"),
        ({**BOOT, "colour": "red"}, "FormationViolation"),
    ],
)
async def test_invalid_v16_payload_gets_v16_spelled_error(
    server: Runtime, payload: dict[str, object], code: str
) -> None:
    st = await RawStation.open(server.ocpp_url, "CP-BAD")
    frame = await st.call("BootNotification", payload)
    assert frame[0] == 4
    assert frame[2] == code
    assert frame[3]  # a description that says what is wrong
    await st.close()


async def test_v201_spelling_of_the_same_errors(server: Runtime) -> None:
    st = await RawStation.open(server.ocpp_url, "CP-201", ("ocpp2.0.1",))
    frame = await st.call("BootNotification", {"reason": "PowerUp"})
    assert frame[2] == "OccurrenceConstraintViolation"
    frame = await st.call("Heartbeat", {"extra": 1})
    assert frame[2] == "FormatViolation"
    await st.close()


async def test_not_json_v16_is_logged_and_session_continues(server: Runtime) -> None:
    st = await RawStation.open(server.ocpp_url, "CP-GARBAGE")
    await st.send_raw("this is not json")
    await st.send_raw('[3, "unknown-id", {}]')  # an answer to nothing: dropped and counted
    frame = await st.call("BootNotification", BOOT)  # the next answer is the boot's, nothing came before it
    assert frame[0] == 3 and frame[2]["status"] == "Accepted"
    await st.close()


async def test_not_json_v201_gets_rpc_framework_error_with_id_minus_one(server: Runtime) -> None:
    st = await RawStation.open(server.ocpp_url, "CP-GARBAGE2", ("ocpp2.0.1",))
    await st.send_raw("{not json")
    frame = await st.recv()
    assert frame[:3] == [4, "-1", "RpcFrameworkError"]
    await st.close()


async def test_message_id_longer_than_36_is_refused(server: Runtime) -> None:
    st = await RawStation.open(server.ocpp_url, "CP-LONGID", ("ocpp2.0.1",))
    await st.send_raw(f'[2, "{"x" * 37}", "Heartbeat", {{}}]')
    frame = await st.recv()
    assert frame[:3] == [4, "-1", "RpcFrameworkError"]
    await st.close()


async def test_unknown_message_type_gets_not_supported(server: Runtime) -> None:
    st = await RawStation.open(server.ocpp_url, "CP-TYPE7")
    await st.send_raw('[7, "abc", "Heartbeat", {}]')
    frame = await st.recv()
    assert frame[:3] == [4, "abc", "NotSupported"]
    await st.close()


async def test_calls_sent_before_the_previous_answer_are_all_answered_in_order(server: Runtime) -> None:
    st = await RawStation.open(server.ocpp_url, "CP-BURST")
    await st.send_raw('[2, "b1", "BootNotification", {"chargePointVendor": "A", "chargePointModel": "M"}]')
    await st.send_raw('[2, "b2", "Heartbeat", {}]')
    await st.send_raw('[2, "b3", "NoSuchAction", {}]')
    await st.send_raw('[2, "b4", "Heartbeat", {}]')
    frames = [await st.recv() for _ in range(4)]
    assert [f[1] for f in frames] == ["b1", "b2", "b3", "b4"]
    assert [f[0] for f in frames] == [3, 3, 4, 3]
    await st.close()


async def test_tc_088_csms_websocket_subprotocol_negotiation(server: Runtime) -> None:
    """TC_088_CSMS: the newest version both sides speak wins, whatever the client's order."""
    st = await RawStation.open(server.ocpp_url, "CP-NEG", ("ocpp1.6", "ocpp2.0.1"))
    assert st.ws.subprotocol == "ocpp2.0.1"
    await st.close()
    st = await RawStation.open(server.ocpp_url, "CP-NEG", ("ocpp1.6",))
    assert st.ws.subprotocol == "ocpp1.6"
    await st.close()
    with pytest.raises(InvalidStatus) as refused:
        await RawStation.open(server.ocpp_url, "CP-NEG", ("ocpp1.2",))
    assert refused.value.response.status_code == 400


@pytest.mark.parametrize(("station_id", "status"), [("X" * 49, 400)])
async def test_bad_station_id_refused_at_handshake(server: Runtime, station_id: str, status: int) -> None:
    with pytest.raises(InvalidStatus) as refused:
        await RawStation.open(server.ocpp_url, station_id)
    assert refused.value.response.status_code == status


async def test_percent_encoded_station_id_and_any_prefix(server: Runtime) -> None:
    url = server.ocpp_url.replace("/ocpp", "/some/prefix")
    st = await RawStation.open(url, "CP%20SPACE")
    assert (await st.call("BootNotification", BOOT))[2]["status"] == "Accepted"
    await st.close()
    station = await server.domain.stations.get("CP SPACE")
    assert station is not None and station.vendor == "Acme"


async def test_unknown_station_refused_under_reject_policy(server_factory) -> None:  # type: ignore[no-untyped-def]
    rt = await server_factory(registration_policy="reject")
    try:
        with pytest.raises(InvalidStatus) as refused:
            await RawStation.open(rt.ocpp_url, "CP-STRANGER")
        assert refused.value.response.status_code == 404
        await rt.domain.stations.register("CP-KNOWN", RegistrationStatus.ACCEPTED)
        st = await RawStation.open(rt.ocpp_url, "CP-KNOWN")
        assert (await st.call("BootNotification", BOOT))[2]["status"] == "Accepted"
        await st.close()
    finally:
        await rt.stop()


async def test_slow_station_does_not_stall_another(server: Runtime) -> None:
    silent = await RawStation.open(server.ocpp_url, "CP-SILENT")
    # CP-SILENT never answers this reset; the command waits, but other stations are served.
    pending = asyncio.create_task(server.sessions.execute("CP-SILENT", Reset(), 2.0))
    busy = await RawStation.open(server.ocpp_url, "CP-BUSY")
    for _ in range(20):
        assert (await busy.call("Heartbeat", {}, timeout=1.0))[0] == 3
    with pytest.raises(Exception, match="did not answer"):
        await pending
    await silent.close()
    await busy.close()


async def test_a_known_action_without_support_gets_not_supported(server: Runtime) -> None:
    """An OCPP action the station may send but this CSMS does not handle is NotSupported (known,
    not supported), not NotImplemented (which says the action is unknown)."""
    st = await RawStation.open(server.ocpp_url, "CS-DISPLAY", ("ocpp2.0.1",))
    frame = await st.call("NotifyDisplayMessages", {"requestId": 1})
    assert frame[0] == 4 and frame[2] == "NotSupported"
    await st.close()
