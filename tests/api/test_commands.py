"""Commands over HTTP: one endpoint per action for 1.6 and 2.0.1, 409 offline, 504 silent, queueing."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import httpx
import pytest

from opencsms.api.problems import SENT_NO_ANSWER, STATION_OFFLINE, UNKNOWN_STATION
from opencsms.cli.main import main
from opencsms.domain.model import RegistrationStatus
from opencsms.runtime import Runtime
from opencsms.simulate import SimulatedStation16, StationConfig
from opencsms.simulate.station201 import SimulatedStation201
from tests.e2e.wsclient import RawStation
from tests.simulate.csms import VALIDATOR, poll


@pytest.fixture
async def station16(server: Runtime) -> AsyncIterator[SimulatedStation16]:
    st = SimulatedStation16(
        StationConfig(
            "CP-16", server.ocpp_url, meter_interval=0.1, unplug_seconds=0.0, boot_retry_seconds=0.1
        ),
        validator=VALIDATOR,
    )
    await st.connect()
    assert await st.boot() == "Accepted"
    await st.announce_statuses()
    yield st
    await st.disconnect()


@pytest.fixture
async def station201(server: Runtime) -> AsyncIterator[SimulatedStation201]:
    st = SimulatedStation201(
        StationConfig(
            "CP-201", server.ocpp_url, meter_interval=0.1, unplug_seconds=0.0, boot_retry_seconds=0.1
        )
    )
    await st.connect()
    assert await st.boot() == "Accepted"
    await st.announce_statuses()
    yield st
    await st.disconnect()


async def reset(client: httpx.AsyncClient, station_id: str) -> httpx.Response:
    return await client.post(f"/api/v1/stations/{station_id}/commands/reset", json={"kind": "Soft"})


async def test_soft_reset_of_a_1_6_station(client: httpx.AsyncClient, station16: SimulatedStation16) -> None:
    """The reset endpoint sends a 1.6 Reset of the kind asked for and returns the station's answer."""
    answer = await reset(client, "CP-16")
    assert answer.status_code == 200 and answer.json() == {
        "action": "Reset",
        "status": "Accepted",
        "response": {"status": "Accepted"},
        "request": {"type": "Soft"},
    }


async def test_soft_reset_of_a_2_0_1_station_through_the_same_endpoint(
    client: httpx.AsyncClient, station201: SimulatedStation201
) -> None:
    """The same endpoint resets a 2.0.1 station."""
    answer = await reset(client, "CP-201")
    assert answer.status_code == 200 and answer.json()["action"] == "Reset"
    assert answer.json()["status"] == "Accepted"


async def test_typed_endpoints_reach_a_2_0_1_station(
    client: httpx.AsyncClient, station201: SimulatedStation201
) -> None:
    base = "/api/v1/stations/CP-201/commands"
    assert (await client.post(f"{base}/clear_cache")).json()["action"] == "ClearCache"
    unlock = await client.post(f"{base}/unlock_connector", json={"evse_id": 1, "connector_id": 1})
    assert unlock.json()["action"] == "UnlockConnector"
    trigger = await client.post(f"{base}/trigger_message", json={"message": "Heartbeat"})
    assert trigger.json() == {
        "action": "TriggerMessage",
        "status": "Accepted",
        "response": {"status": "Accepted"},
        "request": {"requestedMessage": "Heartbeat"},
    }
    variables = await client.post(f"{base}/get_configuration", json={"keys": ["HeartbeatInterval"]})
    assert variables.json()["action"] == "GetVariables"
    missing = await client.post(f"{base}/remote_stop", json={})
    assert missing.status_code == 422 and "transaction_id" in missing.json()["detail"]
    wrong = await client.post(f"{base}/reset", json={"kind": "Sideways"})
    assert wrong.status_code == 422


