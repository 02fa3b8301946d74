"""The smaller attacks of the hostile audit, each against a real server on 127.0.0.1."""

from __future__ import annotations

import orjson
import pytest

from opencsms.runtime import Runtime
from tests.e2e.wsclient import RawStation

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize("offered", ["OCPP1.6", "Ocpp2.0.1"])
async def test_a_subprotocol_in_capitals_is_served(server: Runtime, offered: str) -> None:
    station = await RawStation.open(server.ocpp_url, "CP-CAPS", (offered,))
    assert station.ws.subprotocol == offered  # the client's own spelling is echoed
    assert (await station.call("Heartbeat", {}))[0] == 3
    await station.close()


async def test_a_16_frame_over_the_limit_gets_a_formation_violation_with_its_id(server: Runtime) -> None:
    """Between the frame limit (256 KiB) and the WebSocket limit (1 MiB) the CALL is answered."""
    station = await RawStation.open(server.ocpp_url, "CP-LARGE")
    frame = [2, "big-1", "DataTransfer", {"vendorId": "v", "data": "x" * (300 * 1024)}]
    await station.send_raw(orjson.dumps(frame).decode())
    answer = await station.recv()
    assert answer[:3] == [4, "big-1", "FormationViolation"]
    assert (await station.call("Heartbeat", {}))[0] == 3  # the session goes on
    await station.close()


async def test_a_meter_values_resent_after_its_answer_was_lost_is_stored_once(server: Runtime) -> None:
    await server.domain.tokens.add("TAG-RESEND")
    station = await RawStation.open(server.ocpp_url, "CP-RESEND")
    await station.call("BootNotification", {"chargePointVendor": "V", "chargePointModel": "M"})
    start = await station.call(
        "StartTransaction",
        {"connectorId": 1, "idTag": "TAG-RESEND", "meterStart": 0, "timestamp": "2026-12-07T10:00:00Z"},
    )
    tx_id = start[2]["transactionId"]

    def meter_values(wh: int, at: str) -> dict[str, object]:
        return {
            "connectorId": 1,
            "transactionId": tx_id,
            "meterValue": [{"timestamp": at, "sampledValue": [{"value": str(wh)}]}],
        }

    first = meter_values(1500, "2026-12-07T10:15:00Z")
    # The message is stored and answered, but the answer never reaches the station: it drops the
    # connection, reconnects and sends the same message again (as OCPP asks of it).
    await station.send_raw(orjson.dumps([2, "lost-1", "MeterValues", first]).decode())
    assert (await station.recv())[1] == "lost-1"
    await station.close()
    station = await RawStation.open(server.ocpp_url, "CP-RESEND")
    assert (await station.call("MeterValues", first))[0] == 3
    # A new reading at another time is stored, and so is another measurand at the same time.
    assert (await station.call("MeterValues", meter_values(3000, "2026-12-07T10:30:00Z")))[0] == 3
    same_time_other_measurand = meter_values(7200, "2026-12-07T10:30:00Z")
    same_time_other_measurand["meterValue"][0]["sampledValue"][0]["measurand"] = "Power.Active.Import"  # type: ignore[index]
    assert (await station.call("MeterValues", same_time_other_measurand))[0] == 3
    await station.close()
    stored = await server.domain.transactions.meter_values_of(tx_id)
    assert [(when.minute, value.value) for when, value in stored] == [
        (15, "1500"),
        (30, "3000"),
        (30, "7200"),
    ]


async def test_an_unknown_id_differing_only_by_case_from_a_known_station_is_refused(server: Runtime) -> None:
    from websockets.exceptions import InvalidStatus

    from tests.e2e.test_security_basic_auth import wait_events

    known = await RawStation.open(server.ocpp_url, "CP-Case-1")
    await known.call("BootNotification", {"chargePointVendor": "V", "chargePointModel": "M"})
    await known.close()
    for twin in ("cp-case-1", "CP-CASE-1"):
        with pytest.raises(InvalidStatus) as refused:
            await RawStation.open(server.ocpp_url, twin)
        assert refused.value.response.status_code == 404
    events = await wait_events(server, "cp-case-1")
    assert [e.tech_info for e in events] == ["differs only by letter case from the known station CP-Case-1"]
    # The known station itself, and ids that are really different, still connect.
    for station_id in ("CP-Case-1", "CP-Case-2"):
        station = await RawStation.open(server.ocpp_url, station_id)
        await station.close()
    with pytest.raises(InvalidStatus) as refused:
        await RawStation.open(server.ocpp_url, "%EF%BC%A3P-Case-1")  # a full-width C
    assert refused.value.response.status_code == 400
