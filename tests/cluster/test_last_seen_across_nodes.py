"""last_seen in a cluster: the node holding a station notes its messages and writes them; the
other nodes read what it wrote."""

from __future__ import annotations

import asyncio
from datetime import datetime

import httpx
import pytest

from tests.cluster.conftest import Nodes
from tests.conftest import auth
from tests.e2e.wsclient import RawStation

pytestmark = [pytest.mark.nats, pytest.mark.postgres, pytest.mark.e2e]

BOOT16 = {"chargePointVendor": "Acme", "chargePointModel": "AC22"}


async def test_the_holding_node_writes_its_stations_last_seen_for_the_others(nodes: Nodes) -> None:
    station = await RawStation.open(nodes.b.ocpp_url, "CS-SEEN", ("ocpp1.6",))
    try:
        await station.call("BootNotification", BOOT16)
        await asyncio.sleep(0.05)
        status = {"connectorId": 1, "errorCode": "NoError", "status": "Available"}
        assert (await station.call("StatusNotification", status))[0] == 3
        async with (
            httpx.AsyncClient(base_url=nodes.a.http_url, headers=auth(nodes.admin_key)) as on_a,
            httpx.AsyncClient(base_url=nodes.b.http_url, headers=auth(nodes.admin_key)) as on_b,
        ):
            seen_on_b = datetime.fromisoformat(
                (await on_b.get("/api/v1/stations/CS-SEEN")).json()["last_seen"]
            )
            await nodes.a.domain.stations.flush()  # node A has nothing of it to write
            before = datetime.fromisoformat((await on_a.get("/api/v1/stations/CS-SEEN")).json()["last_seen"])
            assert before < seen_on_b
            await nodes.b.domain.stations.flush()  # what node B does every few seconds
            after = datetime.fromisoformat((await on_a.get("/api/v1/stations/CS-SEEN")).json()["last_seen"])
            assert after == seen_on_b
    finally:
        await station.close()