async def test_an_offline_station_is_a_409_and_a_silent_one_a_504(
    server: Runtime, client: httpx.AsyncClient
) -> None:
    await server.domain.stations.register("GONE", RegistrationStatus.ACCEPTED)
    offline = await client.post("/api/v1/stations/GONE/commands/clear_cache")
    assert offline.status_code == 409 and offline.json()["title"] == "Station offline"
    assert offline.json()["type"] == STATION_OFFLINE and "?queue=true" in offline.json()["detail"]
    silent = await RawStation.open(server.ocpp_url, "SILENT", ("ocpp1.6",))
    try:
        answer = await client.post("/api/v1/stations/SILENT/commands/clear_cache", params={"timeout": 0.2})
        assert answer.status_code == 504 and answer.headers["content-type"] == "application/problem+json"
        assert answer.json()["type"] == SENT_NO_ANSWER
    finally:
        await silent.close()


async def test_a_queued_command_waits_for_the_next_boot_and_its_outcome_is_kept(
    server: Runtime, client: httpx.AsyncClient
) -> None:
    await server.domain.stations.register("CP-Q", RegistrationStatus.ACCEPTED)  # expected, not seen yet
    queued = await client.post(
        "/api/v1/stations/CP-Q/commands/change_availability",
        params={"queue": True, "expires_in": 600},
        json={"operative": False, "connector_id": 1},
    )
    assert queued.status_code == 202
    body = queued.json()
    assert (
        body["status"] == "queued"
        and body["command"] == "change_availability"
        and body["created_by"] == "admin"
    )
    st = SimulatedStation16(
        StationConfig("CP-Q", server.ocpp_url, boot_retry_seconds=0.1), validator=VALIDATOR
    )
    await st.connect()
    try:
        assert await st.boot() == "Accepted"

        async def delivered() -> bool:
            state = (await client.get(f"/api/v1/queued-commands/{body['id']}")).json()
            return bool(state["status"] == "delivered")

        await poll(delivered, timeout=10)
        state = (await client.get(f"/api/v1/queued-commands/{body['id']}")).json()
        assert state["result"]["action"] == "ChangeAvailability" and state["result"]["status"] == "Accepted"
        await poll(lambda: st.connectors[1].status == "Unavailable")
        listed = (await client.get("/api/v1/queued-commands", params={"station_id": "CP-Q"})).json()
        assert listed["total"] == 1
        again = await client.delete(f"/api/v1/queued-commands/{body['id']}")
        assert again.status_code == 409
    finally:
        await st.disconnect()


async def test_a_queued_command_expires_or_can_be_cancelled(
    server: Runtime, client: httpx.AsyncClient
) -> None:
    await server.domain.stations.register("CP-X", RegistrationStatus.ACCEPTED)
    base = "/api/v1/stations/CP-X/commands/clear_cache"
    short = (await client.post(base, params={"queue": True, "expires_in": 1})).json()
    kept = (await client.post(base, params={"queue": True})).json()
    cancelled = await client.delete(f"/api/v1/queued-commands/{kept['id']}")
    assert cancelled.json()["status"] == "cancelled"
    await asyncio.sleep(1.1)
    assert (await client.get(f"/api/v1/queued-commands/{short['id']}")).json()["status"] == "expired"
    assert (await client.get("/api/v1/queued-commands", params={"status": "expired"})).json()["total"] == 1
    assert (await client.get("/api/v1/queued-commands/999")).status_code == 404
    assert (await client.delete("/api/v1/queued-commands/999")).status_code == 404
    assert server.command_queue is not None
    assert await server.command_queue.deliver("CP-X") == 0  # nothing left to send


