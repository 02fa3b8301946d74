"""OCPP 2.0.1 blocks H (reservations) and D (local authorization list) from the CSMS side: the
operator's command, the call the CSMS sends, the station's answer and messages, what is kept."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest

from opencsms.runtime import Runtime
from opencsms.simulate import StationConfig
from opencsms.simulate.station201 import SimulatedStation201
from tests.e2e.scripted import ChargingStation, command_answered, evse_status
from tests.simulate.csms import VALIDATORS

pytestmark = pytest.mark.e2e


ACTIONS = {
    "reserve_now": "ReserveNow",
    "cancel_reservation": "CancelReservation",
    "send_local_list": "SendLocalList",
    "get_local_list_version": "GetLocalListVersion",
}


async def command(
    http: httpx.AsyncClient, station: ChargingStation, name: str, args: dict[str, Any], answer: str
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The operator's ``name`` command, answered by the station with status ``answer`` (the
    version number for get_local_list_version)."""
    reply = {"versionNumber": int(answer)} if name == "get_local_list_version" else {"status": answer}
    return await command_answered(http, station.raw, station.station_id, name, args, ACTIONS[name], reply)


async def status_of(http: httpx.AsyncClient, reservation_id: int) -> str:
    return str((await http.get(f"/api/v1/reservations/{reservation_id}")).json()["status"])


async def test_a_reservation_is_answered_used_by_a_transaction_and_ended_by_the_station(
    server: Runtime, operator_http: httpx.AsyncClient
) -> None:
    """H01: ReserveNow with the token's type and the EVSE; H01.FR.21: a TransactionEvent naming the
    reservation uses it up; H03/H04: ReservationStatusUpdate ends another one."""
    await server.domain.tokens.add("RFID-H", token_type="ISO14443")
    station = await ChargingStation.online(server, "CS-H01")
    sent, result = await command(
        operator_http,
        station,
        "reserve_now",
        {"id_token": "RFID-H", "evse_id": 1},
        "Accepted",
    )
    reservation_id = sent["id"]
    assert sent["idToken"] == {"idToken": "RFID-H", "type": "ISO14443"} and sent["evseId"] == 1
    assert sent["expiryDateTime"].endswith("Z") and result["status"] == "Accepted"
    assert await status_of(operator_http, reservation_id) == "Accepted"
    await station.event(
        "Started", "Authorized", "tx-h01", token="RFID-H", evse=1, reservationId=reservation_id
    )
    reservation = (await operator_http.get(f"/api/v1/reservations/{reservation_id}")).json()
    transaction = await server.domain.transactions.find("CS-H01", "tx-h01")
    assert transaction is not None
    assert reservation["status"] == "Used" and reservation["transaction_id"] == transaction.id

    sent, _ = await command(operator_http, station, "reserve_now", {"id_token": "RFID-H"}, "Accepted")
    assert "evseId" not in sent  # any EVSE
    update = {"reservationId": sent["id"], "reservationUpdateStatus": "Expired"}
    assert await station.call("ReservationStatusUpdate", update) == {}
    assert await status_of(operator_http, sent["id"]) == "Expired"
    # Another station cannot end this station's reservation.
    other = await ChargingStation.online(server, "CS-H01-OTHER")
    sent, _ = await command(
        operator_http,
        station,
        "reserve_now",
        {"id_token": "RFID-H", "evse_id": 2},
        "Accepted",
    )
    await other.call(
        "ReservationStatusUpdate", {"reservationId": sent["id"], "reservationUpdateStatus": "Removed"}
    )
    assert await status_of(operator_http, sent["id"]) == "Accepted"
    await other.close()
    await station.close()


async def test_a_refused_or_cancelled_reservation_keeps_its_status(
    server: Runtime, operator_http: httpx.AsyncClient
) -> None:
    station = await ChargingStation.online(server, "CS-H02")
    sent, result = await command(
        operator_http,
        station,
        "reserve_now",
        {"id_token": "ANY", "evse_id": 1},
        "Occupied",
    )
    assert result["status"] == "Occupied" and await status_of(operator_http, sent["id"]) == "Occupied"
    sent, _ = await command(
        operator_http,
        station,
        "reserve_now",
        {"id_token": "ANY", "evse_id": 2},
        "Accepted",
    )
    cancel, result = await command(
        operator_http,
        station,
        "cancel_reservation",
        {"reservation_id": sent["id"]},
        "Accepted",
    )
    assert cancel == {"reservationId": sent["id"]} and result["status"] == "Accepted"
    assert await status_of(operator_http, sent["id"]) == "Cancelled"
    await station.close()


