"""Run the whole benchmark and write docs/benchmarks.md: ``python -m benchmarks.run`` (``make bench``).

For each station count, the busy mix runs against the ceiling and against ``opencsms serve``
(fresh SQLite database each time); then the same stations pausing after each answer (below
saturation), the ceiling busy-waiting a few µs per call (what share of it such work leaves,
``--calibration-us``), and 20,000 idle stations to measure opencsms's memory per connection.
Servers and load generators are separate processes; only 127.0.0.0/8 is used.

``--quick`` runs small counts and short windows; ``--only N`` runs one station count (``--only
idle`` only the idle test). Both print the report instead of overwriting docs/benchmarks.md
unless ``--output`` is given.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import shlex
import sys
import time
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import psutil

from benchmarks.mixes import ID_TAG, MIXES
from benchmarks.process_limits import raise_open_files_limit
from benchmarks.report import render
from benchmarks.sections import keeping_sections
from benchmarks.servers import ServerDidNotStart, ServerProcess, start_ceiling, start_opencsms
from benchmarks.workers import WorkerFailed, WorkerPool, split

DOCS = Path(__file__).resolve().parent.parent / "docs" / "benchmarks.md"
STATIONS_PER_IDLE_WORKER = 5000
IDLE_WARM_STATIONS = 200
FD_MARGIN = 150  # descriptors the server needs besides station sockets (database, listeners, ...)


@dataclass(frozen=True)
class Plan:
    stations: tuple[int, ...] = (100, 1000, 5000)
    warmup: float = 5.0
    window: float = 15.0
    idle_stations: int = 20_000
    idle_settle: float = 5.0
    connect_rate: float = 1000.0  # new connections per second, all workers together
    servers: tuple[str, ...] = ("ceiling", "opencsms")
    mixes: tuple[str, ...] = ("1.6", "2.0.1")
    idle_servers: tuple[str, ...] = ("opencsms", "ceiling")
    client: str = "picows"
    opencsms_command: tuple[str, ...] = ()  # empty: the opencsms console script next to this Python
    quiet_wait: float = 45.0  # seconds to wait, before each run, for other programs to calm down
    quiet_percent: float = 25.0
    think_ms: float = 0.0  # pause after each answer; the targets are defined with none
    # Below saturation: the same stations pausing this long after each answer (0: no such run).
    paced_stations: int = 1000
    paced_think_ms: float = 1000.0
    # The ceiling again, busy-waiting this many µs per CALL: what share of it a server doing that
    # much work per call can reach (1.6 mix, ``paced_stations`` stations; empty: no such runs).
    calibration_work_us: tuple[float, ...] = (10.0, 20.0, 40.0)
    ceiling_work_us: float = 0.0
    noisy_percent: float = 40.0  # other programs' CPU during a window that makes it worth repeating
    attempts: int = 2


QUICK = Plan(
    stations=(20, 200),
    paced_stations=200,
    calibration_work_us=(20.0,),
    warmup=2.0,
    window=4.0,
    idle_stations=2000,
    idle_settle=2.0,
    quiet_wait=10.0,
    attempts=1,
)


@dataclass
class Outcome:
    """One run's figures (or why there are none), JSON-ready through ``vars``."""

    kind: str  # "busy" or "idle"
    server: str
    stations: int
    mix: str = ""
    status: str = "ok"
    figures: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def _percentile(ordered: list[int], fraction: float) -> float:
    """Nearest-rank percentile of an ascending list of microseconds, in milliseconds."""
    if not ordered:
        return math.nan
    rank = min(len(ordered) - 1, max(0, math.ceil(fraction * len(ordered)) - 1))
    return ordered[rank] / 1000


