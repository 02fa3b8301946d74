"""The load generator: N simulated stations, busy (cycling a mix with no think time) or idle.

Each busy station sends one BootNotification at connect, waits for the whole fleet to be
connected, then repeats its mix's cycle; every CALL is sent when the previous answer has
arrived. Connections open gradually (a rate and a cap on handshakes in flight) and without load,
so the server's handshake rate is not what is measured. Latency is measured from just before a
CALL is written to just after its answer is parsed; a call counts in the window when its answer
arrives inside it.

In-process: ``await run_load(LoadConfig(...), warmup=..., window=...)`` (used by the smoke test).
As a worker process (how ``benchmarks.run`` uses it, so the generator's CPU is not the server's):
``python -m benchmarks.load --url ws://127.0.0.1:9100/ocpp --stations 500 --control``; it prints
one JSON line when its stations are connected, then obeys ``go`` (start cycling), ``start`` and
``stop`` (the measured window; a JSON result line follows ``stop``) and ``quit`` lines on stdin.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import random
import resource
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import orjson

from benchmarks.links import OPENERS, Link
from benchmarks.mixes import MIXES, Mix, StationState
from benchmarks.process_limits import raise_open_files_limit

MAX_CYCLES = 1_000_000  # per station; the time limits end a run long before this
MAX_INTERLEAVED_CALLS = 100  # server-initiated CALLs tolerated while one answer is awaited
WATCHDOG_PERIOD = 1.0


@dataclass(frozen=True, slots=True)
class LoadConfig:
    url: str  # ws://127.0.0.1:PORT/ocpp; the station id is appended
    stations: int
    mix: str = "1.6"
    idle: bool = False
    first_station: int = 0
    prefix: str = "BENCH"
    client: str = "picows"
    source_address: str | None = None  # a 127.0.0.x to spread ephemeral ports over addresses
    connect_rate: float = 500.0  # new connections per second
    connect_concurrency: int = 32  # handshakes + BootNotifications in flight
    connect_timeout: float = 30.0  # per station: handshake + BootNotification
    call_timeout: float = 30.0  # a station waiting longer is aborted and counted as timed out
    think_seconds: float = 0.0  # pause after each answer; 0 is the benchmark's closed loop
    max_seconds: float = 900.0  # hard limit on the life of a fleet


@dataclass(slots=True)
class CallStats:
    """Calls counted while ``recording``; latencies in microseconds, by action."""

    recording: bool = False
    calls: int = 0
    errors: int = 0
    error_codes: Counter[str] = field(default_factory=Counter)
    latencies_us: dict[str, list[int]] = field(default_factory=dict)

    def restart(self) -> None:
        """Empty the counters and start recording (in place: running stations hold this object)."""
        self.calls = self.errors = 0
        self.error_codes.clear()
        self.latencies_us = {}
        self.recording = True


@dataclass(slots=True)
class _Station:
    state: StationState
    link: Link | None = None
    waiting_since: float = 0.0  # perf_counter() while a CALL is outstanding, else 0
    calls_sent: int = 0  # the message id of the next CALL


class StationFailed(Exception):
    """A station's CALL got no usable answer; the station stops."""


