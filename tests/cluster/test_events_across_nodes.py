"""Events of a station on one node show on the other node's event stream; /ready sees NATS."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from opencsms.bus.nats_bus import NatsBus
from tests.api.receivers import sse_events, webhook_receiver
from tests.cluster.conftest import Nodes
from tests.conftest import auth
from tests.e2e.wsclient import RawStation
from tests.simulate.csms import poll

pytestmark = [pytest.mark.nats, pytest.mark.postgres, pytest.mark.e2e]

BOOT16 = {"chargePointVendor": "Acme", "chargePointModel": "AC22"}


async def test_both_nodes_are_ready_on_the_shared_bus(nodes: Nodes) -> None:
    for node in (nodes.a, nodes.b):
        assert isinstance(node.bus, NatsBus)
        async with httpx.AsyncClient(base_url=node.http_url, timeout=10) as client:
            response = await client.get("/ready")
        assert response.status_code == 200 and response.json()["status"] == "ready"


async def test_ready_is_503_when_the_bus_connection_is_gone(nodes: Nodes) -> None:
    assert nodes.b.cluster is not None
    await nodes.b.cluster.connection.close()
    async with httpx.AsyncClient(base_url=nodes.b.http_url, timeout=10) as client:
        response = await client.get("/ready")
    assert response.status_code == 503 and "bus" in response.text
    async with httpx.AsyncClient(
        base_url=nodes.b.http_url, headers=auth(nodes.admin_key), timeout=30
    ) as client:
        # A known station (an unknown one is a 404 before the bus is asked).
        assert (await client.post("/api/v1/stations", json={"id": "CP-ELSEWHERE"})).status_code == 201
        response = await client.post("/api/v1/stations/CP-ELSEWHERE/commands/reset")
    assert response.status_code == 409 and "NATS is unreachable" in response.json()["detail"]


async def test_a_station_on_node_b_shows_on_node_a_event_stream(nodes: Nodes) -> None:
    params = {"station_id": "CP-B", "kind": ["station.*", "connector.status"]}
    client = httpx.AsyncClient(base_url=nodes.a.http_url, headers=auth(nodes.admin_key), timeout=30)
    async with client, client.stream("GET", "/api/v1/events", params=params) as response:
        assert response.status_code == 200
        events = sse_events(response)
        station = await RawStation.open(nodes.b.ocpp_url, "CP-B", ("ocpp1.6",))
        try:
            await station.call("BootNotification", BOOT16)
            await station.call(
                "StatusNotification", {"connectorId": 1, "errorCode": "NoError", "status": "Available"}
            )
            seen = [await asyncio.wait_for(anext(events), 20) for _ in range(3)]
            assert "CP-B" in nodes.b.sessions.sessions and "CP-B" not in nodes.a.sessions.sessions
        finally:
            await station.close()
    assert [name for name, _ in seen] == ["station.connected", "station.booted", "connector.status"]
    assert seen[2][1]["data"]["status"] == "Available"


async def test_a_webhook_made_on_node_a_gets_each_event_of_a_station_on_node_b_once(nodes: Nodes) -> None:
    with webhook_receiver() as receiver:
        async with httpx.AsyncClient(
            base_url=nodes.a.http_url, headers=auth(nodes.admin_key), timeout=30
        ) as client:
            created = await client.post(
                "/api/v1/webhooks",
                json={"url": receiver.url, "event_kinds": ["station.booted"], "station_ids": ["CP-HOOK"]},
            )
            assert created.status_code == 201
            await asyncio.sleep(2.5)  # node B reads the webhooks again every 2 s
            station = await RawStation.open(nodes.b.ocpp_url, "CP-HOOK", ("ocpp1.6",))
            try:
                await station.call("BootNotification", BOOT16)
                await poll(lambda: len(receiver.received) >= 1)
                hook_id = created.json()["id"]

                async def delivered() -> bool:
                    response = await client.get(f"/api/v1/webhooks/{hook_id}/deliveries")
                    return [d["status"] for d in response.json()["items"]] == ["delivered"]

                await poll(delivered)
                await station.call("Heartbeat", {})  # time for a duplicate to show, if any
                await asyncio.sleep(1)
            finally:
                await station.close()
    assert [r.json["kind"] for r in receiver.received] == ["station.booted"]