def _merge(results: list[dict[str, Any]]) -> dict[str, Any]:
    by_action: dict[str, list[int]] = {}
    for result in results:
        for action, values in result["latencies_us"].items():
            by_action.setdefault(action, []).extend(values)
    every = sorted(v for values in by_action.values() for v in values)
    window = max(r["window_seconds"] for r in results)
    calls = sum(r["calls"] for r in results)
    failures: dict[str, int] = {}
    dropped: dict[str, int] = {}
    errors: dict[str, int] = {}
    for result in results:
        for source, target in (
            (result["connect_failures"], failures),
            (result["dropped"], dropped),
            (result["error_codes"], errors),
        ):
            for key, count in source.items():
                target[key] = target.get(key, 0) + count
    per_action = {}
    for action, values in sorted(by_action.items()):
        values.sort()
        per_action[action] = {
            "calls": len(values),
            "p50_ms": _percentile(values, 0.50),
            "p99_ms": _percentile(values, 0.99),
        }
    return {
        "connected": sum(r["connected"] for r in results),
        "window_seconds": window,
        "calls": calls,
        "calls_per_second": calls / window if window else 0.0,
        "p50_ms": _percentile(every, 0.50),
        "p99_ms": _percentile(every, 0.99),
        "max_ms": every[-1] / 1000 if every else math.nan,
        "errors": sum(r["errors"] for r in results),
        "error_codes": errors,
        "connect_failures": failures,
        "dropped": dropped,
        "timeouts": sum(r["timeouts"] for r in results),
        "generator_cpu_percent": 100 * sum(r["generator_cpu_seconds"] for r in results) / window
        if window
        else 0,
        "per_action": per_action,
    }


async def _start(kind: str, plan: Plan) -> ServerProcess:
    if kind == "opencsms":
        return await start_opencsms((ID_TAG,), list(plan.opencsms_command) or None)
    return await start_ceiling(plan.ceiling_work_us)


def _machine_cpu_seconds() -> float:
    """CPU time the whole machine has spent busy, all cores together."""
    times = psutil.cpu_times()
    # guest time is already inside user time, and steal is not this machine's work
    busy = ("user", "nice", "system", "irq", "softirq")
    return float(sum(getattr(times, name, 0.0) for name in busy))


async def _wait_for_quiet_machine(plan: Plan) -> float:
    """Wait (at most ``plan.quiet_wait`` s) until other programs use < ``plan.quiet_percent`` of a core.

    The machine may be shared; a run measured while something else computes is not comparable.
    Returns the machine's last measured CPU use, in % of one core.
    """
    deadline = time.monotonic() + plan.quiet_wait
    while True:
        before = _machine_cpu_seconds()
        await asyncio.sleep(1.0)
        busy = 100 * (_machine_cpu_seconds() - before)
        if busy < plan.quiet_percent or time.monotonic() > deadline:
            return busy


def _log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


