"""Site load management: share a grid connection among the charging sessions behind it.

Pure and deterministic. A site is a tree: the grid connection at the root, circuits below it (each
with its own limit), sessions at the leaves. Limits are amps per phase and/or kilowatts; a
three-phase session draws its current on every phase, a one-phase session on L1.

Allocation (``allocate``):

1. Each session may take up to its cap: its maximum current, or, when it draws clearly less than
   it was offered (its battery or onboard charger limits it), what it draws plus a headroom; so
   an EV that takes less than its share frees the rest for the others.
2. Sessions are admitted in order of priority, then arrival, as long as every node above them can
   still give every admitted session its minimum current (an EV below its minimum stops
   charging); the others get 0 (paused).
3. Priority levels are served from the highest: within a level the current rises equally for all
   (max-min fair), a session stops rising at its cap, and the sessions under a node that reaches
   its limit stop rising there while the others go on.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass, field

VOLTAGE_V = 230.0
_PRECISION_A = 0.1
SITE = "__site__"


@dataclass(frozen=True, slots=True)
class NodeLimit:
    """A grid connection's or circuit's limit: amps per phase and/or kW (None: unlimited)."""

    amps: float | None = None
    kw: float | None = None


@dataclass(frozen=True, slots=True)
class Circuit:
    id: str
    limit: NodeLimit
    parent: str | None = None  # None: directly under the grid connection


@dataclass(frozen=True, slots=True)
class Demand:
    """One charging session as the allocator sees it (currents in amps per phase)."""

    key: Hashable
    max_current: float
    min_current: float = 6.0
    phases: int = 3
    priority: int = 0
    arrival: float = 0.0
    circuit: str | None = None
    offered_current: float | None = None  # the limit it was last given
    measured_current: float | None = None  # what it draws now


@dataclass(frozen=True, slots=True)
class Allocation:
    currents: Mapping[Hashable, float]
    paused: tuple[Hashable, ...] = ()
    caps: Mapping[Hashable, float] = field(default_factory=dict)


def cap_of(demand: Demand, headroom: float) -> float:
    """How much the session may take: less than its maximum when it draws clearly less than offered."""
    cap = demand.max_current
    offered, measured = demand.offered_current, demand.measured_current
    if offered is not None and measured is not None and measured < offered - headroom:
        cap = min(cap, measured + headroom)
    return max(cap, demand.min_current) if cap > 0 else 0.0


class _Tree:
    """Node limits and, per session, the nodes above it (root first)."""

    def __init__(self, site: NodeLimit, circuits: Sequence[Circuit], other_load_kw: float) -> None:
        site_kw = None if site.kw is None else site.kw - other_load_kw
        site_amps = site.amps
        if site_amps is not None and other_load_kw:
            site_amps -= other_load_kw * 1000 / (3 * VOLTAGE_V)
        self.limits: dict[str, NodeLimit] = {SITE: NodeLimit(site_amps, site_kw)}
        parents: dict[str, str] = {}
        for circuit in circuits:
            self.limits[circuit.id] = circuit.limit
            parents[circuit.id] = circuit.parent or SITE
        self._parents = parents

    def path(self, circuit: str | None) -> tuple[str, ...]:
        """The nodes from the site down to ``circuit``. Raises ValueError: unknown or cyclic circuit."""
        nodes: list[str] = []
        node = circuit
        while node is not None and node != SITE:
            if node not in self._parents or node in nodes:
                raise ValueError(f"circuit {node!r} is unknown or part of a cycle")
            nodes.append(node)
            node = self._parents[node]
        return (SITE, *reversed(nodes))


class _Usage:
    """Per node: amps on L1, L2, L3 and kW, for a set of currents."""

    def __init__(self, tree: _Tree) -> None:
        self.tree = tree
        self.amps: dict[str, list[float]] = {node: [0.0, 0.0, 0.0] for node in tree.limits}
        self.kw: dict[str, float] = dict.fromkeys(tree.limits, 0.0)

    def add(self, path: tuple[str, ...], phases: int, current: float) -> None:
        kw = current * phases * VOLTAGE_V / 1000
        for node in path:
            amps = self.amps[node]
            amps[0] += current
            if phases >= 2:
                amps[1] += current
            if phases >= 3:
                amps[2] += current
            self.kw[node] += kw

    def over(self, nodes: Sequence[str] | None = None) -> list[str]:
        """The nodes above their limit (with a little tolerance for float sums)."""
        found = []
        for node in nodes if nodes is not None else self.tree.limits:
            limit = self.tree.limits[node]
            if (limit.amps is not None and max(self.amps[node]) > limit.amps + 1e-6) or (
                limit.kw is not None and self.kw[node] > limit.kw + 1e-9
            ):
                found.append(node)
        return found


def allocate(
    site: NodeLimit,
    demands: Sequence[Demand],
    *,
    circuits: Sequence[Circuit] = (),
    other_load_kw: float = 0.0,
    headroom: float = 2.0,
) -> Allocation:
    """The current (amps per phase) each session may draw now; see the module docstring.

    Raises:
        ValueError: a session names an unknown circuit, or the circuits form a cycle.
    """
    tree = _Tree(site, circuits, other_load_kw)
    paths = {d.key: tree.path(d.circuit) for d in demands}
    caps = {d.key: cap_of(d, headroom) for d in demands}
    order = sorted(demands, key=lambda d: (-d.priority, d.arrival))

    admitted: list[Demand] = []
    paused: list[Hashable] = []
    usage = _Usage(tree)
    for demand in order:
        if caps[demand.key] <= 0:
            paused.append(demand.key)
            continue
        usage.add(paths[demand.key], demand.phases, demand.min_current)
        if usage.over(paths[demand.key]):
            usage.add(paths[demand.key], demand.phases, -demand.min_current)
            paused.append(demand.key)
        else:
            admitted.append(demand)

    currents: dict[Hashable, float] = {d.key: d.min_current for d in admitted}
    for level in sorted({d.priority for d in admitted}, reverse=True):
        rising = [d for d in admitted if d.priority == level]
        while rising:
            level_current = _highest_feasible(tree, admitted, currents, rising, paths, caps)
            for demand in rising:
                currents[demand.key] = _clamp(level_current, demand, caps)
            probe = dict(currents)
            for demand in rising:
                probe[demand.key] = _clamp(level_current + _PRECISION_A, demand, caps)
            tight = set(_usage_of(tree, admitted, probe, paths).over())
            still = [
                d
                for d in rising
                if caps[d.key] > level_current + _PRECISION_A and not tight.intersection(paths[d.key])
            ]
            if len(still) == len(rising):  # nothing could rise further: done
                break
            rising = still
    floored = {key: math.floor(value * 10 + 1e-9) / 10 for key, value in currents.items()}
    return Allocation({**floored, **dict.fromkeys(paused, 0.0)}, tuple(paused), caps)


def _clamp(level: float, demand: Demand, caps: Mapping[Hashable, float]) -> float:
    return max(demand.min_current, min(caps[demand.key], level))


def _usage_of(
    tree: _Tree,
    admitted: Sequence[Demand],
    currents: Mapping[Hashable, float],
    paths: Mapping[Hashable, tuple[str, ...]],
) -> _Usage:
    usage = _Usage(tree)
    for demand in admitted:
        usage.add(paths[demand.key], demand.phases, currents[demand.key])
    return usage


def _highest_feasible(
    tree: _Tree,
    admitted: Sequence[Demand],
    currents: Mapping[Hashable, float],
    rising: Sequence[Demand],
    paths: Mapping[Hashable, tuple[str, ...]],
    caps: Mapping[Hashable, float],
) -> float:
    """The highest common current for ``rising`` (the others as in ``currents``) that fits every node."""

    def fits(level: float) -> bool:
        trial = dict(currents)
        for demand in rising:
            trial[demand.key] = _clamp(level, demand, caps)
        return not _usage_of(tree, admitted, trial, paths).over()

    # Search whole tenths of an amp: exact steps, so the result does not depend on float rounding.
    low = int(min(d.min_current for d in rising) * 10)
    high = math.ceil(max(caps[d.key] for d in rising) * 10)
    if fits(high / 10):
        return high / 10
    while high - low > 1:
        middle = (low + high) // 2
        if fits(middle / 10):
            low = middle
        else:
            high = middle
    return low / 10


def site_limit_at(base: NodeLimit, schedule: Sequence[tuple[float, NodeLimit]], offset_s: float) -> NodeLimit:
    """A time-varying limit: ``schedule`` holds (seconds from its start, limit) in order; before
    its first entry, and without one, ``base`` applies."""
    current = base
    for start, limit in schedule:
        if start > offset_s:
            break
        current = limit
    return current
