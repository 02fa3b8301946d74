"""Events of a station on one node show on the other node's event stream; /ready sees NATS."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from opencsms.bus.nats_bus import NatsBus
from tests.api.receivers import sse_events
from tests.cluster.conftest import Nodes
from tests.conftest import auth
from tests.e2e.wsclient import RawStation

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