async def busy_run(kind: str, mix: str, stations: int, plan: Plan) -> Outcome:
    """Stations cycling ``mix`` against a fresh ``kind`` server: warm-up, then the measured window."""
    outcome = Outcome("busy", kind, stations, mix)
    busy_before = await _wait_for_quiet_machine(plan)
    if busy_before >= plan.quiet_percent:
        outcome.notes.append(f"the machine was busy before the run ({busy_before:.0f}% of a core)")
    try:
        server = await _start(kind, plan)
    except ServerDidNotStart as exc:
        outcome.status = "did not start"
        outcome.notes.append(str(exc))
        return outcome
    pool = WorkerPool()
    try:
        rss_before = server.rss()
        ramp_timeout = stations / plan.connect_rate * 4 + 60
        specs = split(
            stations,
            1 if stations < 1000 else 2,
            first_address=11,
            connect_rate=plan.connect_rate,
            mix=mix,
            client=plan.client,
            think_ms=plan.think_ms,
        )
        await pool.start(server.url, specs, max_seconds=ramp_timeout + plan.warmup + plan.window + 120)
        ramp_started = time.perf_counter()
        await pool.connected(ramp_timeout)
        ramp_seconds = time.perf_counter() - ramp_started
        await pool.go()
        await asyncio.sleep(plan.warmup)
        cpu_before, machine_before = server.cpu_seconds(), _machine_cpu_seconds()
        wall_before = time.perf_counter()
        await pool.start_window()
        await asyncio.sleep(plan.window)
        results = await pool.stop_window()
        server_cpu = server.cpu_seconds() - cpu_before
        machine_cpu = _machine_cpu_seconds() - machine_before
        wall = time.perf_counter() - wall_before
        rss = server.rss()
        figures = _merge(results)
        generator_cpu = sum(r["generator_cpu_seconds"] for r in results)
        figures.update(
            ramp_seconds=ramp_seconds,
            server_cpu_percent=100 * server_cpu / wall,
            other_cpu_percent=100 * max(0.0, machine_cpu - server_cpu - generator_cpu) / wall,
            server_rss_mib=rss / 2**20,
            server_rss_per_station_kib=(rss - rss_before) / 1024 / max(figures["connected"], 1),
        )
        outcome.figures = figures
    except WorkerFailed as exc:
        outcome.status = "load generator failed"
        outcome.notes.append(str(exc))
    except psutil.Error as exc:  # the server process vanished
        outcome.status = "server failed"
        outcome.notes.append(f"{exc}; log:\n{server.log_tail()}")
    finally:
        await pool.quit()
        outcome.notes.extend(server.notes)
        if server.popen.poll() is not None:
            outcome.notes.append(f"server exited during the run; log:\n{server.log_tail()}")
        await server.stop()
    return outcome


