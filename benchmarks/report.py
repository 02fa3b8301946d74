"""The benchmark report (docs/benchmarks.md), rendered from the runs' outcomes."""

from __future__ import annotations

import itertools
import math
import os
import platform
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any

import psutil

from benchmarks.mixes import ID_TAG, MIXES

if TYPE_CHECKING:
    from benchmarks.run import Outcome

TARGET_STATIONS = 1000
TARGET_RATIO = 0.5
TARGET_P99_MS = 100.0
TARGET_IDLE_KIB = 30.0


def machine() -> dict[str, str]:
    cpu = "unknown"
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    system = platform.platform()
    os_release = Path("/etc/os-release")
    if os_release.exists():
        for line in os_release.read_text().splitlines():
            if line.startswith("PRETTY_NAME="):
                system = f"{line.split('=', 1)[1].strip(chr(34))}, Linux {platform.release()}"
    versions = []
    for package in ("opencsms", "websockets", "uvloop", "orjson", "picows", "SQLAlchemy", "aiosqlite"):
        try:
            versions.append(f"{package} {metadata.version(package)}")
        except metadata.PackageNotFoundError:
            continue
    return {
        "CPU": cpu,
        "cores": str(os.cpu_count()),
        "RAM": f"{psutil.virtual_memory().total / 2**30:.1f} GiB",
        "Python": f"{platform.python_implementation()} {platform.python_version()}",
        "OS": system,
        "libraries": ", ".join(versions),
    }


def _number(value: float, digits: int = 0) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    return f"{value:,.{digits}f}"


def _find(
    outcomes: list[Outcome], kind: str, server: str, stations: int | None = None, mix: str = ""
) -> Outcome | None:
    for outcome in outcomes:
        if (
            outcome.kind == kind
            and outcome.server == server
            and (stations is None or outcome.stations == stations)
            and outcome.mix == mix
            and outcome.status == "ok"
        ):
            return outcome
    return None


def _ratio(outcomes: list[Outcome], outcome: Outcome) -> float | None:
    ceiling = _find(outcomes, "busy", "ceiling", outcome.stations, outcome.mix)
    if outcome.server == "ceiling" or ceiling is None or not ceiling.figures["calls_per_second"]:
        return None
    return float(outcome.figures["calls_per_second"] / ceiling.figures["calls_per_second"])


def _verdict(met: bool) -> str:
    return "**yes**" if met else "**no**"


def _targets(outcomes: list[Outcome]) -> list[str]:
    at = f"1.6 mix, {TARGET_STATIONS:,} busy stations"
    rows: list[list[str]] = []
    busy = _find(outcomes, "busy", "opencsms", TARGET_STATIONS, "1.6")
    ratio = _ratio(outcomes, busy) if busy else None
    goal = f"{at}: calls/s >= {TARGET_RATIO:.0%} of the ceiling, with validation and durable storage"
    if busy is not None and ratio is not None:
        calls = _number(busy.figures["calls_per_second"])
        rows.append([goal, f"{ratio:.0%} ({calls} calls/s)", _verdict(ratio >= TARGET_RATIO)])
    else:
        rows.append([goal, "not measured", "-"])
    goal = f"{at}: p99 latency < {TARGET_P99_MS:.0f} ms"
    if busy is not None:
        p99 = busy.figures["p99_ms"]
        rows.append([goal, f"{_number(p99, 1)} ms", _verdict(p99 < TARGET_P99_MS)])
    else:
        rows.append([goal, "not measured", "-"])
    paced = _find(outcomes, "paced", "opencsms", TARGET_STATIONS, "1.6")
    if paced is not None:
        goal = (
            f"(for comparison, not a target) 1.6 mix, {TARGET_STATIONS:,} stations pausing "
            f"{paced.figures['think_ms']:g} ms after each answer: p99 latency < {TARGET_P99_MS:.0f} ms"
        )
        p99 = paced.figures["p99_ms"]
        calls = _number(paced.figures["calls_per_second"])
        rows.append([goal, f"{_number(p99, 1)} ms ({calls} calls/s)", _verdict(p99 < TARGET_P99_MS)])
    goal = f"server memory per idle connection < {TARGET_IDLE_KIB:.0f} KiB"
    idle = _find(outcomes, "idle", "opencsms")
    if idle is not None:
        kib = idle.figures["kib_per_connection"]
        measured = f"{_number(kib, 1)} KiB ({idle.figures['connected']:,} stations)"
        rows.append([goal, measured, _verdict(kib < TARGET_IDLE_KIB)])
    else:
        rows.append([goal, "not measured", "-"])
    return _table(["target", "measured", "met"], "lll", rows)