async def test_a_station_never_seen_is_a_404_and_nothing_is_queued_until_it_is_registered(
    server: Runtime, client: httpx.AsyncClient
) -> None:
    base = "/api/v1/stations/CP-TYPO/commands/reset"
    for params in ({}, {"queue": True}):
        unknown = await client.post(base, params=params, json={"kind": "Hard"})
        assert unknown.status_code == 404 and unknown.json()["type"] == UNKNOWN_STATION
        assert "opencsms station add" in unknown.json()["detail"]
    assert (await client.get("/api/v1/queued-commands")).json()["total"] == 0
    # The operator says the station is expected: over HTTP, or with the CLI on the same database.
    created = await client.post("/api/v1/stations", json={"id": "CP-NEW"})
    assert created.status_code == 201 and created.json()["last_seen"] is None
    database = server.settings.database_url
    assert await asyncio.to_thread(main, ["station", "--database-url", database, "add", "CP-CLI"]) == 0
    assert await asyncio.to_thread(main, ["station", "--database-url", database, "add", "CP-CLI"]) == 1
    for station_id in ("CP-NEW", "CP-CLI"):
        url = f"/api/v1/stations/{station_id}/commands/reset"
        assert (await client.post(url, json={"kind": "Hard"})).status_code == 409
        queued = await client.post(url, params={"queue": True}, json={"kind": "Hard"})
        assert queued.status_code == 202 and queued.json()["status"] == "queued"
    assert (await client.get("/api/v1/queued-commands")).json()["total"] == 2


async def _booted_raw_station(server: Runtime, station_id: str) -> RawStation:
    station = await RawStation.open(server.ocpp_url, station_id)
    assert (await station.call("BootNotification", {"chargePointVendor": "V", "chargePointModel": "M"}))[
        0
    ] == 3
    return station


async def test_a_command_sent_to_a_station_that_then_disconnects_is_sent_no_answer_and_not_queued(
    server: Runtime, client: httpx.AsyncClient
) -> None:
    assert server.command_queue is not None
    station = await _booted_raw_station(server, "CP-DROP")
    sending = asyncio.ensure_future(
        client.post("/api/v1/stations/CP-DROP/commands/reset", params={"queue": True}, json={"kind": "Hard"})
    )
    _, request = await station.expect_call("Reset")
    assert request == {"type": "Hard"}
    await station.close()  # gone with the reset in hand, no answer
    answer = await sending
    assert answer.status_code == 504 and answer.json()["type"] == SENT_NO_ANSWER
    assert answer.json()["title"] == "Station disconnected before answering"
    assert "resend=true" in answer.json()["detail"]
    assert (await client.get("/api/v1/queued-commands")).json()["total"] == 0
    # Back after its reset: nothing is waiting for it, so it is not reset a second time.
    station = await _booted_raw_station(server, "CP-DROP")
    try:
        assert await server.command_queue.deliver("CP-DROP") == 0
        with pytest.raises(TimeoutError):
            await station.recv(timeout=0.3)
    finally:
        await station.close()


async def test_the_caller_may_ask_to_queue_a_command_that_got_no_answer(
    server: Runtime, client: httpx.AsyncClient
) -> None:
    station = await _booted_raw_station(server, "CP-AGAIN")
    sending = asyncio.ensure_future(
        client.post("/api/v1/stations/CP-AGAIN/commands/clear_cache", params={"queue": True, "resend": True})
    )
    await station.expect_call("ClearCache")
    await station.close()
    answer = await sending
    assert answer.status_code == 202 and answer.json()["status"] == "queued"


async def test_a_queued_command_in_flight_when_the_station_drops_is_unanswered_and_never_resent(
    server: Runtime, client: httpx.AsyncClient
) -> None:
    assert server.command_queue is not None
    await server.domain.stations.register("CP-QDROP", RegistrationStatus.ACCEPTED)
    queued = await client.post(
        "/api/v1/stations/CP-QDROP/commands/reset", params={"queue": True}, json={"kind": "Hard"}
    )
    assert queued.status_code == 202
    station = await _booted_raw_station(server, "CP-QDROP")
    await station.expect_call("Reset")
    await station.close()

    async def unanswered() -> bool:
        state = (await client.get(f"/api/v1/queued-commands/{queued.json()['id']}")).json()
        return bool(state["status"] == "unanswered")

    await poll(unanswered, timeout=10)
    listed = await client.get("/api/v1/queued-commands", params={"status": "unanswered"})
    assert listed.json()["total"] == 1 and "SentNoAnswer" in listed.json()["items"][0]["error"]
    station = await _booted_raw_station(server, "CP-QDROP")
    try:
        assert await server.command_queue.deliver("CP-QDROP") == 0
        with pytest.raises(TimeoutError):
            await station.recv(timeout=0.3)
    finally:
        await station.close()
