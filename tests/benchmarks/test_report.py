"""The benchmark report: the run below saturation and the calibrated ceilings get sections of their own."""

from __future__ import annotations

from datetime import UTC, datetime

from benchmarks.report import render
from benchmarks.run import Outcome, Plan


def _figures(calls: float, p99: float) -> dict[str, object]:
    return {
        "calls_per_second": calls,
        "p50_ms": p99 / 2,
        "p99_ms": p99,
        "server_cpu_percent": 50.0,
        "server_rss_mib": 100.0,
        "server_rss_per_station_kib": 10.0,
        "generator_cpu_percent": 10.0,
        "other_cpu_percent": 1.0,
        "errors": 0,
        "connected": 1000,
        "per_action": {},
    }


def test_a_paced_run_is_reported_apart_from_the_busy_targets() -> None:
    outcomes = [
        Outcome("busy", "ceiling", 1000, "1.6", figures=_figures(10_000, 150.0)),
        Outcome("busy", "opencsms", 1000, "1.6", figures=_figures(3_000, 500.0)),
        Outcome("paced", "opencsms", 1000, "1.6", figures={**_figures(1_900, 40.0), "think_ms": 500.0}),
    ]
    meta = {"command": "python -m benchmarks.run", "started": datetime.now(UTC), "plan": Plan()}
    meta["open_files"] = 1024
    report = render(outcomes, meta)
    targets = report.split("## Machine")[0]
    assert "| 1.6 mix, 1,000 busy stations: p99 latency < 100 ms | 500.0 ms | **no** |" in targets
    assert "(for comparison, not a target) 1.6 mix, 1,000 stations pausing 500 ms" in targets
    assert "| 40.0 ms (1,900 calls/s) | **yes** |" in targets
    section = report.split("## Below saturation")[1].split("## Idle connections")[0]
    assert "| 1.6 | 1,000 | opencsms | 1,900 | 20.0 | 40.0 | 50% | 0 |" in section
    busy_table = report.split("## OCPP 1.6 mix")[1].split("## OCPP 2.0.1 mix")[0]
    assert "1,900" not in busy_table


def test_the_ceiling_with_work_per_call_is_reported_against_the_plain_ceiling() -> None:
    outcomes = [
        Outcome("busy", "ceiling", 1000, "1.6", figures=_figures(40_000, 50.0)),
        Outcome("busy", "opencsms", 1000, "1.6", figures=_figures(8_000, 200.0)),
        Outcome("calibration", "ceiling", 1000, "1.6", figures={**_figures(10_000, 100.0), "work_us": 40.0}),
        Outcome("calibration", "ceiling", 1000, "1.6", figures={**_figures(18_000, 80.0), "work_us": 10.0}),
    ]
    meta = {"command": "python -m benchmarks.run", "started": datetime.now(UTC), "plan": Plan()}
    meta["open_files"] = 1024
    report = render(outcomes, meta)
    section = report.split("## What the ceiling leaves for work")[1].split("## Idle connections")[0]
    rows = [line for line in section.splitlines() if line.startswith(("| none", "| 10 ", "| 40 "))]
    assert rows == [
        "| none (the ceiling) | 40,000 | 100% | 50% |",
        "| 10 µs | 18,000 | 45% | 50% |",
        "| 40 µs | 10,000 | 25% | 50% |",
    ]
    busy_table = report.split("## OCPP 1.6 mix")[1].split("## OCPP 2.0.1 mix")[0]
    assert "18,000" not in busy_table and "10,000" not in busy_table
    targets = report.split("## Machine")[0]
    assert "20% (8,000 calls/s)" in targets  # against the plain ceiling only


def test_the_calibration_ceiling_process_is_told_its_work_per_call() -> None:
    """`--work-us` reaches the ceiling process's command line."""
    import asyncio

    from benchmarks import servers

    async def started() -> list[str]:
        server = await servers.start_ceiling(work_us=15)
        try:
            return list(server.process.cmdline())
        finally:
            await server.stop()

    command = asyncio.run(started())
    assert command[-2:] == ["--work-us", "15"]