def _table(header: list[str], align: str, rows: list[list[str]]) -> list[str]:
    """A markdown table; ``align`` has one letter per column, ``l`` or ``r``."""
    rule = ["---:" if a == "r" else "---" for a in align]
    return ["| " + " | ".join(cells) + " |" for cells in (header, rule, *rows)]


def _busy_table(outcomes: list[Outcome], mix: str) -> list[str]:
    header = [
        "stations",
        "server",
        "calls/s",
        "vs ceiling",
        "p50 ms",
        "p99 ms",
        "server CPU",
        "server RSS MiB",
        "RSS growth / station KiB",
        "generator CPU",
        "other CPU",
        "errors",
    ]
    rows = []
    for outcome in outcomes:
        if outcome.kind != "busy" or outcome.mix != mix:
            continue
        if outcome.status != "ok":
            rows.append([f"{outcome.stations:,}", outcome.server, outcome.status, *[""] * (len(header) - 3)])
            continue
        f = outcome.figures
        ratio = _ratio(outcomes, outcome)
        rows.append(
            [
                f"{outcome.stations:,}",
                outcome.server,
                _number(f["calls_per_second"]),
                "-" if ratio is None else f"{ratio:.0%}",
                _number(f["p50_ms"], 1),
                _number(f["p99_ms"], 1),
                f"{_number(f['server_cpu_percent'])}%",
                _number(f["server_rss_mib"]),
                _number(f["server_rss_per_station_kib"], 1),
                f"{_number(f['generator_cpu_percent'])}%",
                f"{_number(f['other_cpu_percent'])}%",
                f"{f['errors']:,}",
            ]
        )
    return _table(header, "rl" + "r" * (len(header) - 2), rows)


def _paced_table(outcomes: list[Outcome]) -> list[str]:
    header = ["mix", "stations", "server", "calls/s", "p50 ms", "p99 ms", "server CPU", "errors"]
    rows = []
    for outcome in outcomes:
        if outcome.status != "ok":
            rows.append([outcome.mix, f"{outcome.stations:,}", outcome.server, outcome.status, *[""] * 4])
            continue
        f = outcome.figures
        rows.append(
            [
                outcome.mix,
                f"{outcome.stations:,}",
                outcome.server,
                _number(f["calls_per_second"]),
                _number(f["p50_ms"], 1),
                _number(f["p99_ms"], 1),
                f"{_number(f['server_cpu_percent'])}%",
                f"{f['errors']:,}",
            ]
        )
    return _table(header, "lrlrrrrr", rows)


def _calibration_table(runs: list[Outcome], plain: Outcome | None) -> list[str]:
    """The ceiling with work added per call, each against the plain ceiling of the same run."""
    header = ["work per call", "calls/s", "share of the plain ceiling", "server CPU"]
    base = 0.0
    rows = [["none (the ceiling)", "not measured", "-", "-"]]
    if plain is not None:
        base = float(plain.figures["calls_per_second"])
        cpu = f"{_number(plain.figures['server_cpu_percent'])}%"
        rows = [["none (the ceiling)", _number(base), "100%", cpu]]
    for outcome in sorted(runs, key=lambda o: float(o.figures.get("work_us", 0.0))):
        work = f"{outcome.figures.get('work_us', 0):g} µs"
        if outcome.status != "ok":
            rows.append([work, outcome.status, "-", "-"])
            continue
        calls = float(outcome.figures["calls_per_second"])
        share = f"{calls / base:.0%}" if base else "-"
        rows.append([work, _number(calls), share, f"{_number(outcome.figures['server_cpu_percent'])}%"])
    return _table(header, "lrrr", rows)


def _per_action(outcome: Outcome) -> list[str]:
    rows = [
        [action, f"{f['calls']:,}", _number(f["p50_ms"], 1), _number(f["p99_ms"], 1)]
        for action, f in outcome.figures["per_action"].items()
    ]
    return _table(["step", "calls", "p50 ms", "p99 ms"], "lrrr", rows)


