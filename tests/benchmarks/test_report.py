"""The benchmark report: the run below saturation gets its own section and a comparison row."""

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