class Fleet:
    """The stations of one load generator. ``open``, then ``start_window``/``stop_window``, then ``close``."""

    def __init__(self, config: LoadConfig) -> None:
        if config.mix not in MIXES:
            raise ValueError(f"unknown mix {config.mix!r}; known: {', '.join(MIXES)}")
        self.config = config
        self.mix: Mix = MIXES[config.mix]
        self.stats = CallStats()
        self.connected = 0
        self.connect_failures: Counter[str] = Counter()
        self.dropped: Counter[str] = Counter()  # stations that stopped after connecting, by reason
        self.timeouts = 0
        self._stations: list[_Station] = []
        self._tasks: list[asyncio.Task[None]] = []
        self._stopping = asyncio.Event()
        self._going = asyncio.Event()
        self._window_start = (0.0, 0.0)  # perf_counter(), process CPU seconds
        self._deadline = 0.0  # loop time after which the fleet stops, whatever it is doing
        self._window_seconds = 0.0
        self._cpu_seconds = 0.0
        self._watchdog: asyncio.Task[None] | None = None

    # -- connecting -------------------------------------------------------------------------------

    async def open(self) -> None:
        """Connect every station (rate-limited), boot it, and start its cycle; wait for all attempts."""
        loop = asyncio.get_running_loop()
        self._deadline = loop.time() + self.config.max_seconds
        self._watchdog = loop.create_task(self._watch())
        slots = asyncio.Semaphore(self.config.connect_concurrency)
        booted: list[asyncio.Future[None]] = []
        started = loop.time()
        for offset in range(self.config.stations):
            delay = started + offset / self.config.connect_rate - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
            await slots.acquire()
            if loop.time() > self._deadline:
                slots.release()
                break
            ready: asyncio.Future[None] = loop.create_future()
            booted.append(ready)
            station = _Station(StationState(f"{self.config.prefix}{self.config.first_station + offset:06d}"))
            self._stations.append(station)
            self._tasks.append(loop.create_task(self._run_station(station, ready, slots)))
        if booted:
            await asyncio.wait(booted)

    async def _run_station(
        self, station: _Station, ready: asyncio.Future[None], slots: asyncio.Semaphore
    ) -> None:
        config = self.config
        try:
            try:
                open_link = OPENERS[config.client]
                url = f"{config.url}/{station.state.station_id}"
                async with asyncio.timeout(config.connect_timeout):
                    station.link = await open_link(url, self.mix.subprotocol, config.source_address)
                    await self._call(station, "BootNotification", self.mix.boot)
            except Exception as exc:  # refused, timed out, closed: the station never joins
                self.connect_failures[type(exc).__name__] += 1
                if station.link is not None:
                    station.link.abort()
                return
            finally:
                slots.release()
                ready.set_result(None)
            self.connected += 1
            if config.idle:
                await self._stopping.wait()
                return
            await self._going.wait()
            await self._cycle(station)
        except Exception as exc:  # closed, aborted, or an answer the mix could not use
            if not self._stopping.is_set():
                self.dropped[type(exc).__name__] += 1

    def go(self) -> None:
        """Let busy stations start cycling (they wait, once booted, so that the ramp is not under load)."""
        self._going.set()

    # -- calling ----------------------------------------------------------------------------------

    async def _cycle(self, station: _Station) -> None:
        steps = self.mix.cycle
        state = station.state
        stopping = self._stopping
        stats = self.stats
        perf = time.perf_counter
        think = self.config.think_seconds
        # Paced stations are independent, as real ones are: each starts at a random point of its
        # pause and pauses between 0.5 and 1.5 times the mean, so they do not call in waves.
        pause = random.Random(station.state.station_id).uniform if think else None
        if pause is not None:
            await asyncio.sleep(pause(0.0, think))
        for _ in range(MAX_CYCLES):
            for step in steps:
                if stopping.is_set():
                    return
                payload = step.request(state)
                started = perf()
                answer = await self._call(station, step.action, payload)
                if stats.recording:
                    stats.calls += 1
                    stats.latencies_us.setdefault(step.name, []).append(int((perf() - started) * 1e6))
                if answer[0] == 4:
                    if stats.recording:
                        stats.errors += 1
                        stats.error_codes[f"{step.name}: {answer[2]}"] += 1
                elif step.on_result is not None:
                    step.on_result(state, answer[2])
                if pause is not None:
                    await asyncio.sleep(pause(0.5 * think, 1.5 * think))

    async def _call(self, station: _Station, action: str, payload: dict[str, Any]) -> list[Any]:
        """Send one CALL and return its CALLRESULT or CALLERROR frame.

        Raises:
            LinkClosed: the connection closed (or the watchdog aborted it).
            StationFailed: the peer sent something that is not an answer, too many times.
        """
        link = station.link
        assert link is not None
        station.calls_sent += 1
        message_id = str(station.calls_sent)
        frame = orjson.dumps([2, message_id, action, payload], option=orjson.OPT_UTC_Z)
        station.waiting_since = time.perf_counter()
        try:
            await link.send(frame)
            for _ in range(MAX_INTERLEAVED_CALLS):
                message = orjson.loads(await link.recv())
                kind = message[0]
                if (kind == 3 or kind == 4) and message[1] == message_id:
                    return message  # type: ignore[no-any-return]
                if kind == 2:  # the server asked something: this station implements nothing
                    await link.send(orjson.dumps([4, message[1], "NotImplemented", "benchmark station", {}]))
            raise StationFailed(
                f"{station.state.station_id}: no answer to {action} among {MAX_INTERLEAVED_CALLS} frames"
            )
        finally:
            station.waiting_since = 0.0

    async def _watch(self) -> None:
        """Abort stations whose answer is overdue, and the whole fleet past ``max_seconds``."""
        loop = asyncio.get_running_loop()
        while not self._stopping.is_set():
            await asyncio.sleep(WATCHDOG_PERIOD)
            if loop.time() > self._deadline:
                self._stopping.set()
                for station in self._stations:
                    if station.link is not None:
                        station.link.abort()
                return
            overdue = time.perf_counter() - self.config.call_timeout
            for station in self._stations:
                if 0.0 < station.waiting_since < overdue and station.link is not None:
                    self.timeouts += 1
                    station.waiting_since = 0.0
                    station.link.abort()

    # -- measuring --------------------------------------------------------------------------------

    def start_window(self) -> None:
        self.stats.restart()
        self._window_start = (time.perf_counter(), _cpu_seconds())

    def stop_window(self) -> None:
        self.stats.recording = False
        wall_start, cpu_start = self._window_start
        self._window_seconds = time.perf_counter() - wall_start
        self._cpu_seconds = _cpu_seconds() - cpu_start

    def result(self) -> dict[str, Any]:
        """The window's figures, as JSON-ready data (latencies raw, so workers' results merge)."""
        return {
            "stations": self.config.stations,
            "connected": self.connected,
            "connect_failures": dict(self.connect_failures),
            "dropped": dict(self.dropped),
            "timeouts": self.timeouts,
            "alive": sum(1 for t in self._tasks if not t.done()),
            "window_seconds": self._window_seconds,
            "generator_cpu_seconds": self._cpu_seconds,
            "calls": self.stats.calls,
            "errors": self.stats.errors,
            "error_codes": dict(self.stats.error_codes.most_common(20)),
            "latencies_us": self.stats.latencies_us,
        }

    async def close(self) -> None:
        """Stop every station and close its connection (aborting those that do not close in time)."""
        self._stopping.set()
        self._going.set()
        if self._watchdog is not None:
            self._watchdog.cancel()
        links = [s.link for s in self._stations if s.link is not None]
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(15):
                for start in range(0, len(links), 500):
                    await asyncio.gather(*(link.close() for link in links[start : start + 500]))
        for link in links:
            link.abort()
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


