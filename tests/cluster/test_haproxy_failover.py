"""Failover through a real load balancer: HAProxy (deploy/haproxy.cfg) in front of two `opencsms serve`
processes sharing PostgreSQL and NATS.

Stations connect through HAProxy (TCP, PROXY protocol v2, health-checked on /ready) and charge;
commands go through each node's API. One node is killed with SIGKILL: its stations must be back
through the other node within FAILOVER_BOUND seconds, every acknowledged message must be stored,
and no transaction or session may be duplicated. Without haproxy the test skips, and fails under CI=true.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text

from opencsms.auth import ApiKeyService, Role
from opencsms.store import Store
from tests.cluster.charging_station import ChargingStation
from tests.cluster.serve_process import ServeProcess, free_port, start_serve
from tests.conftest import auth

pytestmark = [pytest.mark.nats, pytest.mark.postgres, pytest.mark.e2e]

CONFIG = Path(__file__).resolve().parents[2] / "deploy" / "haproxy.cfg"
STATIONS = 8
#: Seconds from the kill until every station of the dead node has booted again through HAProxy.
#: The stations retry every 0.1-0.2 s; HAProxy retries a refused connection on the other node at
#: once and marks the dead one down after two failed checks 0.5 s apart.
FAILOVER_BOUND = 10.0


def haproxy_binary() -> str:
    found = shutil.which("haproxy") or ("/usr/sbin/haproxy" if os.path.exists("/usr/sbin/haproxy") else None)
    if found is None:
        if os.environ.get("CI") == "true":
            pytest.fail("haproxy is not installed (.ci/run installs the Debian package)")
        pytest.skip("haproxy is not installed (apt-get install haproxy)")
    return found


async def trigger(api: httpx.AsyncClient, station_id: str) -> None:
    response = await api.post(
        f"/api/v1/stations/{station_id}/commands/trigger_message", json={"message": "Heartbeat"}
    )
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "Accepted", response.text


async def test_killed_node_stations_come_back_through_haproxy_and_nothing_acknowledged_is_lost(
    tmp_path: Path, pg_url: str, nats_url: str, bus_prefix: str
) -> None:
    binary = haproxy_binary()
    ports = {name: free_port() for name in ("lb", "api", "a_ocpp", "a_http", "b_ocpp", "b_http")}
    common = {
        "OPENCSMS_DATABASE_URL": pg_url,
        "OPENCSMS_BUS_URL": nats_url,
        "OPENCSMS_BUS_PREFIX": bus_prefix,
        "OPENCSMS_TRUSTED_PROXIES": "127.0.0.1",
        "OPENCSMS_CALL_TIMEOUT": "10",
        "OPENCSMS_MESSAGE_LOG_RETENTION_DAYS": "0",
    }
    nodes: dict[str, ServeProcess] = {}
    haproxy: asyncio.subprocess.Process | None = None
    stations: list[ChargingStation] = []
    runs: list[asyncio.Task[None]] = []
    try:
        for name in ("a", "b"):
            nodes[name] = await start_serve(
                tmp_path / name,
                {
                    **common,
                    "OPENCSMS_NODE_ID": f"node-{name}",
                    "OPENCSMS_LISTENERS": f"{ports[f'{name}_ocpp']} profile=0 proxy=protocol",
                },
                http_port=ports[f"{name}_http"],
            )
        lb_env = {
            **os.environ,
            "OCPP_BIND": f"127.0.0.1:{ports['lb']}",
            "API_BIND": f"127.0.0.1:{ports['api']}",
            "NODE_A_OCPP": f"127.0.0.1:{ports['a_ocpp']}",
            "NODE_B_OCPP": f"127.0.0.1:{ports['b_ocpp']}",
            "NODE_A_HTTP": f"127.0.0.1:{ports['a_http']}",
            "NODE_B_HTTP": f"127.0.0.1:{ports['b_http']}",
            "NODE_A_HTTP_PORT": str(ports["a_http"]),
            "NODE_B_HTTP_PORT": str(ports["b_http"]),
            "CHECK_INTER": "500ms",
        }
        with (tmp_path / "haproxy.log").open("wb") as lb_log:
            haproxy = await asyncio.create_subprocess_exec(
                binary, "-db", "-f", str(CONFIG), env=lb_env, stdout=lb_log, stderr=lb_log
            )
        store = await Store.open(pg_url)
        try:
            key = (await ApiKeyService(store).create("failover-test", Role.ADMIN)).key
        finally:
            await store.close()
        # Up once HAProxy's API frontend answers /ready from a node.
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{ports['api']}", timeout=2) as lb_api:
            for _ in range(100):
                with contextlib.suppress(httpx.HTTPError):
                    if (await lb_api.get("/ready")).status_code == 200:
                        break
                await asyncio.sleep(0.1)
            else:
                raise AssertionError((tmp_path / "haproxy.log").read_text())

        url = f"ws://127.0.0.1:{ports['lb']}/ocpp"
        stations = [ChargingStation(f"LB{i}", url) for i in range(STATIONS)]
        runs = [asyncio.create_task(s.run()) for s in stations]
        loop = asyncio.get_running_loop()
        apis = {
            name: httpx.AsyncClient(base_url=node.http_url, headers=auth(key), timeout=30)
            for name, node in nodes.items()
        }
        try:
            for _ in range(300):
                if all(s.stopped for s in stations):
                    break
                await asyncio.sleep(0.1)
            assert all(s.stopped for s in stations), [len(s.stopped) for s in stations]
            # Both nodes hold stations (leastconn), and either node's API reaches every station.
            held = {
                name: (await api.get("/ready")).json()["stations_connected"] for name, api in apis.items()
            }
            assert held["a"] + held["b"] == STATIONS and held["a"] > 0 and held["b"] > 0, held
            for station in stations:
                await trigger(apis["a"], station.station_id)
                await trigger(apis["b"], station.station_id)

            victim, survivor = ("a", "b") if held["a"] >= held["b"] else ("b", "a")
            before = {s.station_id: s.connections for s in stations}
            nodes[victim].process.kill()
            killed = loop.time()
            await nodes[victim].process.wait()
            moved = []
            while loop.time() - killed < FAILOVER_BOUND:
                moved = [s for s in stations if s.rebooted_at and s.rebooted_at[-1] > killed]
                if len(moved) == held[victim]:
                    break
                await asyncio.sleep(0.05)
            assert len(moved) == held[victim], (
                f"{len(moved)} of {held[victim]} stations back within {FAILOVER_BOUND} s"
            )
            back_after = max(s.rebooted_at[-1] for s in moved) - killed
            assert back_after < FAILOVER_BOUND, back_after
            print(f"{held[victim]} stations back through HAProxy {back_after:.2f} s after the kill")
            # The survivor's own stations were not disturbed.
            assert sum(s.connections > before[s.station_id] for s in stations) == held[victim]

            # Every station answers a command through the surviving node's API, now that it holds all.
            for station in stations:
                await trigger(apis[survivor], station.station_id)
            ready = (await apis[survivor].get("/ready")).json()
            assert ready["stations_connected"] == STATIONS, ready
            # They keep charging after the failover, then finish their open transactions.
            marks = {s.station_id: len(s.stopped) for s in stations}
            for _ in range(300):
                if all(len(s.stopped) > marks[s.station_id] for s in stations):
                    break
                await asyncio.sleep(0.1)
            for station in stations:
                station.stop()
            await asyncio.wait_for(asyncio.gather(*runs), 30)
        finally:
            for api in apis.values():
                await api.aclose()

        store = await Store.open(pg_url)
        try:
            async with store.engine.connect() as conn:
                rows = (await conn.execute(text("SELECT id, station_id, stopped_at FROM transactions"))).all()
                samples = dict(
                    (
                        await conn.execute(
                            text("SELECT transaction_id, count(*) FROM meter_samples GROUP BY transaction_id")
                        )
                    ).all()
                )
        finally:
            await store.close()
        by_station: dict[str, dict[int, object]] = {}
        for tx_id, station_id, stopped_at in rows:
            by_station.setdefault(station_id, {})[tx_id] = stopped_at
        for station in stations:
            stored = by_station.get(station.station_id, {})
            # Exactly the acknowledged transactions: none lost, none made twice by a resent StartTransaction.
            assert set(stored) == set(station.started), (station.station_id, stored, station.started)
            assert all(stored[tx] is not None for tx in station.stopped)
            assert station.stopped == set(station.started)
            for tx, meters in station.started.items():
                assert samples.get(tx, 0) >= meters, (station.station_id, tx)
    finally:
        for run in runs:
            run.cancel()
        await asyncio.gather(*runs, return_exceptions=True)
        if haproxy is not None and haproxy.returncode is None:
            haproxy.terminate()
            await haproxy.wait()
        for node in nodes.values():
            await node.stop()
