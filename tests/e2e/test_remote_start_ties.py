"""Remote starts tied to the transactions they make, end to end: a 2.x station that leaves the
idToken out of its TransactionEvents, and the TxProfile a remote start carries (1.6 and 2.x)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from opencsms.runtime import Runtime
from tests.e2e.scripted import BOOT_201, ChargePoint, ChargingStation, command_answered
from tests.e2e.wsclient import RawStation

pytestmark = pytest.mark.e2e

ACCEPTED = {"status": "Accepted"}
PROFILE = {
    "id": 42,
    "stackLevel": 0,
    "chargingProfilePurpose": "TxProfile",
    "chargingProfileKind": "Relative",
    "chargingSchedule": [
        {"id": 1, "chargingRateUnit": "A", "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 10}]}
    ],
}


async def held(http: httpx.AsyncClient, station_id: str) -> list[dict[str, Any]]:
    response = await http.get(f"/api/v1/stations/{station_id}/charging-profiles")
    assert response.status_code == 200, response.text
    profiles: list[dict[str, Any]] = response.json()["items"]
    return profiles


async def limit_now(http: httpx.AsyncClient, station_id: str, evse: int) -> float | None:
    response = await http.get(f"/api/v1/stations/{station_id}/evses/{evse}/composite-schedule?duration=60")
    assert response.status_code == 200, response.text
    limit: float | None = response.json()["periods"][0]["limit"]
    return limit


@pytest.mark.parametrize("version", ["2.0.1", "2.1"])
async def test_a_2x_remote_start_gives_its_transaction_the_token_and_the_profile_it_sent(
    server: Runtime, operator_http: httpx.AsyncClient, version: str
) -> None:
    """The station starts the transaction the remote start asked for (its remoteStartId), with
    no idToken in any event: the transaction has the token opencsms sent, and the TxProfile sent
    with the request is stored for it and limits opencsms's own composite schedule, until it ends."""
    await server.domain.tokens.add("RFID-RS", token_type="ISO14443")
    station_id = f"CS-RS-{version}"
    raw = await RawStation.open(server.ocpp_url, station_id, (f"ocpp{version}",))
    station = ChargingStation(raw, station_id)
    assert (await station.call("BootNotification", BOOT_201))["status"] == "Accepted"
    args = {"id_token": "RFID-RS", "evse_id": 2, "charging_profile": PROFILE}
    sent, result = await command_answered(
        operator_http,
        raw,
        station_id,
        "remote_start",
        args,
        "RequestStartTransaction",
        {"status": "Accepted"},
    )
    assert result["status"] == "Accepted" and sent["chargingProfile"]["id"] == 42
    assert await held(operator_http, station_id) == []  # no transaction yet
    remote_start_id = sent["remoteStartId"]
    started = await station.event(
        "Started", "RemoteStart", "tx-rs", evse=2, state="EVConnected", remote_start_id=remote_start_id
    )
    assert "idTokenInfo" not in started  # the station named no token
    await station.event("Updated", "ChargingStateChanged", "tx-rs", state="Charging")
    tx = await server.domain.transactions.find(station_id, "tx-rs")
    assert tx is not None and (tx.id_token, tx.token_type) == ("RFID-RS", "ISO14443")
    (profile,) = await held(operator_http, station_id)
    assert (profile["evse_id"], profile["profile"]["id"]) == (2, 42)
    assert profile["profile"]["transactionId"] == "tx-rs"
    assert await limit_now(operator_http, station_id, 2) == 10
    await station.event("Ended", "EVDeparted", "tx-rs", state="Idle", stopped="EVDisconnected")
    assert await limit_now(operator_http, station_id, 2) is None
    await station.close()


async def test_the_profile_of_a_16_remote_start_is_stored_for_its_transaction(
    server: Runtime, operator_http: httpx.AsyncClient
) -> None:
    await server.domain.tokens.add("TAG-RS16")
    point = await ChargePoint.online(server, "CP-RS16")
    args = {"id_token": "TAG-RS16", "charging_profile": PROFILE}  # any connector
    sent, result = await command_answered(
        operator_http,
        point.raw,
        "CP-RS16",
        "remote_start",
        args,
        "RemoteStartTransaction",
        {"status": "Accepted"},
    )
    assert result["status"] == "Accepted" and sent["chargingProfile"]["chargingProfileId"] == 42
    await point.status(2, "Preparing")
    transaction_id, status = await point.start(2, "TAG-RS16")
    assert status == "Accepted"
    (profile,) = await held(operator_http, "CP-RS16")
    assert (profile["evse_id"], profile["profile"]["transactionId"]) == (2, str(transaction_id))
    assert await limit_now(operator_http, "CP-RS16", 2) == 10
    assert await limit_now(operator_http, "CP-RS16", 1) is None
    await point.close()