def _idle_table(outcomes: list[Outcome]) -> list[str]:
    header = [
        "server",
        "idle stations",
        "RSS empty MiB",
        "RSS before MiB",
        "RSS after MiB",
        "KiB / connection",
        "server CPU while idle",
    ]
    rows = []
    for outcome in outcomes:
        if outcome.kind != "idle":
            continue
        if outcome.status != "ok":
            rows.append([outcome.server, outcome.status, *[""] * (len(header) - 2)])
            continue
        f = outcome.figures
        rows.append(
            [
                outcome.server,
                f"{f['connected']:,}",
                _number(f["server_rss_cold_mib"]),
                _number(f["server_rss_before_mib"]),
                _number(f["server_rss_after_mib"]),
                _number(f["kib_per_connection"], 1),
                f"{_number(f['idle_cpu_percent'], 1)}%",
            ]
        )
    return _table(header, "l" + "r" * (len(header) - 1), rows)


def _problems(outcomes: list[Outcome]) -> list[str]:
    lines: list[str] = []
    for outcome in outcomes:
        f = outcome.figures
        mix = f"{outcome.mix} " if outcome.mix else ""
        label = f"{outcome.kind} {mix}{outcome.stations:,} -> {outcome.server}"
        details = []
        for key in ("connect_failures", "dropped", "error_codes"):
            if f.get(key):
                counts = ", ".join(f"{name} x{count}" for name, count in f[key].items())
                details.append(f"{key.replace('_', ' ')}: {counts}")
        if f.get("timeouts"):
            details.append(f"{f['timeouts']} calls timed out")
        if outcome.kind == "busy" and f and f["connected"] < outcome.stations:
            details.append(f"only {f['connected']:,} of {outcome.stations:,} stations connected")
        details.extend(note.replace("\n", "\n    ") for note in outcome.notes)
        lines.extend(f"- {label}: {detail}" for detail in details)
    return lines


METHOD = """\
## What is measured

Each busy station connects, sends one BootNotification, then repeats its mix's session {pacing}.
The load generator (`benchmarks/load.py`: {client} and orjson, payloads built from templates) runs in
processes of its own (one below 1,000 stations, two from 1,000). It opens connections gradually (at most
{rate:,.0f} a second) and lets stations start cycling only once all are connected; the load then runs
{warmup:.0f} s before {window:.0f} s are measured. A call counts when its answer arrives inside the window;
its latency runs from just before the CALL is serialized to just after the answer is parsed, so it includes
the generator's own scheduling delay.

Server CPU is the server process's user + system time over the window (100% = one core; the store's
threads count too), generator CPU the same for the load processes, other CPU the rest of the machine
(other programs and the kernel's share of loopback networking). The machine may be shared: each run waits
for it to be quiet first, and a busy run disturbed by other programs is repeated once, keeping the quieter
attempt. Even so, on a shared virtual machine repeated runs differ (the ceiling by up to a third at 1,000
stations): compare figures of one run, not across runs. RSS is read at the end of the window; its growth
per station is counted from the empty server, so it includes warm-up allocations (caches, compiled
schemas) and means little at small station counts.

The **ceiling** (`benchmarks/ceiling.py`) is the same websockets server stack with uvloop and orjson
answering each CALL with a prebuilt result: no validation, no storage. **opencsms** is `opencsms serve`
with default settings and a fresh SQLite database in a temporary directory, the stations' id tag
`{id_tag}` added as Accepted beforehand; it validates every message against the OCPP schemas and answers
a transaction message only once it is durable.

The load is closed: each station has one call outstanding, so with no think time the mean latency is
stations / throughput (Little's law). At many stations the p99 says more about throughput than about the
server's own time per call; the smallest station count shows the latter best. By the same law, a p99
under 100 ms at 1,000 busy stations needs well over 10,000 calls/s, more than the ceiling itself reaches
here; the run below saturation (stations pausing after each answer) shows the latency a station sees
when the server keeps up.
"""

PACED_METHOD = """\
The same stations and mixes, each station pausing {think_ms:g} ms on average after every answer (between
half and one and a half times that, and starting at a random point, so that stations do not call in
waves): the offered load stays below what the server can take, so the latency is mostly the server's own
time per call (validation, group commit with its fsync, the answer) rather than queueing. Real stations
send a message every few seconds at most, so even this is a heavy load.
"""