async def run_load(config: LoadConfig, *, warmup: float, window: float) -> dict[str, Any]:
    """Connect, run ``warmup`` seconds, measure ``window`` seconds, close; return the result."""
    fleet = Fleet(config)
    try:
        await fleet.open()
        fleet.go()
        await asyncio.sleep(warmup)
        fleet.start_window()
        await asyncio.sleep(window)
        fleet.stop_window()
        return fleet.result()
    finally:
        await fleet.close()


# -- worker process ---------------------------------------------------------------------------------


def _emit(event: str, **data: Any) -> None:
    sys.stdout.buffer.write(orjson.dumps({"event": event, **data}) + b"\n")
    sys.stdout.buffer.flush()


async def _worker(config: LoadConfig) -> int:
    fleet = Fleet(config)
    loop = asyncio.get_running_loop()
    opened = time.perf_counter()
    try:
        await fleet.open()
        _emit(
            "connected",
            connected=fleet.connected,
            failures=dict(fleet.connect_failures),
            seconds=round(time.perf_counter() - opened, 3),
        )
        async with asyncio.timeout(config.max_seconds):
            while True:
                line = (await loop.run_in_executor(None, sys.stdin.readline)).strip()
                if line == "go":
                    fleet.go()
                    _emit("going")
                elif line == "start":
                    fleet.start_window()
                    _emit("started")
                elif line == "stop":
                    fleet.stop_window()
                    _emit("result", **fleet.result())
                elif line in ("quit", ""):
                    return 0
    finally:
        await fleet.close()


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.load", description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", required=True, help="ws://127.0.0.1:PORT/ocpp (the station id is appended)")
    parser.add_argument("--stations", type=int, required=True)
    parser.add_argument("--mix", choices=sorted(MIXES), default="1.6")
    parser.add_argument("--idle", action="store_true", help="connect and boot, then stay silent")
    parser.add_argument("--first-station", type=int, default=0)
    parser.add_argument("--prefix", default="BENCH")
    parser.add_argument("--client", choices=sorted(OPENERS), default="picows")
    parser.add_argument("--source-address", default=None, help="bind connections to this 127.0.0.x")
    parser.add_argument("--connect-rate", type=float, default=500.0, help="connections per second")
    parser.add_argument("--connect-concurrency", type=int, default=32)
    parser.add_argument("--think-ms", type=float, default=0.0, help="pause after each answer")
    parser.add_argument("--max-seconds", type=float, default=900.0)
    parser.add_argument("--control", action="store_true", help="worker mode: obey start/stop/quit on stdin")
    parser.add_argument("--warmup", type=float, default=3.0, help="without --control")
    parser.add_argument("--window", type=float, default=10.0, help="without --control")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    raise_open_files_limit()
    config = LoadConfig(
        url=args.url,
        stations=args.stations,
        mix=args.mix,
        idle=args.idle,
        first_station=args.first_station,
        prefix=args.prefix,
        client=args.client,
        source_address=args.source_address,
        connect_rate=args.connect_rate,
        connect_concurrency=args.connect_concurrency,
        think_seconds=args.think_ms / 1000,
        max_seconds=args.max_seconds,
    )
    import uvloop

    if args.control:
        return uvloop.run(_worker(config))
    result = uvloop.run(run_load(config, warmup=args.warmup, window=args.window))
    latencies = sorted(v for values in result.pop("latencies_us").values() for v in values)
    if latencies:
        result["p50_ms"] = latencies[len(latencies) // 2] / 1000
        result["p99_ms"] = latencies[int(len(latencies) * 0.99)] / 1000
    result["calls_per_second"] = round(result["calls"] / max(result["window_seconds"], 1e-9), 1)
    print(orjson.dumps(result, option=orjson.OPT_INDENT_2).decode())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
