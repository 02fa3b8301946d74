"""OCA CSMS test cases of log uploads (2.0.1 block N, N01; 1.6 security whitepaper GetLog): the
operator asks for a log, the test answers as the case's station does and sends its
LogStatusNotifications, which the CSMS answers and passes on to the event stream."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

from opencsms.bus.interface import EventFilter, Subscription
from opencsms.runtime import Runtime
from tests.e2e.scripted import ChargePoint, ChargingStation, command_answered, timestamp

pytestmark = pytest.mark.e2e

UPLOAD_TO = "ftp://logs.example.net/uploads/"


async def statuses(events: Subscription, count: int) -> list[tuple[str, int | None]]:
    seen = [await asyncio.wait_for(events.get(), 10) for _ in range(count)]
    return [(e.data["status"], e.data["request_id"]) for e in seen]


async def get_log(
    http: httpx.AsyncClient, station: ChargingStation | ChargePoint, log_type: str, answer: dict[str, Any]
) -> tuple[dict[str, Any], dict[str, Any]]:
    args = {"remote_location": UPLOAD_TO, "log_type": log_type}
    return await command_answered(http, station.raw, station.station_id, "get_log", args, "GetLog", answer)


@pytest.mark.parametrize("log_type", ["DiagnosticsLog", "SecurityLog"])  # TC_N_25_CSMS, TC_N_35_CSMS
async def test_tc_n_25_35_csms_retrieve_log_success(
    server: Runtime, operator_http: httpx.AsyncClient, log_type: str
) -> None:
    """TC_N_25_CSMS (DiagnosticsLog) and TC_N_35_CSMS (SecurityLog): GetLog with the log type,
    a request id and the upload location; Accepted; Uploading and Uploaded with that request id.

    TC_N_25_CSMS: GetLog DiagnosticsLog, Accepted with a file name; Uploading, Uploaded.
    TC_N_35_CSMS: GetLog SecurityLog, Accepted with a file name; Uploading, Uploaded.
    """
    station = await ChargingStation.online(server, "CS-N25")
    events = server.bus.subscribe(EventFilter.of(["station.log_status"], ["CS-N25"]))
    try:
        sent, result = await get_log(
            operator_http, station, log_type, {"status": "Accepted", "filename": "a.log"}
        )
        request_id = sent["requestId"]
        assert sent == {"logType": log_type, "requestId": request_id, "log": {"remoteLocation": UPLOAD_TO}}
        assert result["status"] == "Accepted" and result["response"]["filename"] == "a.log"
        for status in ("Uploading", "Uploaded"):
            payload = {"status": status, "requestId": request_id}
            assert await station.call("LogStatusNotification", payload) == {}
        assert await statuses(events, 2) == [("Uploading", request_id), ("Uploaded", request_id)]
    finally:
        events.close()
    await station.close()


async def test_tc_n_34_csms_retrieve_log_rejected(server: Runtime, operator_http: httpx.AsyncClient) -> None:
    """TC_N_34_CSMS: the station rejects the GetLog; the operator sees Rejected."""
    station = await ChargingStation.online(server, "CS-N34")
    sent, result = await get_log(operator_http, station, "DiagnosticsLog", {"status": "Rejected"})
    assert sent["logType"] == "DiagnosticsLog" and result["status"] == "Rejected"
    await station.close()


async def test_tc_n_36_csms_retrieve_log_second_request(
    server: Runtime, operator_http: httpx.AsyncClient
) -> None:
    """TC_N_36_CSMS: a second GetLog while the first upload runs: a new request id, answered
    AcceptedCanceled; the first upload is reported AcceptedCanceled, the second one uploads."""
    station = await ChargingStation.online(server, "CS-N36")
    events = server.bus.subscribe(EventFilter.of(["station.log_status"], ["CS-N36"]))
    try:
        first, result = await get_log(operator_http, station, "DiagnosticsLog", {"status": "Accepted"})
        assert result["status"] == "Accepted"
        await station.call("LogStatusNotification", {"status": "Uploading", "requestId": first["requestId"]})
        second, result = await get_log(
            operator_http, station, "DiagnosticsLog", {"status": "AcceptedCanceled"}
        )
        assert result["status"] == "AcceptedCanceled" and second["requestId"] != first["requestId"]
        reports = [
            ("AcceptedCanceled", first["requestId"]),
            ("Uploading", second["requestId"]),
            ("Uploaded", second["requestId"]),
        ]
        for status, request_id in reports:
            payload = {"status": status, "requestId": request_id}
            assert await station.call("LogStatusNotification", payload) == {}
        assert await statuses(events, 4) == [("Uploading", first["requestId"]), *reports]
    finally:
        events.close()
    await station.close()


async def test_tc_079_csms_get_security_log(server: Runtime, operator_http: httpx.AsyncClient) -> None:
    """TC_079_CSMS (1.6 security extension): GetLog SecurityLog; Accepted; the charge point's
    LogStatusNotifications (Uploading, Uploaded) are answered and passed on."""
    point = await ChargePoint.online(server, "CP-079")
    events = server.bus.subscribe(EventFilter.of(["station.log_status"], ["CP-079"]))
    try:
        sent, result = await get_log(
            operator_http, point, "SecurityLog", {"status": "Accepted", "filename": "s.log"}
        )
        assert sent["logType"] == "SecurityLog" and sent["log"] == {"remoteLocation": UPLOAD_TO}
        assert result["status"] == "Accepted"
        for status in ("Uploading", "Uploaded"):
            assert (
                await point.call("LogStatusNotification", {"status": status, "requestId": sent["requestId"]})
                == {}
            )
        assert await statuses(events, 2) == [
            ("Uploading", sent["requestId"]),
            ("Uploaded", sent["requestId"]),
        ]
    finally:
        events.close()
    await point.close()


async def test_log_bounds_and_an_unknown_log_type(server: Runtime, operator_http: httpx.AsyncClient) -> None:
    """The log's time bounds are passed on; a log type OCPP does not know is refused before sending."""
    station = await ChargingStation.online(server, "CS-LOG")
    oldest, latest = timestamp(60), timestamp()
    args = {"remote_location": UPLOAD_TO, "oldest": oldest, "latest": latest, "request_id": 42}
    sent, _ = await command_answered(
        operator_http, station.raw, "CS-LOG", "get_log", args, "GetLog", {"status": "Accepted"}
    )
    assert sent["requestId"] == 42
    assert sent["log"] == {"remoteLocation": UPLOAD_TO, "oldestTimestamp": oldest, "latestTimestamp": latest}
    refused = await operator_http.post(
        "/api/v1/stations/CS-LOG/commands/get_log", json={"remote_location": UPLOAD_TO, "log_type": "Gossip"}
    )
    assert refused.status_code == 422
    await station.close()
