"""Two `opencsms serve` processes on one PostgreSQL and one NATS, configured as the README says.

A station on node B takes a command sent through node A; B is killed; the command through A then
finds the station offline, until it reconnects to A.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import sys
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from opencsms.auth import ApiKeyService, Role
from opencsms.simulate import SimulatedStation201, StationConfig
from opencsms.store import Store
from tests.conftest import auth
from tests.simulate.csms import VALIDATORS

pytestmark = [pytest.mark.nats, pytest.mark.postgres, pytest.mark.e2e]

STATION = "CS-PROC"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class Node:
    def __init__(self, process: asyncio.subprocess.Process, ocpp_port: int, http_port: int) -> None:
        self.process = process
        self.ocpp_url = f"ws://127.0.0.1:{ocpp_port}/ocpp"
        self.http_url = f"http://127.0.0.1:{http_port}"


@pytest.fixture
async def start_node(
    tmp_path: Path, pg_url: str, nats_url: str, bus_prefix: str
) -> AsyncIterator[Callable[[str], Any]]:
    started: list[Node] = []

    async def start(name: str) -> Node:
        workdir = tmp_path / name
        workdir.mkdir()
        ocpp_port, http_port = free_port(), free_port()
        env = {
            **os.environ,
            "PYTHONPATH": os.pathsep.join(sys.path),
            "OPENCSMS_DATABASE_URL": pg_url,
            "OPENCSMS_BUS_URL": nats_url,
            "OPENCSMS_BUS_PREFIX": bus_prefix,
            "OPENCSMS_NODE_ID": name,
            "OPENCSMS_OCPP_HOST": "127.0.0.1",
            "OPENCSMS_CALL_TIMEOUT": "10",
        }
        with (workdir / "stderr.log").open("wb") as stderr:  # the child has its own descriptor
            process = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "opencsms.cli.main",
                "serve",
                "--ocpp-port",
                str(ocpp_port),
                "--http-port",
                str(http_port),
                cwd=workdir,
                env=env,
                stdout=asyncio.subprocess.DEVNULL,
                stderr=stderr,
            )
        node = Node(process, ocpp_port, http_port)
        started.append(node)
        async with httpx.AsyncClient(base_url=node.http_url, timeout=5) as client:
            for _ in range(600):
                if process.returncode is not None:
                    raise AssertionError((workdir / "stderr.log").read_text())
                with contextlib.suppress(httpx.HTTPError):
                    if (await client.get("/ready")).status_code == 200:
                        return node
                await asyncio.sleep(0.1)
        raise AssertionError(f"node {name} did not get ready: {(workdir / 'stderr.log').read_text()}")

    yield start
    for node in started:
        if node.process.returncode is None:
            node.process.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(node.process.wait(), 30)
            except TimeoutError:
                node.process.kill()
                await node.process.wait()


@pytest.fixture
async def admin_key(pg_url: str) -> str:
    store = await Store.open(pg_url)
    try:
        return (await ApiKeyService(store).create("admin", Role.ADMIN)).key
    finally:
        await store.close()


async def station_on(node: Node) -> SimulatedStation201:
    station = SimulatedStation201(
        StationConfig(STATION, node.ocpp_url, evses=1, connectors_per_evse=1, reconnect_max_seconds=60),
        validator=VALIDATORS["2.0.1"],
    )
    await station.connect()
    assert await station.boot() == "Accepted"
    return station


async def test_two_serve_processes_route_a_command_and_survive_one_dying(
    start_node: Callable[[str], Any], admin_key: str
) -> None:
    node_a, node_b = await start_node("a"), await start_node("b")
    station = await station_on(node_b)
    async with httpx.AsyncClient(base_url=node_a.http_url, headers=auth(admin_key), timeout=60) as api:
        trigger = f"/api/v1/stations/{STATION}/commands/trigger_message"
        try:
            response = await api.post(trigger, json={"message": "Heartbeat"})
            assert response.status_code == 200, response.text
            assert response.json()["action"] == "TriggerMessage" and response.json()["status"] == "Accepted"

            node_b.process.kill()  # its NATS connection, and the station's subject with it, go at once
            await node_b.process.wait()
            for _ in range(3):  # NATS may take a moment to see the connection gone: then 504, not 409
                response = await api.post(trigger, json={"message": "Heartbeat"}, params={"timeout": 2})
                if response.status_code != 504:
                    break
            assert response.status_code == 409, response.text
        finally:
            await station.disconnect()

        station = await station_on(node_a)
        try:
            response = await api.post(trigger, json={"message": "Heartbeat"})
            assert response.status_code == 200 and response.json()["status"] == "Accepted"
        finally:
            await station.disconnect()
