"""Load generator processes (``python -m benchmarks.load --control``), driven over stdin and stdout."""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

import orjson

REPO_ROOT = Path(__file__).resolve().parent.parent
LINE_LIMIT = 1 << 28  # a result line carries every latency of the window


class WorkerFailed(Exception):
    """A worker exited, or did not answer in time; the message says which and what it printed."""


@dataclass(frozen=True, slots=True)
class WorkerSpec:
    stations: int
    first_station: int
    source_address: str
    connect_rate: float
    mix: str = "1.6"
    idle: bool = False
    prefix: str = "BENCH"
    client: str = "picows"
    connect_concurrency: int = 32
    think_ms: float = 0.0


def split(
    stations: int, workers: int, *, first_address: int, connect_rate: float, **options: Any
) -> list[WorkerSpec]:
    """``stations`` shared among ``workers``, each on its own source address 127.0.0.<first_address + i>."""
    specs = []
    first = 0
    for index in range(workers):
        count = stations // workers + (1 if index < stations % workers else 0)
        specs.append(
            WorkerSpec(
                stations=count,
                first_station=first,
                source_address=f"127.0.0.{first_address + index}",
                connect_rate=connect_rate / workers,
                **options,
            )
        )
        first += count
    return specs


def _open_log(path: Path) -> BinaryIO:
    return path.open("wb")


class WorkerPool:
    def __init__(self) -> None:
        self._processes: list[asyncio.subprocess.Process] = []
        # stderr goes to files: a pipe nobody reads would block a worker that logs a lot
        self._logs = tempfile.TemporaryDirectory(prefix="opencsms-bench-workers-")

    async def start(self, url: str, specs: list[WorkerSpec], max_seconds: float) -> None:
        env = dict(os.environ, PYTHONPATH=str(REPO_ROOT))
        for spec in specs:
            command = [
                sys.executable,
                "-m",
                "benchmarks.load",
                "--control",
                "--url",
                url,
                "--stations",
                str(spec.stations),
                "--first-station",
                str(spec.first_station),
                "--prefix",
                spec.prefix,
                "--mix",
                spec.mix,
                "--client",
                spec.client,
                "--source-address",
                spec.source_address,
                "--connect-rate",
                str(spec.connect_rate),
                "--connect-concurrency",
                str(spec.connect_concurrency),
                "--max-seconds",
                str(max_seconds),
                "--think-ms",
                str(spec.think_ms),
                *(["--idle"] if spec.idle else []),
            ]
            with _open_log(self._log_path(len(self._processes))) as log:
                process = await asyncio.create_subprocess_exec(
                    *command,
                    stdin=asyncio.subprocess.PIPE,
                    stdout=asyncio.subprocess.PIPE,
                    stderr=log,
                    env=env,
                    cwd=REPO_ROOT,
                    limit=LINE_LIMIT,
                )
            self._processes.append(process)

    def _log_path(self, index: int) -> Path:
        return Path(self._logs.name) / f"worker-{index}.log"

    async def _read(self, process: asyncio.subprocess.Process, event: str, timeout: float) -> dict[str, Any]:
        assert process.stdout is not None
        try:
            async with asyncio.timeout(timeout):
                line = await process.stdout.readline()
        except TimeoutError:
            raise WorkerFailed(f"worker {process.pid} printed no {event!r} within {timeout:.0f} s") from None
        if not line:
            log = self._log_path(self._processes.index(process))
            stderr = log.read_text(errors="replace")[-2000:] if log.exists() else ""
            raise WorkerFailed(f"worker {process.pid} exited: {stderr}")
        message: dict[str, Any] = orjson.loads(line)
        if message.get("event") != event:
            raise WorkerFailed(f"worker {process.pid} sent {message.get('event')!r}, expected {event!r}")
        return message

    async def _tell(self, command: str) -> None:
        for process in self._processes:
            assert process.stdin is not None
            process.stdin.write(command.encode() + b"\n")
            with contextlib.suppress(ConnectionError):
                await process.stdin.drain()

    async def connected(self, timeout: float) -> list[dict[str, Any]]:
        """Wait until every worker has tried all its stations; their ``connected`` reports."""
        return list(await asyncio.gather(*(self._read(p, "connected", timeout) for p in self._processes)))

    async def go(self) -> None:
        """Let the connected busy stations start their cycles."""
        await self._tell("go")
        await asyncio.gather(*(self._read(p, "going", 30) for p in self._processes))

    async def start_window(self) -> None:
        await self._tell("start")
        await asyncio.gather(*(self._read(p, "started", 30) for p in self._processes))

    async def stop_window(self) -> list[dict[str, Any]]:
        await self._tell("stop")
        return list(await asyncio.gather(*(self._read(p, "result", 60) for p in self._processes)))

    def cpu_seconds(self) -> float:
        """CPU used so far by the live workers (psutil), for the generator's share of the machine."""
        import psutil

        total = 0.0
        for process in self._processes:
            with contextlib.suppress(psutil.Error):
                times = psutil.Process(process.pid).cpu_times()
                total += times.user + times.system
        return total

    async def quit(self) -> None:
        """Ask every worker to close its stations and exit; kill those still running after 60 s."""
        with contextlib.suppress(ConnectionError):
            await self._tell("quit")
        for process in self._processes:
            try:
                async with asyncio.timeout(60):
                    await process.wait()
            except TimeoutError:
                process.kill()
                await process.wait()
        self._processes.clear()
        self._logs.cleanup()
