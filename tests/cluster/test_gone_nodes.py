"""A node that dies cannot record its stations' disconnects: the others do, once NATS reports
it absent twice in a row; a node that is up keeps its stations."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from sqlalchemy import insert

from opencsms.cluster import GoneNodeSweeper
from opencsms.store.schema import stations
from tests.cluster.conftest import Nodes
from tests.conftest import auth, server_settings
from tests.e2e.wsclient import RawStation

pytestmark = [pytest.mark.nats, pytest.mark.postgres, pytest.mark.e2e]

BOOT16 = {"chargePointVendor": "Acme", "chargePointModel": "AC22"}
NOW = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)


def sweeper_of(node) -> GoneNodeSweeper:  # type: ignore[no-untyped-def]
    assert node.cluster is not None and node.cluster.sweeper is not None
    return node.cluster.sweeper


async def test_stations_of_a_gone_node_are_marked_disconnected_by_the_others(nodes: Nodes) -> None:
    station = await RawStation.open(nodes.a.ocpp_url, "CP-ON-A", ("ocpp1.6",))
    try:
        await station.call("BootNotification", BOOT16)
        # A node that crashed: its station is still marked connected, held by it.
        await nodes.b.store.write(
            lambda c: c.execute(
                insert(stations).values(
                    id="CP-ORPHANED",
                    registration_status="Accepted",
                    connected=True,
                    connected_node="node-that-crashed",
                    created_at=NOW,
                )
            )
        )
        assert await nodes.b.cluster.node_alive("a") is True  # type: ignore[union-attr]
        assert await nodes.b.cluster.node_alive("node-that-crashed") is False  # type: ignore[union-attr]

        assert await sweeper_of(nodes.b).sweep() == {}  # absent once: maybe a NATS blip
        assert await sweeper_of(nodes.b).sweep() == {"node-that-crashed": ["CP-ORPHANED"]}

        orphaned = await nodes.a.domain.stations.get("CP-ORPHANED")
        on_a = await nodes.b.domain.stations.get("CP-ON-A")
        assert orphaned is not None and not orphaned.connected
        assert on_a is not None and on_a.connected  # node a is up: its station stays
        async with httpx.AsyncClient(base_url=nodes.b.http_url, headers=auth(nodes.admin_key)) as api:
            listed = {s["id"]: s for s in (await api.get("/api/v1/stations")).json()["items"]}
        assert (listed["CP-ON-A"]["connected"], listed["CP-ON-A"]["node"]) == (True, "a")
        assert (listed["CP-ORPHANED"]["connected"], listed["CP-ORPHANED"]["node"]) == (False, None)
        assert await sweeper_of(nodes.a).sweep() == {}  # nothing left to sweep
    finally:
        await station.close()


async def test_a_node_restarting_under_its_fixed_id_lets_go_of_its_old_stations(
    tmp_path: Path, pg_url: str, nats_url: str, bus_prefix: str
) -> None:
    """Nobody sweeps a live node's stations, so a node that crashed and came back under the same
    OPENCSMS_NODE_ID clears what its previous run left marked before it listens."""
    from opencsms import runtime
    from opencsms.store import Store

    store = await Store.open(pg_url)
    try:
        await store.write(
            lambda c: c.execute(
                insert(stations).values(
                    id="CP-BEFORE-CRASH",
                    registration_status="Accepted",
                    connected=True,
                    connected_node="n-fixed",
                    created_at=NOW,
                )
            )
        )
    finally:
        await store.close()
    settings = server_settings(
        tmp_path, database_url=pg_url, bus_url=nats_url, bus_prefix=bus_prefix, node_id="n-fixed"
    )
    node = await runtime.start(settings)
    try:
        station = await node.domain.stations.get("CP-BEFORE-CRASH")
        assert station is not None and not station.connected and station.node is None
    finally:
        await node.stop()
