"""Operator commands through one node reach a station connected to the other, over NATS."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from websockets.exceptions import ConnectionClosed

from opencsms.api.problems import SENT_NO_ANSWER, STATION_OFFLINE, UNKNOWN_STATION
from opencsms.bus.nats_routing import NatsStationRouter
from opencsms.domain.model import RegistrationStatus
from opencsms.runtime import Runtime
from opencsms.simulate import SimulatedStation201, StationConfig
from tests.cluster.conftest import Nodes
from tests.conftest import auth
from tests.e2e.wsclient import RawStation
from tests.simulate.csms import VALIDATORS, poll

pytestmark = [pytest.mark.nats, pytest.mark.postgres, pytest.mark.e2e]

STATION = "CS-REMOTE"
BOOT16 = {"chargePointVendor": "Acme", "chargePointModel": "AC22"}


def router(node: Runtime) -> NatsStationRouter:
    assert node.cluster is not None and node.cluster.router is not None
    return node.cluster.router


async def start_station(node: Runtime) -> SimulatedStation201:
    station = SimulatedStation201(
        StationConfig(STATION, node.ocpp_url, evses=1, connectors_per_evse=1, meter_interval=0.2),
        validator=VALIDATORS["2.0.1"],
    )
    await station.connect()
    assert await station.boot() == "Accepted"
    await station.announce_statuses()
    return station


@pytest.fixture
async def station_on_b(nodes: Nodes) -> AsyncIterator[SimulatedStation201]:
    await nodes.a.domain.tokens.add("TAG-REMOTE")
    station = await start_station(nodes.b)
    yield station
    await station.disconnect()


async def command(node: Runtime, key: str, name: str, **args: Any) -> httpx.Response:
    async with httpx.AsyncClient(base_url=node.http_url, headers=auth(key), timeout=60) as client:
        return await client.post(f"/api/v1/stations/{STATION}/commands/{name}", json=args)


async def test_a_command_through_node_a_reaches_the_station_on_node_b_and_brings_its_answer(
    nodes: Nodes, station_on_b: SimulatedStation201
) -> None:
    assert STATION in nodes.b.sessions.sessions and STATION not in nodes.a.sessions.sessions
    async with httpx.AsyncClient(
        base_url=nodes.a.http_url, headers=auth(nodes.admin_key), timeout=60
    ) as client:
        assert (await client.get(f"/api/v1/stations/{STATION}")).json()["connected"] is True
        listed = (await client.get("/api/v1/stations", params={"connected": "true"})).json()["items"]
        assert [s["id"] for s in listed] == [STATION]
        assert (await client.delete(f"/api/v1/stations/{STATION}")).status_code == 409
    response = await command(nodes.a, nodes.admin_key, "remote_start", id_token="TAG-REMOTE", evse_id=1)
    assert response.status_code == 200, response.text
    assert response.json()["action"] == "RequestStartTransaction"
    assert response.json()["status"] == "Accepted"
    assert response.json()["request"]["idToken"] == {"idToken": "TAG-REMOTE", "type": "Central"}
    assert router(nodes.a).sent == 1 and router(nodes.b).served == 1

    async def started() -> bool:
        return bool(await nodes.a.domain.transactions.list(station_id=STATION, active=True))

    await poll(started)  # the station's TransactionEvent went to node B; the store is shared
    (transaction,) = await nodes.a.domain.transactions.list(station_id=STATION, active=True)
    response = await command(nodes.a, nodes.admin_key, "remote_stop", transaction_id=transaction.id)
    assert response.status_code == 200, response.text
    assert response.json()["action"] == "RequestStopTransaction"
    assert response.json()["status"] == "Accepted"
    assert response.json()["request"] == {"transactionId": transaction.transaction_ref}

    async def stopped() -> bool:
        return not await nodes.a.domain.transactions.list(station_id=STATION, active=True)

    await poll(stopped)
    assert router(nodes.a).sent == 2 and router(nodes.b).served == 2


async def test_a_station_connected_nowhere_is_offline_through_either_node(nodes: Nodes) -> None:
    for node in (nodes.a, nodes.b):
        response = await command(node, nodes.admin_key, "reset")
        assert response.status_code == 404 and response.json()["type"] == UNKNOWN_STATION, response.text
    await nodes.a.domain.stations.register(STATION, RegistrationStatus.ACCEPTED)
    for node in (nodes.a, nodes.b):
        response = await command(node, nodes.admin_key, "reset")
        assert response.status_code == 409 and response.json()["type"] == STATION_OFFLINE, response.text
        assert f"station {STATION} is not connected" in response.json()["detail"]


async def test_a_station_on_node_b_dropping_a_command_from_node_a_is_sent_no_answer(nodes: Nodes) -> None:
    station = await RawStation.open(nodes.b.ocpp_url, STATION, ("ocpp1.6",))
    await station.call("BootNotification", BOOT16)
    async with httpx.AsyncClient(
        base_url=nodes.a.http_url, headers=auth(nodes.admin_key), timeout=60
    ) as client:
        sending = asyncio.ensure_future(
            client.post(
                f"/api/v1/stations/{STATION}/commands/reset", params={"queue": True}, json={"kind": "Hard"}
            )
        )
        _, request = await station.expect_call("Reset", timeout=30)
        assert request == {"type": "Hard"}
        await station.close()
        response = await sending
        assert response.status_code == 504 and response.json()["type"] == SENT_NO_ANSWER, response.text
        assert router(nodes.a).sent == 1 and router(nodes.b).served == 1
        assert (await client.get("/api/v1/queued-commands")).json()["total"] == 0


async def test_a_station_that_does_not_answer_times_out_through_the_other_node(nodes: Nodes) -> None:
    mute = await RawStation.open(nodes.b.ocpp_url, STATION, ("ocpp1.6",))
    try:
        await mute.call("BootNotification", BOOT16)
        async with httpx.AsyncClient(
            base_url=nodes.a.http_url, headers=auth(nodes.admin_key), timeout=60
        ) as client:
            response = await client.post(f"/api/v1/stations/{STATION}/commands/reset", params={"timeout": 1})
        assert response.status_code == 504, response.text
        assert "did not answer" in response.json()["detail"]
    finally:
        await mute.close()


async def test_a_callerror_from_the_station_on_node_b_is_a_502_through_node_a(nodes: Nodes) -> None:
    station = await RawStation.open(nodes.b.ocpp_url, STATION, ("ocpp1.6",))
    try:
        await station.call("BootNotification", BOOT16)
        sending = asyncio.ensure_future(command(nodes.a, nodes.admin_key, "clear_cache"))
        message_id, _ = await station.expect_call("ClearCache", timeout=30)
        await station.send_raw(f'[4, "{message_id}", "NotSupported", "no cache here", {{}}]')
        response = await sending
    finally:
        await station.close()
    assert response.status_code == 502, response.text
    assert response.json()["detail"] == "NotSupported: no cache here"


async def test_a_station_moving_to_node_a_gets_its_commands_there(
    nodes: Nodes, station_on_b: SimulatedStation201
) -> None:
    await station_on_b.disconnect()

    async def released() -> bool:
        return STATION not in nodes.b.sessions.sessions

    await poll(released)
    station = await start_station(nodes.a)
    try:
        sent_before = router(nodes.a).sent
        # (not a reset: the simulated station reboots after one)
        response = await command(nodes.a, nodes.admin_key, "trigger_message", message="Heartbeat")
        assert response.status_code == 200 and response.json()["status"] == "Accepted"
        assert router(nodes.a).sent == sent_before  # local now
        response = await command(nodes.b, nodes.admin_key, "trigger_message", message="Heartbeat")
        assert response.status_code == 200 and response.json()["status"] == "Accepted"
        assert router(nodes.a).served == 1  # node B routed it to A
    finally:
        await station.disconnect()


async def test_a_second_live_connection_on_another_node_is_refused(nodes: Nodes) -> None:
    live = await RawStation.open(nodes.b.ocpp_url, STATION, ("ocpp1.6",))
    try:
        assert (await live.call("BootNotification", BOOT16))[0] == 3
        intruder = await RawStation.open(nodes.a.ocpp_url, STATION, ("ocpp1.6",))
        with pytest.raises(ConnectionClosed) as closed:
            await intruder.call("Heartbeat", {}, timeout=30)
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 1008
        assert STATION in nodes.b.sessions.sessions and STATION not in nodes.a.sessions.sessions
        assert (await live.call("Heartbeat", {}))[0] == 3
    finally:
        await live.close()


async def test_a_dead_connection_on_another_node_is_replaced_by_a_reconnect(nodes: Nodes) -> None:
    ghost = await RawStation.open(nodes.b.ocpp_url, STATION, ("ocpp1.6",))
    assert (await ghost.call("BootNotification", BOOT16))[0] == 3
    ghost.ws.transport.pause_reading()  # half-open: it no longer answers pings
    back = await RawStation.open(nodes.a.ocpp_url, STATION, ("ocpp1.6",))
    try:
        assert (await back.call("BootNotification", BOOT16, timeout=30))[0] == 3
        assert STATION in nodes.a.sessions.sessions and STATION not in nodes.b.sessions.sessions
        station = await nodes.a.domain.stations.get(STATION)
        assert station is not None and station.connected
    finally:
        await back.close()
        ghost.ws.transport.abort()
    await asyncio.sleep(0)


async def test_a_site_set_up_on_node_a_is_managed_by_node_b_which_holds_its_station(
    nodes: Nodes, station_on_b: SimulatedStation201
) -> None:
    from opencsms.domain.load_management import NodeLimit
    from opencsms.domain.sites import Site, StationAssignment

    manager_a, manager_b = nodes.a.load_manager, nodes.b.load_manager
    assert manager_a is not None and manager_b is not None
    await nodes.a.domain.sites.put_site(Site("depot", NodeLimit(amps=16.0)))
    await nodes.a.domain.sites.assign(StationAssignment(STATION, "depot", max_current_a=32.0, phases=1))

    async def b_knows_the_site() -> bool:
        return STATION in manager_b.layout.assignments

    await poll(b_knows_the_site)
    response = await command(nodes.a, nodes.admin_key, "remote_start", id_token="TAG-REMOTE", evse_id=1)
    assert response.status_code == 200 and response.json()["status"] == "Accepted"

    async def b_sent_the_limit() -> bool:
        return manager_b.stats.profiles_sent >= 1

    await poll(b_sent_the_limit)
    assert manager_a.stats.profiles_sent == 0 and manager_a.stats.send_failures == 0
    assert STATION in manager_a.layout.assignments  # it follows the site all the same


async def test_one_station_connecting_to_both_nodes_at_once_ends_up_on_one(nodes: Nodes) -> None:
    async def connect_and_boot(node: Runtime) -> RawStation | None:
        station = await RawStation.open(node.ocpp_url, STATION, ("ocpp1.6",))
        try:
            await station.call("BootNotification", BOOT16, timeout=30)
        except ConnectionClosed:
            return None
        return station

    for _ in range(3):  # the race is the point: run it a few times
        opened = await asyncio.gather(connect_and_boot(nodes.a), connect_and_boot(nodes.b))
        try:
            held = [STATION in node.sessions.sessions for node in (nodes.a, nodes.b)]
            assert held.count(True) == 1, held
            assert [station is not None for station in opened] == held
        finally:
            for station in opened:
                if station is not None:
                    await station.close()

        async def gone() -> bool:
            return all(STATION not in node.sessions.sessions for node in (nodes.a, nodes.b))

        await poll(gone)


async def test_a_command_queued_through_node_a_is_delivered_when_the_station_boots_on_node_b(
    nodes: Nodes,
) -> None:
    await nodes.a.domain.stations.register(STATION, RegistrationStatus.ACCEPTED)  # expected
    async with httpx.AsyncClient(
        base_url=nodes.a.http_url, headers=auth(nodes.admin_key), timeout=60
    ) as client:
        queued = await client.post(
            f"/api/v1/stations/{STATION}/commands/trigger_message",
            params={"queue": "true"},
            json={"message": "Heartbeat"},
        )
        assert queued.status_code == 202, queued.text
        tried = router(nodes.a).sent  # the attempt that found the station offline
        station = await start_station(nodes.b)
        try:

            async def delivered() -> bool:
                response = await client.get(f"/api/v1/queued-commands/{queued.json()['id']}")
                return bool(response.json()["status"] == "delivered")

            await poll(delivered)
            result = (await client.get(f"/api/v1/queued-commands/{queued.json()['id']}")).json()["result"]
            assert result["action"] == "TriggerMessage" and result["status"] == "Accepted"
            await asyncio.sleep(1.5)  # node A's queue would have acted on B's events by now
            assert router(nodes.a).sent == tried  # node B delivered it, once
        finally:
            await station.disconnect()
