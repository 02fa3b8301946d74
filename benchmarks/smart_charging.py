"""Load manager cost: allocation time per change for 1,000 stations on one site.

A change is what makes the load manager re-allocate a site: a session starting or ending, a
meter value that changes what a session draws, a new limit. Each is one full allocation of the
site (``domain.load_management.allocate``), timed here on this machine for a flat site and for
the same stations split over a two-level circuit tree, with a mix of 1- and 3-phase sessions,
priorities and EVs drawing less than offered. The figures go into their own section of
docs/benchmarks.md (``python -m benchmarks.smart_charging``; ``--output -`` prints them).
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from collections.abc import Sequence
from pathlib import Path

from benchmarks.sections import with_section
from opencsms.domain.load_management import Circuit, Demand, NodeLimit, allocate

DOCS = Path(__file__).resolve().parent.parent / "docs" / "benchmarks.md"


def demands(stations: int, rng: random.Random, circuits: Sequence[Circuit]) -> list[Demand]:
    leaves = [c.id for c in circuits if c.parent is not None] or [None]
    found = []
    for n in range(stations):
        offered = rng.uniform(6, 32)
        slow = rng.random() < 0.2
        found.append(
            Demand(
                n,
                max_current=rng.choice((16.0, 32.0)),
                phases=1 if rng.random() < 0.1 else 3,
                priority=1 if rng.random() < 0.05 else 0,
                arrival=n,
                circuit=leaves[n % len(leaves)],
                offered_current=offered,
                measured_current=offered * rng.uniform(0.2, 0.5) if slow else offered,
            )
        )
    return found


def tree(groups: int) -> list[Circuit]:
    if groups == 0:
        return []
    halls = [Circuit(f"hall{h}", NodeLimit(amps=2_000.0)) for h in range(2)]
    rows = [Circuit(f"row{g}", NodeLimit(amps=350.0), parent=f"hall{g % 2}") for g in range(groups)]
    return [*halls, *rows]


def time_changes(stations: int, changes: int, groups: int, seed: int = 1) -> list[float]:
    """Seconds per allocation, each after one change (a session leaving and another arriving)."""
    rng = random.Random(seed)
    circuits = tree(groups)
    current = demands(stations, rng, circuits)
    site = NodeLimit(kw=1_000.0)  # 1 MW for 1,000 stations: the limit binds
    timings = []
    for change in range(changes):
        gone = rng.randrange(len(current))
        arriving = demands(1, rng, circuits)[0]
        current[gone] = Demand(stations + change, arriving.max_current, phases=arriving.phases,
                               arrival=stations + change, circuit=arriving.circuit)  # fmt: skip
        started = time.perf_counter()
        allocate(site, current, circuits=circuits)
        timings.append(time.perf_counter() - started)
    return timings


def report(stations: int, changes: int) -> str:
    lines = [
        "## Smart charging: load manager allocation",
        "",
        f"`python -m benchmarks.smart_charging`: {stations:,} stations on one site (1 MW limit), "
        f"{changes} changes, each a full re-allocation (`domain.load_management.allocate`).",
        "",
        "| site layout | median ms per change | p95 ms | max ms |",
        "| --- | ---: | ---: | ---: |",
    ]
    for name, groups in (("flat (grid connection only)", 0), ("2 halls, 20 circuits", 20)):
        timings = sorted(t * 1000 for t in time_changes(stations, changes, groups))
        p95 = timings[int(0.95 * (len(timings) - 1))]
        lines.append(f"| {name} | {statistics.median(timings):.1f} | {p95:.1f} | {timings[-1]:.1f} |")
    lines += [
        "",
        "Sending the changed limits (one SetChargingProfile per session whose limit moved) runs in the "
        "load manager's own tasks after the allocation and is not part of these figures.",
    ]
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stations", type=int, default=1_000)
    parser.add_argument("--changes", type=int, default=50)
    parser.add_argument("--output", default=str(DOCS), help="report path, '-' for stdout")
    args = parser.parse_args(argv)
    text = report(args.stations, args.changes)
    if args.output == "-":
        print(text)
    else:
        path = Path(args.output)
        path.write_text(with_section(path.read_text() if path.exists() else "", "smart-charging", text))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
