"""The load manager: keeps every site's charging within its limits, as sessions come and go.

It follows the domain events on the bus (sessions starting and ending, meter values, stations
coming online), works out each site's allocation with ``domain.load_management`` (and, for
sessions with a departure time and energy, the cheapest plan from ``domain.price_scheduling``)
and sends each session's limit as a TxProfile from its own tasks, never from a station's session
task. Every station on a site also gets a fail-safe TxDefaultProfile when it comes online, which
keeps new sessions at a safe current while the CSMS is unreachable. On start it rebuilds its
state from the running transactions, so it survives restarts.

Changes are coalesced: a burst of events makes one allocation per site. Reductions are sent
before increases, so that the sum stays under the limit while profiles travel.

In a cluster (``holds`` given) every node's manager follows every station's events, so each works
out the same allocations, and sends limits only to the stations whose connection its node holds.
A site change on one node reaches the others as a ``site.changed`` event.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

from opencsms.bus import EventBus, EventFilter, Subscription
from opencsms.domain import commands as c
from opencsms.domain.events import DomainEvent
from opencsms.domain.load_management import VOLTAGE_V, Allocation, Demand, allocate
from opencsms.domain.price_scheduling import ChargingPlan, plan_charging
from opencsms.domain.services import Domain
from opencsms.domain.sites import SiteLayout, StationAssignment

log = logging.getLogger(__name__)

#: Profiles the load manager owns: its TxProfile per EVSE and the fail-safe TxDefaultProfile.
TX_PROFILE_ID = 900_000
FAIL_SAFE_PROFILE_ID = 899_999
STACK_LEVEL = 90
# What a station on a site tells the allocation (transaction.updated carries the measured power).
_STATION_KINDS = frozenset(
    (
        "transaction.started",
        "transaction.updated",
        "transaction.ended",
        "station.connected",
        "station.registered",
    )
)
_INCREASE_STEP_A = 0.5  # smaller increases are not worth a message; decreases always are


def _utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(slots=True)
class ManagedSession:
    station_id: str
    evse_id: int
    transaction_id: str
    arrival: float
    offered_a: float | None = None
    measured_a: float | None = None
    measured_w: float | None = None
    plan: ChargingPlan | None = None
    plan_key: tuple[Any, ...] | None = None


@dataclass(slots=True)
class SiteState:
    """The last allocation of a site, for the API: what was planned and what is measured."""

    allocation: Allocation | None = None
    computed_at: datetime | None = None
    allocation_seconds: float = 0.0
    allocations: int = 0


@dataclass(slots=True)
class _Stats:
    allocations: int = 0
    allocation_seconds: float = 0.0
    profiles_sent: int = 0
    send_failures: int = 0
    per_site: dict[str, SiteState] = field(default_factory=dict)


class Gateway(Protocol):
    """What the manager sends through (``SessionManager.execute``)."""

    async def execute(
        self, station_id: str, command: c.Command, timeout: float | None = None
    ) -> c.CommandResult: ...


class LoadManager:
    def __init__(
        self,
        domain: Domain,
        gateway: Gateway,
        bus: EventBus,
        *,
        tick_seconds: float = 1.0,
        coalesce_seconds: float = 0.05,
        call_timeout: float = 10.0,
        clock: Callable[[], datetime] = _utc_now,
        holds: Callable[[str], bool] | None = None,
    ) -> None:
        self._domain = domain
        self._holds = holds
        self._gateway = gateway
        self._bus = bus
        self._tick = tick_seconds
        self._coalesce = coalesce_seconds
        self._timeout = call_timeout
        self._clock = clock
        self.layout = SiteLayout()
        self.sessions: dict[tuple[str, int], ManagedSession] = {}
        self.stats = _Stats()
        self._dirty: set[str] = set()
        self._wake = asyncio.Event()
        self._reload = True
        self._tasks: list[asyncio.Task[None]] = []
        self._sends: set[asyncio.Task[None]] = set()
        self._arrivals = 0
        self._followed: frozenset[str] = frozenset()
        self._stations_subscription: Subscription | None = None

    # -- lifecycle --------------------------------------------------------------------------------

    async def start(self) -> None:
        """Load the sites and running sessions, then follow events and re-allocate in the background."""
        if self._holds is not None:
            # In a cluster, other nodes announce their site changes.
            self._spawn_follower(self._bus.subscribe(EventFilter.of(["site.changed"]), max_queued=1000))
        self._domain.sites.on_change = self.sites_changed if self._holds is None else self._announce_change
        await self._load()
        loop = asyncio.get_running_loop()
        self._tasks += [
            loop.create_task(self._work(), name="load manager allocation"),
            loop.create_task(self._ticks(), name="load manager ticks"),
        ]

    async def close(self) -> None:
        self._follow_stations(frozenset())
        for task in [*self._tasks, *self._sends]:
            task.cancel()
        await asyncio.gather(*self._tasks, *self._sends, return_exceptions=True)

    def _follow_stations(self, stations: frozenset[str]) -> None:
        """Take the events of exactly these stations (those on a site): the rest of a fleet's
        events, meter values above all, are then offered to no load manager at all."""
        if stations == self._followed:
            return
        self._followed = stations
        if self._stations_subscription is not None:
            # Its follower handles the events it already holds, then ends.
            self._stations_subscription.close()
            self._stations_subscription = None
        if stations:
            self._stations_subscription = self._bus.subscribe(
                EventFilter(_STATION_KINDS, stations), max_queued=100_000
            )
            self._spawn_follower(self._stations_subscription)

    def _spawn_follower(self, subscription: Subscription) -> None:
        task = asyncio.get_running_loop().create_task(self._follow(subscription), name="load manager events")
        self._tasks = [t for t in self._tasks if not t.done()] + [task]

    def sites_changed(self) -> None:
        """Sites, circuits, assignments, prices or needs changed: reload and re-allocate everything."""
        self._reload = True
        self._wake.set()

    def _announce_change(self) -> None:
        self.sites_changed()
        self._bus.publish(DomainEvent("site.changed", "", {}))

    def _sends_to(self, station_id: str) -> bool:
        return self._holds is None or self._holds(station_id)

    async def _load(self) -> None:
        # Cleared before reading: a change made while the layout is read marks it again.
        self._reload = False
        try:
            self.layout = await self._domain.sites.layout()
            # Before the running sessions are read: a session starting meanwhile is not missed.
            self._follow_stations(frozenset(self.layout.assignments))
            running = await self._domain.transactions.list(active=True, limit=1_000_000)
        except BaseException:
            self._reload = True  # try again at the next wake-up
            raise
        for tx in running:
            if tx.station_id in self.layout.assignments:
                evse = tx.evse_id or tx.connector_id or 1
                key = (tx.station_id, evse)
                if key not in self.sessions:
                    self._arrivals += 1
                    self.sessions[key] = ManagedSession(
                        tx.station_id, evse, tx.transaction_ref, self._arrivals
                    )
        self._dirty |= set(self.layout.sites)
        self._wake.set()

    # -- events -----------------------------------------------------------------------------------

    async def _follow(self, subscription: Subscription) -> None:
        async for event in subscription:
            try:
                self.on_event(event)
            except Exception:
                log.exception("load manager: event %s failed", event.kind)

    def on_event(self, event: DomainEvent) -> None:
        """Take in one domain event (quick, no I/O)."""
        if event.kind == "site.changed":
            self.sites_changed()
            return
        assignment = self.layout.assignments.get(event.station_id)
        if assignment is None:
            return
        data = event.data
        if event.kind in ("station.registered", "station.connected"):
            accepted = data.get("registration_status", "Accepted") == "Accepted"
            v16_connect = event.kind == "station.connected" and data.get("ocpp_version") == "1.6"
            if accepted and not v16_connect and self._sends_to(event.station_id):
                # (a 1.6 station takes calls only once booted)
                self._send(self._fail_safe(assignment))
                self._mark(assignment.site_id)  # its sessions' limits may not have reached it
            return
        if event.kind == "transaction.ended":  # names the transaction, not its EVSE
            ref = data.get("transaction_ref") or str(data.get("transaction_id"))
            ended = [
                k for k, s in self.sessions.items() if k[0] == event.station_id and s.transaction_id == ref
            ]
            for key in ended:
                del self.sessions[key]
            if ended:
                self._mark(assignment.site_id)
            return
        evse = data.get("evse_id") or data.get("connector_id")
        if not isinstance(evse, int):
            return
        key = (event.station_id, evse)
        if event.kind == "transaction.started":
            self._arrivals += 1
            ref = data.get("transaction_ref") or str(data.get("transaction_id"))
            self.sessions[key] = ManagedSession(event.station_id, evse, str(ref), self._arrivals)
            self._mark(assignment.site_id)
        elif event.kind == "transaction.updated" and key in self.sessions:
            power = data.get("power_w")
            if isinstance(power, int | float):
                session = self.sessions[key]
                measured = power / (assignment.phases * VOLTAGE_V)
                previous = session.measured_a
                session.measured_w, session.measured_a = float(power), measured
                if previous is None or abs(measured - previous) >= 1.0:
                    self._mark(assignment.site_id)

    def _mark(self, site_id: str) -> None:
        self._dirty.add(site_id)
        self._wake.set()

    # -- allocation -------------------------------------------------------------------------------

    async def _ticks(self) -> None:
        """Time-varying limits and price plans change with the clock: look again every tick."""
        while True:
            await asyncio.sleep(self._tick)
            for site_id, site in self.layout.sites.items():
                if site.limit_schedule or any(s.plan is not None for s in self._sessions_of(site_id)):
                    self._mark(site_id)

    async def _work(self) -> None:
        while True:
            await self._wake.wait()
            await asyncio.sleep(self._coalesce)
            self._wake.clear()
            try:
                if self._reload:
                    await self._load()
                dirty, self._dirty = self._dirty, set()
                for site_id in sorted(dirty):
                    if site_id in self.layout.sites:
                        await self._plan(site_id)
                        await self._apply(site_id, self.allocate_site(site_id))
            except Exception:
                log.exception("load manager: allocation failed")

    def _sessions_of(self, site_id: str) -> list[ManagedSession]:
        assignments = self.layout.assignments
        return [
            s
            for s in self.sessions.values()
            if s.station_id in assignments and assignments[s.station_id].site_id == site_id
        ]

    async def _plan(self, site_id: str) -> None:
        """Price plans for the site's sessions that have a departure and an energy."""
        needs = {(n.station_id, n.evse_id): n for n in await self._domain.station_profiles.needs()}
        sessions = [s for s in self._sessions_of(site_id) if (s.station_id, s.evse_id) in needs]
        if not sessions:
            return
        slots = await self._domain.sites.prices(site_id)
        for session in sessions:
            need = needs[(session.station_id, session.evse_id)]
            key = (need.departure_time, need.energy_wh, session.transaction_id, len(slots))
            if need.departure_time is None or need.energy_wh is None or not slots or key == session.plan_key:
                continue
            assignment = self.layout.assignments[session.station_id]
            max_power = assignment.max_current_a * assignment.phases * VOLTAGE_V
            session.plan = plan_charging(
                slots,
                now=self._clock(),
                departure=need.departure_time,
                energy_wh=need.energy_wh,
                max_power_w=max_power,
            )
            session.plan_key = key

    def allocate_site(self, site_id: str) -> Allocation:
        """The site's allocation now, from the sessions and their measurements (pure computation)."""
        site = self.layout.sites[site_id]
        now = self._clock()
        demands = []
        for session in self._sessions_of(site_id):
            assignment = self.layout.assignments[session.station_id]
            demands.append(self._demand(session, assignment, site.min_current_a, now))
        started = time.perf_counter()
        allocation = allocate(
            site.limit_at(now),
            demands,
            circuits=self.layout.circuits.get(site_id, []),
            other_load_kw=site.other_load_kw,
        )
        elapsed = time.perf_counter() - started
        state = self.stats.per_site.setdefault(site_id, SiteState())
        state.allocation, state.computed_at = allocation, now
        state.allocation_seconds, state.allocations = elapsed, state.allocations + 1
        self.stats.allocations += 1
        self.stats.allocation_seconds += elapsed
        return allocation

    @staticmethod
    def _demand(
        session: ManagedSession, assignment: StationAssignment, min_current: float, now: datetime
    ) -> Demand:
        max_current = assignment.max_current_a
        if session.plan is not None:
            planned = session.plan.power_at(now)
            if planned is not None:
                max_current = min(max_current, planned / (assignment.phases * VOLTAGE_V))
        return Demand(
            (session.station_id, session.evse_id),
            max_current=max_current,
            min_current=min_current,
            phases=assignment.phases,
            priority=assignment.priority,
            arrival=session.arrival,
            circuit=assignment.circuit_id,
            offered_current=session.offered_a,
            measured_current=session.measured_a,
        )

    async def _apply(self, site_id: str, allocation: Allocation) -> None:
        """Send the changed limits: reductions first (and wait for them), then increases."""
        decreases, increases = [], []
        for key, current in allocation.currents.items():
            session = self.sessions.get(key) if isinstance(key, tuple) else None
            if session is None or not self._sends_to(session.station_id):
                continue
            offered = session.offered_a
            if offered is None or current < offered - 0.05:
                decreases.append((session, current))
            elif current >= offered + _INCREASE_STEP_A:
                increases.append((session, current))
        await asyncio.gather(*(self._set_limit(s, a) for s, a in decreases))
        await asyncio.gather(*(self._set_limit(s, a) for s, a in increases))

    async def _set_limit(self, session: ManagedSession, current: float) -> None:
        assignment = self.layout.assignments.get(session.station_id)
        if assignment is None:
            return
        profile = _single_limit_profile(TX_PROFILE_ID, "TxProfile", current, assignment.phases)
        command = c.SetChargingProfile(profile, evse_id=session.evse_id)
        try:
            result = await self._gateway.execute(session.station_id, command, self._timeout)
        except c.CommandError as exc:
            self.stats.send_failures += 1
            log.info("load manager: %s EVSE %d: %s", session.station_id, session.evse_id, exc)
            return
        if result.status == "Accepted":
            session.offered_a = current
            self.stats.profiles_sent += 1
        else:
            self.stats.send_failures += 1

    def _fail_safe(self, assignment: StationAssignment) -> Any:
        site = self.layout.sites.get(assignment.site_id)
        current = site.fail_safe_current_a if site else 6.0
        profile = _single_limit_profile(FAIL_SAFE_PROFILE_ID, "TxDefaultProfile", current, assignment.phases)
        return self._execute_quietly(assignment.station_id, c.SetChargingProfile(profile, evse_id=0))

    async def _execute_quietly(self, station_id: str, command: c.Command) -> None:
        with contextlib.suppress(c.CommandError):
            await asyncio.sleep(0.2)  # let the station finish its boot exchange
            await self._gateway.execute(station_id, command, self._timeout)

    def _send(self, coro: Any) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self._sends.add(task)
        task.add_done_callback(self._sends.discard)

    # -- views ------------------------------------------------------------------------------------

    def site_power(self, site_id: str) -> dict[str, Any]:
        """Planned (allocated) and measured power of a site, in total and per session."""
        sessions = []
        planned_total = measured_total = 0.0
        for session in self._sessions_of(site_id):
            assignment = self.layout.assignments[session.station_id]
            planned = (session.offered_a or 0.0) * assignment.phases * VOLTAGE_V
            planned_total += planned
            measured_total += session.measured_w or 0.0
            sessions.append(
                {
                    "station_id": session.station_id,
                    "evse_id": session.evse_id,
                    "transaction_id": session.transaction_id,
                    "limit_a": session.offered_a,
                    "planned_w": round(planned, 1),
                    "measured_w": session.measured_w,
                    "plan": _plan_json(session.plan),
                }
            )
        state = self.stats.per_site.get(site_id)
        return {
            "site_id": site_id,
            "planned_w": round(planned_total, 1),
            "measured_w": round(measured_total, 1),
            "allocated_at": state.computed_at.isoformat() if state and state.computed_at else None,
            "allocation_ms": round(state.allocation_seconds * 1000, 3) if state else None,
            "sessions": sorted(sessions, key=lambda s: (s["station_id"], s["evse_id"])),
        }


def _plan_json(plan: ChargingPlan | None) -> list[dict[str, Any]] | None:
    if plan is None:
        return None
    return [
        {
            "start": p.start.isoformat(),
            "end": p.end.isoformat(),
            "power_w": round(p.power_w, 1),
            "price": p.price,
        }
        for p in plan.periods
    ]


def _single_limit_profile(profile_id: int, purpose: str, current: float, phases: int) -> dict[str, Any]:
    return {
        "id": profile_id,
        "stackLevel": STACK_LEVEL,
        "chargingProfilePurpose": purpose,
        "chargingProfileKind": "Relative",
        "chargingSchedule": [
            {
                "id": 1,
                "chargingRateUnit": "A",
                "chargingSchedulePeriod": [
                    {"startPeriod": 0, "limit": round(current, 1), "numberPhases": phases}
                ],
            }
        ],
    }


__all__ = ["FAIL_SAFE_PROFILE_ID", "TX_PROFILE_ID", "LoadManager", "ManagedSession"]
