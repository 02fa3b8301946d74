"""`opencsms serve --demo N` as `make run` starts it, in its own process: stations of every version
the README's commands name, answering GetLog and CustomerInformation, and a process that costs
close to nothing while the demo runs."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import psutil
import pytest

from tests.conftest import auth

pytestmark = pytest.mark.e2e

#: Share of one core the demo process may use while its stations charge; it used to take 37-99%
#: with nothing happening (a display redrawing in a tight loop), and takes a few % now.
AT_REST_CPU_SHARE = 0.15
WINDOW_SECONDS = 5.0


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class Demo:
    def __init__(self, process: asyncio.subprocess.Process, http_url: str, workdir: Path) -> None:
        self.process = process
        self.http_url = http_url
        self.workdir = workdir

    @property
    def api_key(self) -> str:
        return (self.workdir / "var" / "api-key").read_text().strip()


@pytest.fixture
async def demo(tmp_path: Path) -> AsyncIterator[Demo]:
    """`opencsms serve --demo 3` in tmp_path (SQLite and the key file in ./var, as `make run`)."""
    http_port = free_port()
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path), "OPENCSMS_CALL_TIMEOUT": "10"}
    env.pop("OPENCSMS_API_KEY_FILE", None)
    argv = ["serve", "--demo", "3", "--ocpp-port", str(free_port()), "--http-port", str(http_port)]
    with (tmp_path / "output.log").open("wb") as output:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "opencsms.cli.main", *argv, cwd=tmp_path, env=env, stdout=output,
            stderr=asyncio.subprocess.STDOUT,
        )  # fmt: skip
    running = Demo(process, f"http://127.0.0.1:{http_port}", tmp_path)
    try:
        async with httpx.AsyncClient(base_url=running.http_url, timeout=5) as client:
            for _ in range(900):
                if process.returncode is not None:
                    raise AssertionError((tmp_path / "output.log").read_text())
                with contextlib.suppress(httpx.HTTPError):
                    if (await client.get("/ready")).status_code == 200:
                        break
                await asyncio.sleep(0.1)
            else:
                raise AssertionError(f"the demo did not get ready: {(tmp_path / 'output.log').read_text()}")
        yield running
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGINT)  # Ctrl-C, as a person stops `make run`
            try:
                await asyncio.wait_for(process.wait(), 30)
            except TimeoutError:
                process.kill()
                await process.wait()


async def wait_for(check: Any, what: str, seconds: float = 60.0) -> Any:
    for _ in range(int(seconds * 5)):
        found = await check()
        if found:
            return found
        await asyncio.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


async def frames_in(api: httpx.AsyncClient, station_id: str) -> str:
    page = await api.get(f"/api/v1/stations/{station_id}/messages", params={"direction": "in", "limit": 1000})
    return "\n".join(item["frame"] for item in page.json()["items"])


async def test_the_demo_mixes_versions_answers_logs_and_customer_information_and_rests(demo: Demo) -> None:
    async with httpx.AsyncClient(base_url=demo.http_url, headers=auth(demo.api_key), timeout=30) as api:

        async def booted() -> dict[str, str] | None:
            stations = (await api.get("/api/v1/stations")).json()["items"]
            versions = {s["id"]: s["ocpp_version"] for s in stations if s["connected"] and s["last_boot"]}
            return versions if len(versions) == 3 else None

        versions = await wait_for(booted, "three demo stations to boot")
        assert versions == {"DEMO0000": "1.6", "DEMO0001": "2.0.1", "DEMO0002": "2.1"}

        # At rest: the stations charge now and then, nothing else happens.
        process = psutil.Process(demo.process.pid)
        before = process.cpu_times()
        await asyncio.sleep(WINDOW_SECONDS)
        after = process.cpu_times()
        used = (after.user - before.user) + (after.system - before.system)
        assert used < AT_REST_CPU_SHARE * WINDOW_SECONDS, f"{used:.2f} s of CPU in {WINDOW_SECONDS} s"

        for station_id in versions:
            body = {"remote_location": "ftp://logs.example/upload", "log_type": "DiagnosticsLog"}
            answer = await api.post(f"/api/v1/stations/{station_id}/commands/get_log", json=body)
            assert answer.status_code == 200, answer.text
            assert answer.json()["status"] == "Accepted"

        for station_id in versions:

            async def uploaded(station_id: str = station_id) -> bool:
                frames = await frames_in(api, station_id)
                return '"LogStatusNotification"' in frames and '"Uploaded"' in frames

            await wait_for(uploaded, f"{station_id}'s log upload")

        for station_id in ("DEMO0001", "DEMO0002"):
            body = {"report": True, "id_token": "SIM-TAG-0001"}
            answer = await api.post(f"/api/v1/stations/{station_id}/commands/customer_information", json=body)
            assert answer.status_code == 200, answer.text
            assert answer.json()["status"] == "Accepted"

            async def reported(station_id: str = station_id) -> bool:
                frames = await frames_in(api, station_id)
                return '"NotifyCustomerInformation"' in frames and "SIM-TAG-0001" in frames

            await wait_for(reported, f"{station_id}'s customer information")
