"""A ReserveNow that got no CALLRESULT never passes for an accepted reservation: refused with a
CALLERROR (or not sent) it is Failed, sent without an answer it is Unanswered, and neither turns
Expired later as an accepted reservation does."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

from opencsms.runtime import Runtime
from tests.e2e.wsclient import RawStation

pytestmark = pytest.mark.e2e

BOOTS = {
    "ocpp1.6": {"chargePointVendor": "Acme", "chargePointModel": "AC22"},
    "ocpp2.0.1": {"chargingStation": {"vendorName": "Acme", "model": "AC22"}, "reason": "PowerUp"},
}
RESERVATION_ID = {"ocpp1.6": "reservationId", "ocpp2.0.1": "id"}


async def _station(server: Runtime, station_id: str, version: str) -> RawStation:
    station = await RawStation.open(server.ocpp_url, station_id, (version,))
    assert (await station.call("BootNotification", BOOTS[version]))[0] == 3
    return station


def _reserve(http: httpx.AsyncClient, station_id: str, **params: Any) -> asyncio.Future[httpx.Response]:
    return asyncio.ensure_future(
        http.post(
            f"/api/v1/stations/{station_id}/commands/reserve_now",
            params=params,
            json={"id_token": "TAG-R", "expires_in": 1},
        )
    )


async def _status(http: httpx.AsyncClient, reservation_id: int) -> str:
    return str((await http.get(f"/api/v1/reservations/{reservation_id}")).json()["status"])


@pytest.mark.parametrize("version", ["ocpp1.6", "ocpp2.0.1"])
async def test_a_reservation_refused_with_a_callerror_is_failed_not_expired(
    server: Runtime, operator_http: httpx.AsyncClient, version: str
) -> None:
    station = await _station(server, "CP-RES-ERR", version)
    try:
        sending = _reserve(operator_http, "CP-RES-ERR")
        message_id, request = await station.expect_call("ReserveNow")
        await station.send_raw(f'[4, "{message_id}", "InternalError", "no reservations today", {{}}]')
        assert (await sending).status_code == 502
    finally:
        await station.close()
    reservation_id = request[RESERVATION_ID[version]]
    assert await _status(operator_http, reservation_id) == "Failed"
    await asyncio.sleep(1.1)  # past its expiry: an accepted one would now read Expired
    assert await _status(operator_http, reservation_id) == "Failed"


async def test_a_reservation_sent_without_an_answer_is_unanswered_whether_silent_or_gone(
    server: Runtime, operator_http: httpx.AsyncClient
) -> None:
    station = await _station(server, "CP-RES-MUTE", "ocpp1.6")
    try:
        sending = _reserve(operator_http, "CP-RES-MUTE", timeout=0.3)
        _, silent = await station.expect_call("ReserveNow")
        assert (await sending).status_code == 504
        sending = _reserve(operator_http, "CP-RES-MUTE")
        _, dropped = await station.expect_call("ReserveNow")
    finally:
        await station.close()
    assert (await sending).status_code == 504
    for request in (silent, dropped):
        assert await _status(operator_http, request["reservationId"]) == "Unanswered"
    await asyncio.sleep(1.1)
    listed = (await operator_http.get("/api/v1/reservations", params={"station_id": "CP-RES-MUTE"})).json()
    assert [r["status"] for r in listed["items"]] == ["Unanswered", "Unanswered"]