async def test_local_list_full_differential_and_version(
    server: Runtime, operator_http: httpx.AsyncClient
) -> None:
    """D01: a Full list of the known tokens with their types and info, then a Differential update
    (an unknown token is removed: no idTokenInfo); D02: the version the station reports is kept."""
    await server.domain.tokens.add("LOCAL-1", token_type="ISO14443")
    await server.domain.tokens.add("LOCAL-2", token_type="eMAID")
    station = await ChargingStation.online(server, "CS-D01")
    sent, result = await command(operator_http, station, "send_local_list", {}, "Accepted")
    assert sent["versionNumber"] == 1 and sent["updateType"] == "Full" and result["status"] == "Accepted"
    assert sent["localAuthorizationList"] == [
        {"idToken": {"idToken": "LOCAL-1", "type": "ISO14443"}, "idTokenInfo": {"status": "Accepted"}},
        {"idToken": {"idToken": "LOCAL-2", "type": "eMAID"}, "idTokenInfo": {"status": "Accepted"}},
    ]
    assert (await operator_http.get("/api/v1/stations/CS-D01/local-list")).json()["version"] == 1
    await server.domain.tokens.block("LOCAL-2")
    sent, _ = await command(
        operator_http,
        station,
        "send_local_list",
        {"update_type": "Differential", "id_tokens": ["LOCAL-2", "UNKNOWN"]},
        "VersionMismatch",
    )
    assert sent["versionNumber"] == 2 and sent["localAuthorizationList"] == [
        {"idToken": {"idToken": "LOCAL-2", "type": "eMAID"}, "idTokenInfo": {"status": "Blocked"}},
        {"idToken": {"idToken": "UNKNOWN", "type": "Central"}},
    ]
    # Not accepted: the version the station holds is still 1.
    assert (await operator_http.get("/api/v1/stations/CS-D01/local-list")).json()["version"] == 1
    sent, result = await command(operator_http, station, "get_local_list_version", {}, "5")
    assert sent == {} and result["response"] == {"versionNumber": 5}
    assert (await operator_http.get("/api/v1/stations/CS-D01/local-list")).json()["version"] == 5
    await station.close()


async def test_the_simulated_station_honours_reservations_and_keeps_its_local_list(
    server: Runtime, operator_http: httpx.AsyncClient
) -> None:
    """The 2.0.1 simulator: a reserved EVSE shows Reserved, the reserving token's remote start uses
    it (reservationId in Started), an expired reservation is reported, a local list is kept."""
    await server.domain.tokens.add("SIM-RES", token_type="ISO14443")
    station = SimulatedStation201(
        StationConfig("CS-SIM-H", server.ocpp_url, meter_interval=0.2), validator=VALIDATORS["2.0.1"]
    )
    await station.connect()
    assert await station.boot() == "Accepted"
    await station.resume()
    try:

        async def post(name: str, **args: Any) -> dict[str, Any]:
            response = await operator_http.post(f"/api/v1/stations/CS-SIM-H/commands/{name}", json=args)
            assert response.status_code == 200, response.text
            body: dict[str, Any] = response.json()
            return body

        reserved = await post("reserve_now", id_token="SIM-RES", evse_id=1)
        assert reserved["status"] == "Accepted"
        await until(lambda: evse_status(server, "CS-SIM-H", 1), "Reserved")
        assert (await post("remote_start", id_token="SIM-RES", evse_id=1))["status"] == "Accepted"
        reservation_id = reserved["request"]["id"]
        await until(lambda: status_of(operator_http, reservation_id), "Used")

        short = await post("reserve_now", id_token="SIM-RES", evse_id=2, expires_in=1)
        assert short["status"] == "Accepted"
        await until(lambda: status_of(operator_http, short["request"]["id"]), "Expired")
        await until(lambda: evse_status(server, "CS-SIM-H", 2), "Available")

        assert (await post("send_local_list"))["status"] == "Accepted"
        assert station.local_list["SIM-RES"] == {"status": "Accepted"} and station.local_list_version == 1
        assert (await post("get_local_list_version"))["response"] == {"versionNumber": 1}
    finally:
        await station.disconnect()


async def until(read: Callable[[], Awaitable[Any]], expected: Any, seconds: float = 10.0) -> None:
    value = None
    for _ in range(int(seconds / 0.05)):
        value = await read()
        if value == expected:
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"still {value!r}, not {expected!r}")
