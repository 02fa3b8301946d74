"""OCPP 1.6 Reservation and Local Auth List Management profiles end to end: operator commands
over the API, a simulated charge point answering and acting on them, what the CSMS keeps."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest

from opencsms.runtime import Runtime
from opencsms.simulate import SimulatedStation16, StationConfig
from tests.e2e.scripted import ChargePoint, command_answered
from tests.e2e.scripted import connector_status as scripted_connector_status
from tests.simulate.csms import VALIDATOR

pytestmark = pytest.mark.e2e

TAG = "RES-TAG"


@pytest.fixture
async def station(server: Runtime) -> AsyncIterator[SimulatedStation16]:
    await server.domain.tokens.add(TAG)
    st = SimulatedStation16(
        StationConfig("CP-RES", server.ocpp_url, meter_interval=0.2, unplug_seconds=0.0),
        validator=VALIDATOR,
    )
    await st.connect()
    assert await st.boot() == "Accepted"
    await st.announce_statuses()
    yield st
    await st.disconnect()


async def command(operator_http: httpx.AsyncClient, name: str, **args: Any) -> dict[str, Any]:
    response = await operator_http.post(f"/api/v1/stations/CP-RES/commands/{name}", json=args)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def until(condition: Callable[[], Any], seconds: float = 10.0) -> None:
    for _ in range(int(seconds / 0.05)):
        result = condition()
        if asyncio.iscoroutine(result):
            result = await result
        if result:
            return
        await asyncio.sleep(0.05)
    raise AssertionError("condition not met in time")


async def connector_status(server: Runtime, connector_id: int) -> str | None:
    connectors = await server.domain.stations.connectors("CP-RES")
    return next((c.status for c in connectors if c.connector_id == connector_id), None)


async def reservation_status(operator_http: httpx.AsyncClient, reservation_id: int) -> str:
    return str((await operator_http.get(f"/api/v1/reservations/{reservation_id}")).json()["status"])


async def test_tc_046_csms_reservation_of_a_connector_transaction(
    server: Runtime, operator_http: httpx.AsyncClient
) -> None:
    """TC_046_CSMS: ReserveNow for connector 1 and the valid tag, Accepted; StatusNotification
    Reserved; then the driver charges (Authorize, Preparing, StartTransaction with the
    reservationId, Charging): all Accepted, the reservation is Used by that transaction."""
    await server.domain.tokens.add(TAG)
    point = await ChargePoint.online(server, "CP-046")
    try:
        sent, answer = await command_answered(
            operator_http,
            point.raw,
            "CP-046",
            "reserve_now",
            {"id_token": TAG, "connector_id": 1, "expires_in": 600},
            "ReserveNow",
            {"status": "Accepted"},
        )
        assert answer["status"] == "Accepted" and (sent["connectorId"], sent["idTag"]) == (1, TAG)
        reservation_id = sent["reservationId"]
        assert await reservation_status(operator_http, reservation_id) == "Accepted"
        await point.status(1, "Reserved")
        assert await scripted_connector_status(server, "CP-046", 1) == ("Reserved", "NoError")
        # Reusable state Charging, with the reservation's id.
        assert await point.authorize(TAG) == "Accepted"
        await point.status(1, "Preparing")
        transaction_id, status = await point.start(1, TAG, reservationId=reservation_id)
        assert status == "Accepted"
        await point.status(1, "Charging")
        assert await reservation_status(operator_http, reservation_id) == "Used"
        reservation = (await operator_http.get(f"/api/v1/reservations/{reservation_id}")).json()
        assert reservation["transaction_id"] == transaction_id
        transaction = await server.domain.transactions.get(transaction_id)
        assert transaction is not None and transaction.reservation_id == reservation_id
        assert (transaction.station_id, transaction.connector_id, transaction.id_token) == ("CP-046", 1, TAG)
    finally:
        await point.close()


async def test_tc_047_csms_reservation_of_a_connector_expire(
    server: Runtime, station: SimulatedStation16, operator_http: httpx.AsyncClient
) -> None:
    """TC_047_CSMS: at its expiry date the reservation ends: Available again, Expired at the CSMS."""
    answer = await command(operator_http, "reserve_now", id_token=TAG, connector_id=2, expires_in=1)
    assert answer["status"] == "Accepted"
    await until(lambda: _is(connector_status(server, 2), "Reserved"))
    await until(lambda: _is(connector_status(server, 2), "Available"))
    assert await reservation_status(operator_http, answer["request"]["reservationId"]) == "Expired"


async def test_tc_048_1_048_2_048_3_048_4_csms_reservation_refused(
    server: Runtime, station: SimulatedStation16, operator_http: httpx.AsyncClient
) -> None:
    """TC_048_1_CSMS (connector Faulted), TC_048_2_CSMS (cable plugged in: Preparing), TC_048_3_CSMS
    (ChangeAvailability Inoperative, Unavailable) and TC_048_4_CSMS (Rejected): ReserveNow for the
    connector and the valid tag is answered Faulted, Occupied, Unavailable and Rejected, each
    kept as the reservation's status.

    TC_048_1_CSMS: the connector is Faulted: ReserveNow answered Faulted.
    TC_048_2_CSMS: the cable is plugged in (Preparing): ReserveNow answered Occupied.
    TC_048_3_CSMS: ChangeAvailability Inoperative, Unavailable: ReserveNow answered Unavailable.
    TC_048_4_CSMS: ReserveNow answered Rejected.
    """
    await station.send_status(1, "Faulted", "GroundFailure")
    faulted = await command(operator_http, "reserve_now", id_token=TAG, connector_id=1)
    assert faulted["status"] == "Faulted"
    assert await reservation_status(operator_http, faulted["request"]["reservationId"]) == "Faulted"
    await station.send_status(1, "Available")

    await station.send_status(1, "Preparing")  # TC_048_2: the driver plugs in the cable
    assert await connector_status(server, 1) == "Preparing"
    occupied = await command(operator_http, "reserve_now", id_token=TAG, connector_id=1)
    assert occupied["status"] == "Occupied" and occupied["request"]["connectorId"] == 1

    assert (await command(operator_http, "change_availability", operative=False, connector_id=2))[
        "status"
    ] == "Accepted"
    await until(lambda: _is(connector_status(server, 2), "Unavailable"))
    unavailable = await command(operator_http, "reserve_now", id_token=TAG, connector_id=2)
    assert unavailable["status"] == "Unavailable"

    rejected = await command(operator_http, "reserve_now", id_token=TAG, connector_id=7)  # no such connector
    assert rejected["status"] == "Rejected"
    statuses = {
        r["id"]: r["status"]
        for r in (await operator_http.get("/api/v1/reservations?station_id=CP-RES")).json()["items"]
    }
    assert statuses == {
        faulted["request"]["reservationId"]: "Faulted",
        occupied["request"]["reservationId"]: "Occupied",
        unavailable["request"]["reservationId"]: "Unavailable",
        rejected["request"]["reservationId"]: "Rejected",
    }


async def test_tc_049_csms_reservation_of_a_charge_point_transaction(
    server: Runtime, operator_http: httpx.AsyncClient
) -> None:
    """TC_049_CSMS: ReserveNow with connectorId 0 (any connector) and the valid tag, Accepted; the
    charge point reports Reserved; the driver charges on connector 2 (Authorize, Preparing,
    StartTransaction with the reservationId, Charging): all Accepted, the reservation is Used."""
    await server.domain.tokens.add(TAG)
    point = await ChargePoint.online(server, "CP-049")
    try:
        sent, answer = await command_answered(
            operator_http,
            point.raw,
            "CP-049",
            "reserve_now",
            {"id_token": TAG, "connector_id": 0, "expires_in": 600},
            "ReserveNow",
            {"status": "Accepted"},
        )
        assert answer["status"] == "Accepted" and (sent["connectorId"], sent["idTag"]) == (0, TAG)
        reservation_id = sent["reservationId"]
        await point.status(2, "Reserved")
        assert await point.authorize(TAG) == "Accepted"
        await point.status(2, "Preparing")
        transaction_id, status = await point.start(2, TAG, reservationId=reservation_id)
        assert status == "Accepted"
        await point.status(2, "Charging")
        assert await reservation_status(operator_http, reservation_id) == "Used"
        transaction = await server.domain.transactions.get(transaction_id)
        assert transaction is not None and transaction.reservation_id == reservation_id
        assert transaction.connector_id == 2
    finally:
        await point.close()


async def test_tc_051_052_csms_cancel_reservation(
    server: Runtime, station: SimulatedStation16, operator_http: httpx.AsyncClient
) -> None:
    """TC_051_CSMS: CancelReservation Accepted, the connector is Available again; TC_052_CSMS: a
    reservation the charge point does not hold is Rejected."""
    answer = await command(operator_http, "reserve_now", id_token=TAG, connector_id=1)
    reservation_id = answer["request"]["reservationId"]
    await until(lambda: _is(connector_status(server, 1), "Reserved"))
    cancelled = await command(operator_http, "cancel_reservation", reservation_id=reservation_id)
    assert cancelled["status"] == "Accepted" and cancelled["request"] == {"reservationId": reservation_id}
    assert await reservation_status(operator_http, reservation_id) == "Cancelled"
    await until(lambda: _is(connector_status(server, 1), "Available"))
    again = await command(operator_http, "cancel_reservation", reservation_id=reservation_id)
    assert again["status"] == "Rejected"
    assert await reservation_status(operator_http, reservation_id) == "Cancelled"


async def test_tc_042_1_043_1_csms_local_list_not_supported(
    server: Runtime, station: SimulatedStation16, operator_http: httpx.AsyncClient
) -> None:
    """TC_042_1_CSMS / TC_043_1_CSMS: a charge point without local lists answers version -1 and
    NotSupported; the CSMS records no version.

    TC_042_1_CSMS: GetLocalListVersion answered -1 (no local list); no version recorded.
    TC_043_1_CSMS: SendLocalList answered NotSupported; no version recorded.
    """
    changed = await command(operator_http, "set_configuration", key="LocalAuthListEnabled", value="false")
    assert changed["status"] == "Accepted"
    assert (await command(operator_http, "get_local_list_version"))["response"] == {"listVersion": -1}
    assert (await command(operator_http, "send_local_list"))["status"] == "NotSupported"
    assert (await operator_http.get("/api/v1/stations/CP-RES/local-list")).json()["version"] is None


async def test_tc_042_2_043_4_043_5_csms_local_list_full_and_differential(
    server: Runtime, station: SimulatedStation16, operator_http: httpx.AsyncClient
) -> None:
    """TC_042_2_CSMS: an empty list has version 0. TC_043_4_CSMS: a Full list of the tokens the
    CSMS knows. TC_043_5_CSMS: a Differential update changes one token and removes another."""
    assert (await command(operator_http, "get_local_list_version"))["response"] == {"listVersion": 0}
    await server.domain.tokens.add("LOCAL-A")
    await server.domain.tokens.add("LOCAL-B")
    full = await command(operator_http, "send_local_list")
    assert full["status"] == "Accepted" and full["request"]["listVersion"] == 1
    assert set(station.local_list) == {TAG, "LOCAL-A", "LOCAL-B"}
    assert station.local_list["LOCAL-A"]["status"] == "Accepted" and station.local_list_version == 1
    assert (await operator_http.get("/api/v1/stations/CP-RES/local-list")).json()["version"] == 1

    await server.domain.tokens.block("LOCAL-A")
    update = await command(
        operator_http, "send_local_list", update_type="Differential", id_tokens=["LOCAL-A", "GONE"]
    )
    assert update["status"] == "Accepted" and update["request"]["listVersion"] == 2
    assert update["request"]["localAuthorizationList"] == [
        {"idTag": "LOCAL-A", "idTagInfo": {"status": "Blocked"}},
        {"idTag": "GONE"},
    ]
    assert station.local_list["LOCAL-A"]["status"] == "Blocked"
    assert "LOCAL-B" in station.local_list and "GONE" not in station.local_list
    assert (await command(operator_http, "get_local_list_version"))["response"] == {"listVersion": 2}


async def test_tc_043_3_csms_send_local_list_failed(
    server: Runtime, station: SimulatedStation16, operator_http: httpx.AsyncClient
) -> None:
    """TC_043_3_CSMS: a list longer than the charge point holds fails; its version stays."""
    for n in range(100):
        await server.domain.tokens.add(f"MANY-{n:03d}")
    answer = await command(operator_http, "send_local_list", version=7)
    assert answer["status"] == "Failed"
    assert station.local_list_version == 0
    assert (await operator_http.get("/api/v1/stations/CP-RES/local-list")).json()["version"] is None


async def _is(value: Any, expected: str) -> bool:
    return bool(await value == expected)