async def idle_run(kind: str, stations: int, plan: Plan) -> Outcome:
    """Stations that connect, boot and stay silent: the server's RSS growth per connection.

    A first batch warms the server's code paths; the figure is the RSS growth from after the
    warm batch to after all the others have connected and settled, divided by their number.
    """
    outcome = Outcome("idle", kind, stations)
    busy_before = await _wait_for_quiet_machine(plan)
    if busy_before >= plan.quiet_percent:
        outcome.notes.append(f"the machine was busy before the run ({busy_before:.0f}% of a core)")
    try:
        server = await _start(kind, plan)
    except ServerDidNotStart as exc:
        outcome.status = "did not start"
        outcome.notes.append(str(exc))
        return outcome
    warm, rest = WorkerPool(), WorkerPool()
    try:
        await asyncio.sleep(1)
        rss_cold = server.rss()
        warm_count = min(IDLE_WARM_STATIONS, stations // 10)
        rest_count = stations - warm_count
        max_seconds = stations / plan.connect_rate * 4 + 180
        await warm.start(
            server.url,
            split(
                warm_count,
                1,
                first_address=30,
                connect_rate=500,
                idle=True,
                prefix="WARM",
                client=plan.client,
            ),
            max_seconds,
        )
        await warm.connected(60)
        await asyncio.sleep(plan.idle_settle)
        rss_before = server.rss()
        workers = max(1, math.ceil(rest_count / STATIONS_PER_IDLE_WORKER))
        specs = split(
            rest_count,
            workers,
            first_address=31,
            connect_rate=plan.connect_rate,
            idle=True,
            prefix="IDLE",
            client=plan.client,
        )
        ramp_started = time.perf_counter()
        await rest.start(server.url, specs, max_seconds)
        reports = await rest.connected(max_seconds)
        ramp_seconds = time.perf_counter() - ramp_started
        connected = sum(r["connected"] for r in reports)
        await asyncio.sleep(plan.idle_settle)
        cpu_before, wall_before = server.cpu_seconds(), time.perf_counter()
        await asyncio.sleep(plan.idle_settle)
        idle_cpu = 100 * (server.cpu_seconds() - cpu_before) / (time.perf_counter() - wall_before)
        rss_after = server.rss()
        failures: dict[str, int] = {}
        for report in reports:
            for key, count in report["failures"].items():
                failures[key] = failures.get(key, 0) + count
        outcome.figures = {
            "connected": connected + warm_count,
            "measured_connections": connected,
            "connect_failures": failures,
            "ramp_seconds": ramp_seconds,
            "server_rss_cold_mib": rss_cold / 2**20,
            "server_rss_before_mib": rss_before / 2**20,
            "server_rss_after_mib": rss_after / 2**20,
            "kib_per_connection": (rss_after - rss_before) / 1024 / max(connected, 1),
            "idle_cpu_percent": idle_cpu,
        }
    except WorkerFailed as exc:
        outcome.status = "load generator failed"
        outcome.notes.append(str(exc))
    except psutil.Error as exc:  # the server process vanished
        outcome.status = "server failed"
        outcome.notes.append(f"{exc}; log:\n{server.log_tail()}")
    finally:
        await rest.quit()
        await warm.quit()
        outcome.notes.extend(server.notes)
        await server.stop()
    return outcome


async def _busy_with_retries(kind: str, mix: str, stations: int, plan: Plan) -> Outcome:
    """A busy run, repeated (up to ``plan.attempts`` times) while other programs disturbed it."""
    best: Outcome | None = None
    for attempt in range(1, plan.attempts + 1):
        _log(
            f"{mix} mix, {stations} busy stations -> {kind}"
            + (f" (attempt {attempt})" if attempt > 1 else "")
        )
        outcome = await busy_run(kind, mix, stations, plan)
        _log(f"  {outcome.status}: " + _brief(outcome))
        if outcome.status != "ok":
            return best or outcome
        other = outcome.figures["other_cpu_percent"]
        if best is None or other < best.figures["other_cpu_percent"]:
            best = outcome
        if other < plan.noisy_percent:
            break
    assert best is not None
    if best.figures["other_cpu_percent"] >= plan.noisy_percent:
        best.notes.append(
            f"other programs used {best.figures['other_cpu_percent']:.0f}% of a core during the best of "
            f"{plan.attempts} attempts; the figures are disturbed"
        )
    return best


async def run(plan: Plan, *, busy: bool, idle: bool) -> list[Outcome]:
    outcomes = []
    if busy:
        for mix in plan.mixes:
            for stations in plan.stations:
                for kind in plan.servers:
                    outcomes.append(await _busy_with_retries(kind, mix, stations, plan))
        if plan.paced_think_ms and plan.paced_stations in plan.stations:
            paced = replace(plan, think_ms=plan.paced_think_ms)
            for mix in plan.mixes:
                for kind in plan.servers:
                    outcome = await _busy_with_retries(kind, mix, plan.paced_stations, paced)
                    outcome.kind = "paced"
                    outcome.figures["think_ms"] = plan.paced_think_ms
                    outcomes.append(outcome)
        if "ceiling" in plan.servers and "1.6" in plan.mixes and plan.paced_stations in plan.stations:
            for work_us in plan.calibration_work_us:
                working = replace(plan, ceiling_work_us=work_us)
                _log(f"the ceiling with {work_us:g} µs of work per call:")
                outcome = await _busy_with_retries("ceiling", "1.6", plan.paced_stations, working)
                outcome.kind = "calibration"
                outcome.figures["work_us"] = work_us
                outcomes.append(outcome)
    if idle:
        for kind in plan.idle_servers:
            if kind not in plan.servers:
                continue
            _log(f"{plan.idle_stations} idle stations -> {kind}")
            outcome = await idle_run(kind, plan.idle_stations, plan)
            _log(f"  {outcome.status}: " + _brief(outcome))
            outcomes.append(outcome)
    return outcomes


def _brief(outcome: Outcome) -> str:
    f = outcome.figures
    if outcome.kind == "busy" and f:
        return (
            f"{f['calls_per_second']:.0f} calls/s, p50 {f['p50_ms']:.1f} ms, p99 {f['p99_ms']:.1f} ms, "
            f"server CPU {f['server_cpu_percent']:.0f}%, errors {f['errors']}"
        )
    if outcome.kind == "idle" and f:
        return f"{f['measured_connections']} connections, {f['kib_per_connection']:.1f} KiB each"
    return "; ".join(outcome.notes)[:2000]


def _command(text: str | None) -> tuple[str, ...]:
    """``--opencsms`` split into words, relative paths made absolute (servers run in a temp dir)."""
    words = shlex.split(text or "")
    return tuple(str(Path(w).absolute()) if "/" in w and Path(w).exists() else w for w in words)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.run", description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="small station counts and short windows")
    parser.add_argument("--only", metavar="N|idle", help="one busy station count, or only the idle test")
    parser.add_argument("--mixes", default=",".join(MIXES), help=f"comma-separated, of {', '.join(MIXES)}")
    parser.add_argument("--servers", default="ceiling,opencsms", help="comma-separated: ceiling, opencsms")
    parser.add_argument("--idle-stations", type=int, default=None)
    parser.add_argument("--window", type=float, default=None, help="measured seconds per run")
    parser.add_argument("--think-ms", type=float, default=0.0, help="busy stations pause after each answer")
    parser.add_argument(
        "--paced-think-ms",
        type=float,
        default=None,
        help="pause of the below-saturation run's stations after each answer (0: no such run)",
    )
    parser.add_argument(
        "--calibration-us",
        default=None,
        help="comma-separated µs of work per call for the ceiling's calibration runs ('' for none)",
    )
    parser.add_argument("--client", choices=["picows", "websockets"], default="picows")
    parser.add_argument("--opencsms", default=None, help="command that runs opencsms (default: the venv's)")
    parser.add_argument("--output", default=None, help="report path, '-' for stdout")
    parser.add_argument("--json", default=None, help="also write the raw figures to this path")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    open_files = raise_open_files_limit()
    plan = QUICK if args.quick else Plan()
    plan = replace(
        plan,
        mixes=tuple(m for m in args.mixes.split(",") if m),
        servers=tuple(s for s in args.servers.split(",") if s),
        client=args.client,
        think_ms=args.think_ms,
        opencsms_command=_command(args.opencsms),
    )
    if args.window is not None:
        plan = replace(plan, window=args.window)
    if args.paced_think_ms is not None:
        plan = replace(plan, paced_think_ms=args.paced_think_ms)
    if args.calibration_us is not None:
        plan = replace(plan, calibration_work_us=tuple(float(w) for w in args.calibration_us.split(",") if w))
    busy, idle = True, True
    if args.only == "idle":
        busy = False
    elif args.only is not None:
        plan = replace(plan, stations=(int(args.only),))
        idle = False
    notes = []
    idle_stations = args.idle_stations or plan.idle_stations
    if idle and idle_stations > open_files - FD_MARGIN:
        notes.append(
            f"The idle test asked for {idle_stations:,} stations, but this machine's hard limit on open "
            f"files per process is {open_files:,}, so it ran {open_files - FD_MARGIN:,}."
        )
        idle_stations = open_files - FD_MARGIN
    plan = replace(plan, idle_stations=idle_stations)
    started = datetime.now(UTC)
    outcomes = asyncio.run(run(plan, busy=busy, idle=idle))
    command = shlex.join(["python", "-m", "benchmarks.run", *(sys.argv[1:] if argv is None else argv)])
    meta = {"command": command, "started": started, "plan": plan, "notes": notes, "open_files": open_files}
    report = render(outcomes, meta)
    output = args.output or ("-" if (args.quick or args.only) else str(DOCS))
    if output == "-":
        print(report)
    else:
        Path(output).write_text(keeping_sections(report, Path(output)))
        _log(f"wrote {output}")
    if args.json:
        data = [vars(o) for o in outcomes]
        Path(args.json).write_bytes(
            orjson.dumps(
                {"meta": {**meta, "plan": vars(plan)}, "outcomes": data},
                option=orjson.OPT_INDENT_2,
                default=str,
            )
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