CALIBRATION_METHOD = """\
The ceiling again, on the 1.6 mix with {stations:,} busy stations, busy-waiting a fixed time on every CALL
before its answer (`python -m benchmarks.ceiling --work-us N`): a stand-in for a server that adds that much
work per call to the bare transport. Each microsecond of work costs more than a microsecond per call here,
because the transport's own cost per call grows as the server slows down (fewer messages per turn of the
event loop, more wake-ups of the load generator), so this table, not the work alone, says how much work a
share of the ceiling allows on this machine. opencsms validates every message, runs the domain and makes
every transaction message durable before its answer.
"""

IDLE_METHOD = """\
Stations connect, boot and stay silent (the server's WebSocket pings still run). The server's RSS is read
after a warm-up batch of stations and again after all the others have connected and settled; the growth
divided by their number is the memory per idle connection. The load generator spreads its connections over
several processes and source addresses (127.0.0.x) to stay clear of ephemeral port exhaustion.
"""


def render(outcomes: list[Outcome], meta: dict[str, Any]) -> str:
    plan = meta["plan"]
    lines = [
        "# Benchmarks",
        "",
        f"Measured {meta['started']:%Y-%m-%d %H:%M} UTC with `{meta['command']}` from the repository root",
        "(`make bench` runs `python -m benchmarks.run`). This page is written by that command.",
        "",
        "## Targets",
        "",
        *_targets(outcomes),
        "",
        "## Machine",
        "",
        *_table(["", ""], "ll", [[key, value] for key, value in machine().items()]),
        f"| open files per process | {meta['open_files']:,} (hard limit) |",
        "",
        METHOD.format(
            client=plan.client,
            rate=plan.connect_rate,
            warmup=plan.warmup,
            window=plan.window,
            id_tag=ID_TAG,
            pacing=(
                f"pausing {plan.think_ms:g} ms after each answer"
                if plan.think_ms
                else "with no think time: every CALL is sent as soon as the previous answer has arrived"
            ),
        ),
    ]
    for mix in MIXES.values():
        steps = ", ".join(_describe_cycle(mix.name))
        lines += [f"## OCPP {mix.name} mix", "", f"One BootNotification, then per session: {steps}.", ""]
        if any(o.kind == "busy" and o.mix == mix.name for o in outcomes):
            lines += _busy_table(outcomes, mix.name)
            detail = _find(outcomes, "busy", "opencsms", TARGET_STATIONS, mix.name)
            if detail is not None:
                lines += ["", f"opencsms per step, {TARGET_STATIONS:,} stations:", "", *_per_action(detail)]
        else:
            lines.append(f"Not run this time; `python -m benchmarks.run --mixes {mix.name}` runs it.")
        lines.append("")
    paced = [o for o in outcomes if o.kind == "paced"]
    if paced:
        think = next((o.figures["think_ms"] for o in paced if "think_ms" in o.figures), plan.paced_think_ms)
        lines += ["## Below saturation", "", PACED_METHOD.format(think_ms=think), *_paced_table(paced), ""]
    calibration = [o for o in outcomes if o.kind == "calibration"]
    if calibration:
        stations = calibration[0].stations
        plain = _find(outcomes, "busy", "ceiling", stations, "1.6")
        lines += [
            "## What the ceiling leaves for work",
            "",
            CALIBRATION_METHOD.format(stations=stations),
            *_calibration_table(calibration, plain),
            "",
        ]
    lines += ["## Idle connections", "", IDLE_METHOD]
    lines += _idle_table(outcomes) if any(o.kind == "idle" for o in outcomes) else ["Not run this time."]
    lines.append("")
    problems = _problems(outcomes)
    notes = list(meta.get("notes", []))
    if notes or problems:
        lines += ["## Notes", "", *(f"- {note}" for note in notes), *problems, ""]
    return "\n".join(lines)


def _describe_cycle(mix_name: str) -> list[str]:
    """The cycle's step names, runs of one step written ``10 x MeterValues``."""
    described = []
    for name, run in itertools.groupby(step.name for step in MIXES[mix_name].cycle):
        count = len(list(run))
        described.append(name if count == 1 else f"{count} x {name}")
    return described
