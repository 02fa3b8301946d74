"""Sites, circuits, which station is where, and price signals: stored, and read as a whole.

A site is a grid connection with a limit (amps per phase and/or kW), optionally a time-varying
limit and a measured other load (positive: a building; negative: solar feeding in).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from opencsms.domain.load_management import Circuit, NodeLimit
from opencsms.domain.price_scheduling import PriceSlot
from opencsms.store import Store
from opencsms.store import sites as rows


class SiteError(ValueError):
    """A site, circuit or assignment is invalid (the message says why)."""


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class Site:
    id: str
    limit: NodeLimit
    name: str | None = None
    #: (start, limit) pairs in time order: from each start on, that limit (a time-varying limit).
    limit_schedule: tuple[tuple[datetime, NodeLimit], ...] = ()
    other_load_kw: float = 0.0
    min_current_a: float = 6.0
    fail_safe_current_a: float = 6.0

    def limit_at(self, moment: datetime) -> NodeLimit:
        current = self.limit
        for start, limit in self.limit_schedule:
            if start > moment:
                break
            current = limit
        return current


@dataclass(frozen=True, slots=True)
class StationAssignment:
    """A station on a site: its points take up to ``max_current_a`` on ``phases`` phases."""

    station_id: str
    site_id: str
    circuit_id: str | None = None
    max_current_a: float = 32.0
    phases: int = 3
    priority: int = 0


@dataclass(frozen=True, slots=True)
class SiteLayout:
    """Everything the load manager needs about all sites."""

    sites: dict[str, Site] = field(default_factory=dict)
    circuits: dict[str, list[Circuit]] = field(default_factory=dict)  # by site
    assignments: dict[str, StationAssignment] = field(default_factory=dict)  # by station


def _limit_json(limit: NodeLimit) -> dict[str, float | None]:
    return {"limit_amps": limit.amps, "limit_kw": limit.kw}


def _check_limit(limit: NodeLimit, what: str) -> None:
    if limit.amps is None and limit.kw is None:
        raise SiteError(f"{what} needs limit_amps or limit_kw")
    if any(v is not None and v < 0 for v in (limit.amps, limit.kw)):
        raise SiteError(f"{what}: limits cannot be negative")


def _site(row: Any) -> Site:
    schedule = tuple(
        (
            datetime.fromisoformat(item["start"]),
            NodeLimit(item.get("limit_amps"), item.get("limit_kw")),
        )
        for item in row.limit_schedule or []
    )
    return Site(
        row.id,
        NodeLimit(row.limit_amps, row.limit_kw),
        row.name,
        schedule,
        row.other_load_kw or 0.0,
        row.min_current_a,
        row.fail_safe_current_a,
    )


class SiteService:
    """Stores sites, circuits, assignments and prices; ``on_change`` is called after each change."""

    def __init__(self, store: Store, *, clock: Callable[[], datetime] = _now) -> None:
        self._store = store
        self._clock = clock
        self.on_change: Callable[[], None] = lambda: None

    async def put_site(self, site: Site) -> None:
        """Raises SiteError: no limit, or a negative one."""
        _check_limit(site.limit, f"site {site.id}")
        for _, limit in site.limit_schedule:
            _check_limit(limit, f"site {site.id}'s schedule")
        if site.min_current_a < 0 or site.fail_safe_current_a < 0:
            raise SiteError("currents cannot be negative")
        values = {
            "id": site.id,
            "name": site.name,
            "limit_amps": site.limit.amps,
            "limit_kw": site.limit.kw,
            "limit_schedule": [
                {"start": start.isoformat(), **_limit_json(limit)} for start, limit in site.limit_schedule
            ]
            or None,
            "other_load_kw": site.other_load_kw,
            "min_current_a": site.min_current_a,
            "fail_safe_current_a": site.fail_safe_current_a,
            "created_at": self._clock(),
        }
        await self._store.write(lambda connection: rows.put_site(connection, values))
        self.on_change()

    async def delete_site(self, site_id: str) -> bool:
        deleted = await self._store.write(lambda connection: rows.delete_site(connection, site_id))
        self.on_change()
        return deleted > 0

    async def put_circuit(self, site_id: str, circuit: Circuit) -> None:
        """Raises SiteError: unknown site or parent, a cycle, or no limit."""
        _check_limit(circuit.limit, f"circuit {circuit.id}")
        layout = await self.layout()
        if site_id not in layout.sites:
            raise SiteError(f"no site {site_id}")
        others = {c.id: c for c in layout.circuits.get(site_id, []) if c.id != circuit.id}
        parent = circuit.parent
        seen = {circuit.id}
        while parent is not None:
            if parent in seen or parent not in others:
                raise SiteError(f"parent circuit {parent!r} is unknown on site {site_id} or makes a cycle")
            seen.add(parent)
            parent = others[parent].parent
        values = {
            "id": circuit.id,
            "site_id": site_id,
            "parent_id": circuit.parent,
            **_limit_json(circuit.limit),
        }
        await self._store.write(lambda connection: rows.put_circuit(connection, values))
        self.on_change()

    async def delete_circuit(self, circuit_id: str) -> bool:
        deleted = await self._store.write(lambda connection: rows.delete_circuit(connection, circuit_id))
        self.on_change()
        return deleted > 0

    async def assign(self, assignment: StationAssignment) -> None:
        """Raises SiteError: unknown site or circuit, or bad phases/current."""
        layout = await self.layout()
        if assignment.site_id not in layout.sites:
            raise SiteError(f"no site {assignment.site_id}")
        circuit_ids = {c.id for c in layout.circuits.get(assignment.site_id, [])}
        if assignment.circuit_id is not None and assignment.circuit_id not in circuit_ids:
            raise SiteError(f"no circuit {assignment.circuit_id} on site {assignment.site_id}")
        if assignment.phases not in (1, 2, 3) or assignment.max_current_a <= 0:
            raise SiteError("phases must be 1-3 and max_current_a positive")
        values = {
            "station_id": assignment.station_id,
            "site_id": assignment.site_id,
            "circuit_id": assignment.circuit_id,
            "max_current_a": assignment.max_current_a,
            "phases": assignment.phases,
            "priority": assignment.priority,
        }
        await self._store.write(lambda connection: rows.put_assignment(connection, values))
        self.on_change()

    async def unassign(self, station_id: str) -> bool:
        deleted = await self._store.write(lambda connection: rows.delete_assignment(connection, station_id))
        self.on_change()
        return deleted > 0

    async def layout(self) -> SiteLayout:
        site_rows, circuit_rows, assignment_rows = await self._store.read(
            lambda connection: (
                rows.all_sites(connection),
                rows.all_circuits(connection),
                rows.all_assignments(connection),
            )
        )
        layout = SiteLayout({row.id: _site(row) for row in site_rows})
        for row in circuit_rows:
            layout.circuits.setdefault(row.site_id, []).append(
                Circuit(row.id, NodeLimit(row.limit_amps, row.limit_kw), row.parent_id)
            )
        for row in assignment_rows:
            layout.assignments[row.station_id] = StationAssignment(
                row.station_id, row.site_id, row.circuit_id, row.max_current_a, row.phases, row.priority
            )
        return layout

    async def set_prices(
        self, site_id: str, slots: Sequence[PriceSlot], *, replace_all: bool = False
    ) -> None:
        """Replace the site's prices from the first new slot on (all, with ``replace_all``).

        Raises:
            SiteError: unknown site, or slots that overlap or have no length.
        """
        layout = await self.layout()
        if site_id not in layout.sites:
            raise SiteError(f"no site {site_id}")
        ordered = sorted(slots, key=lambda s: s.start)
        for slot in ordered:
            if slot.seconds <= 0:
                raise SiteError("a price slot needs a positive length")
            try:
                slot.end  # noqa: B018 - a slot ending after year 9999 cannot be stored
            except OverflowError:
                raise SiteError(f"the slot at {slot.start.isoformat()} ends too late") from None
        for earlier, later in itertools.pairwise(ordered):
            if later.start < earlier.end:
                raise SiteError(f"price slots overlap at {later.start.isoformat()}")
        values = [
            {"site_id": site_id, "starts_at": s.start, "slot_seconds": s.seconds, "price": s.price}
            for s in ordered
        ]
        since = None if replace_all or not ordered else ordered[0].start
        await self._store.write(lambda connection: rows.replace_prices(connection, site_id, values, since))
        self.on_change()

    async def prices(self, site_id: str) -> list[PriceSlot]:
        found = await self._store.read(lambda connection: rows.prices_of(connection, site_id))
        return [PriceSlot(row.starts_at, row.slot_seconds, row.price) for row in found]
