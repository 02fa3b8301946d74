"""Start a real `opencsms serve` process on free ports of 127.0.0.1 and wait until /ready says 200."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import sys
from pathlib import Path

import httpx


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class ServeProcess:
    def __init__(
        self, process: asyncio.subprocess.Process, workdir: Path, ocpp_port: int, http_port: int
    ) -> None:
        self.process = process
        self.workdir = workdir
        self.ocpp_port = ocpp_port
        self.http_port = http_port
        self.ocpp_url = f"ws://127.0.0.1:{ocpp_port}/ocpp"
        self.http_url = f"http://127.0.0.1:{http_port}"

    def log(self) -> str:
        return (self.workdir / "stderr.log").read_text(errors="replace")

    async def stop(self) -> None:
        if self.process.returncode is None:
            self.process.send_signal(signal.SIGINT)
            try:
                await asyncio.wait_for(self.process.wait(), 30)
            except TimeoutError:
                self.process.kill()
                await self.process.wait()


async def start_serve(
    workdir: Path, env: dict[str, str], *extra_args: str, ocpp_port: int = 0, http_port: int = 0
) -> ServeProcess:
    """``opencsms serve`` in ``workdir`` with ``env`` added to this process's environment."""
    workdir.mkdir(parents=True, exist_ok=True)  # noqa: ASYNC240 - a test's set-up
    ocpp_port, http_port = ocpp_port or free_port(), http_port or free_port()
    full_env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(sys.path),
        "OPENCSMS_OCPP_HOST": "127.0.0.1",
        **env,
    }
    with (workdir / "stderr.log").open("ab") as stderr:  # the child has its own descriptor
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "opencsms.cli.main",
            "serve",
            "--ocpp-port",
            str(ocpp_port),
            "--http-port",
            str(http_port),
            *extra_args,
            cwd=workdir,
            env=full_env,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=stderr,
        )
    node = ServeProcess(process, workdir, ocpp_port, http_port)
    async with httpx.AsyncClient(base_url=node.http_url, timeout=5) as client:
        for _ in range(600):
            if process.returncode is not None:
                raise AssertionError(node.log())
            with contextlib.suppress(httpx.HTTPError):
                if (await client.get("/ready")).status_code == 200:
                    return node
            await asyncio.sleep(0.1)
    await node.stop()
    raise AssertionError(f"opencsms serve did not get ready: {node.log()}")
