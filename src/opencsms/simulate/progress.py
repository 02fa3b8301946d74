"""What a running fleet shows: a live rich table on a terminal, one-line summaries otherwise."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TextIO

from rich.console import Console, Group
from rich.live import Live
from rich.table import Table

from opencsms.simulate.station_base import SimulatedStationBase

_PER_STATION_ROWS = 20  # bigger fleets show the totals only
#: Seconds between redraws of the live table when no interval is given.
LIVE_REFRESH_SECONDS = 0.5


@dataclass(frozen=True, slots=True)
class FleetSummary:
    """The state of a fleet at one moment, and its counters since the start."""

    stations: int
    connected: int
    booted: int
    charging: int
    boots: int
    boots_accepted: int
    sessions_started: int
    sessions_completed: int
    auth_rejected: int
    calls_sent: int
    calls_received: int
    errors: int
    elapsed_seconds: float

    @classmethod
    def of(cls, stations: Sequence[SimulatedStationBase], elapsed_seconds: float) -> FleetSummary:
        def total(counter: str) -> int:
            return sum(getattr(station.stats, counter) for station in stations)

        return cls(
            stations=len(stations),
            connected=sum(1 for station in stations if station.connected),
            booted=sum(1 for station in stations if station.online.is_set()),
            charging=sum(station.charging for station in stations),
            boots=total("boots"),
            boots_accepted=total("boots_accepted"),
            sessions_started=total("sessions_started"),
            sessions_completed=total("sessions_completed"),
            auth_rejected=total("auth_rejected"),
            calls_sent=total("calls_sent"),
            calls_received=total("calls_received"),
            errors=total("call_errors") + total("connect_failures"),
            elapsed_seconds=elapsed_seconds,
        )

    @property
    def calls(self) -> int:
        return self.calls_sent + self.calls_received

    def line(self, calls_per_second: float | None = None) -> str:
        """One line for logs; the call rate defaults to the average since the start."""
        if calls_per_second is None:
            calls_per_second = self.calls / self.elapsed_seconds if self.elapsed_seconds > 0 else 0.0
        return (
            f"[{self.elapsed_seconds:7.1f}s] connected {self.connected}/{self.stations} "
            f"booted {self.booted} charging {self.charging} sessions done {self.sessions_completed} "
            f"auth refused {self.auth_rejected} calls/s {calls_per_second:.1f} errors {self.errors}"
        )


class FleetDisplay:
    """Shows ``snapshot()`` every ``interval`` seconds until cancelled: a live table (redrawn every
    ``LIVE_REFRESH_SECONDS`` when ``interval`` is 0) or, with ``live`` off, one line each time;
    with ``live`` off and ``interval`` 0, shows nothing and returns at once."""

    def __init__(
        self,
        snapshot: Callable[[], FleetSummary],
        stations: Sequence[SimulatedStationBase],
        *,
        live: bool,
        interval: float,
        out: TextIO,
        title: str = "",
    ) -> None:
        self._snapshot = snapshot
        self._stations = stations
        self._live = live
        self._interval = interval
        self._out = out
        self._title = title
        self._last_calls = 0
        self._last_elapsed = 0.0

    def _rate(self, summary: FleetSummary) -> float:
        span = summary.elapsed_seconds - self._last_elapsed
        rate = (summary.calls - self._last_calls) / span if span > 0 else 0.0
        self._last_calls, self._last_elapsed = summary.calls, summary.elapsed_seconds
        return rate

    async def run(self) -> None:
        """Refresh until cancelled; return at once when there is nothing to show."""
        if not self._live:
            if self._interval <= 0:
                return  # no summaries asked for: nothing to wake up for (a demo at rest costs nothing)
            while True:
                await asyncio.sleep(self._interval)
                summary = self._snapshot()
                print(summary.line(self._rate(summary)), file=self._out, flush=True)
        # A zero interval would redraw in a tight loop, a core's worth of CPU for the same table.
        interval = self._interval if self._interval > 0 else LIVE_REFRESH_SECONDS
        console = Console(file=self._out)
        with Live(self._render(), console=console, auto_refresh=False) as live:
            while True:
                await asyncio.sleep(interval)
                live.update(self._render(), refresh=True)

    def _render(self) -> Group:
        summary = self._snapshot()
        totals = Table(title=f"{self._title} ({summary.elapsed_seconds:.0f} s)".strip())
        for heading in ("stations", "connected", "booted", "charging", "sessions done", "auth refused"):
            totals.add_column(heading, justify="right")
        totals.add_column("calls/s", justify="right")
        totals.add_column("errors", justify="right")
        totals.add_row(
            str(summary.stations),
            str(summary.connected),
            str(summary.booted),
            str(summary.charging),
            str(summary.sessions_completed),
            str(summary.auth_rejected),
            f"{self._rate(summary):.1f}",
            str(summary.errors),
        )
        if len(self._stations) > _PER_STATION_ROWS:
            return Group(totals)
        per_station = Table()
        for heading in ("station", "state", "charging", "power kW", "sessions done", "errors"):
            per_station.add_column(heading, justify="left" if heading in ("station", "state") else "right")
        for station in self._stations:
            state = "booted" if station.online.is_set() else "connected" if station.connected else "offline"
            per_station.add_row(
                station.station_id,
                state,
                f"{station.charging}/{len(station.point_ids)}",
                f"{station.power_w / 1000.0:.1f}",
                str(station.stats.sessions_completed),
                str(station.stats.call_errors + station.stats.connect_failures),
            )
        return Group(totals, per_station)
