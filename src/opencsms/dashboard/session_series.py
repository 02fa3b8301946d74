"""A charging session as chart series: power, energy, current, voltage and state of charge over time.

Meter values are stored verbatim (strings, units, phases as the station sent them); the session
page wants numbers in one unit per chart, phases as lines of their own, and a bounded number of
points however long the session ran.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from opencsms.domain.meter_readings import numeric_value
from opencsms.domain.model import ConnectorState, SampledValue, Transaction

ENERGY_REGISTER = "Energy.Active.Import.Register"
ACTIVE_POWER = "Power.Active.Import"
CURRENT = "Current.Import"
VOLTAGE = "Voltage"
STATE_OF_CHARGE = "SoC"
#: Most points per line sent to the browser; longer sessions are thinned evenly.
MAX_POINTS = 1500
# To W, Wh, A, V.
_SCALE = {"kW": 1000.0, "kWh": 1000.0, "kvar": 1000.0}
_LINE_PHASES = frozenset({"L1", "L2", "L3"})

Point = tuple[int, float]  # (milliseconds since the epoch, value)


@dataclass(frozen=True, slots=True)
class SessionSeries:
    """Lines per chart: ``power_w`` etc. map a line name ("total", "L1", ...) to its points."""

    power_w: dict[str, list[Point]] = field(default_factory=dict)
    energy_wh: dict[str, list[Point]] = field(default_factory=dict)
    current_a: dict[str, list[Point]] = field(default_factory=dict)
    voltage_v: dict[str, list[Point]] = field(default_factory=dict)
    soc_percent: dict[str, list[Point]] = field(default_factory=dict)
    samples: int = 0


@dataclass(frozen=True, slots=True)
class SessionEvent:
    timestamp: datetime
    kind: str
    detail: str


def _number(value: SampledValue) -> float | None:
    number = numeric_value(value.value, value.format)
    if number is None:
        return None
    return number * _SCALE.get(value.unit or "", 1.0)


def _total(values: Iterable[SampledValue], measurand: str) -> float | None:
    """The phase-less value of ``measurand``, else the sum of its line phases."""
    total: float | None = None
    phases: float | None = None
    for value in values:
        if value.measurand != measurand or (number := _number(value)) is None:
            continue
        if value.phase is None:
            total = number
        elif value.phase in _LINE_PHASES:
            phases = (phases or 0.0) + number
    return total if total is not None else phases


def _per_phase(values: Iterable[SampledValue], measurand: str) -> dict[str, float]:
    lines: dict[str, float] = {}
    for value in values:
        if value.measurand == measurand and (number := _number(value)) is not None:
            lines[value.phase or "total"] = number
    return lines


def _thin(times: Sequence[datetime]) -> list[datetime]:
    if len(times) <= MAX_POINTS:
        return list(times)
    step = len(times) / (MAX_POINTS - 1)
    kept = [times[int(i * step)] for i in range(MAX_POINTS - 1)]
    return [*kept, times[-1]]


def session_series(
    transaction: Transaction, samples: Sequence[tuple[datetime, SampledValue]]
) -> SessionSeries:
    """The session's samples (time order) as chart lines; energy counts from the meter start."""
    by_time: dict[datetime, list[SampledValue]] = {}
    for timestamp, value in samples:
        by_time.setdefault(timestamp, []).append(value)
    series = SessionSeries(samples=len(by_time))
    start_wh = transaction.meter_start_wh
    for timestamp in _thin(sorted(by_time)):
        values = by_time[timestamp]
        ms = int(timestamp.timestamp() * 1000)
        power = _total(values, ACTIVE_POWER)
        if power is not None:
            series.power_w.setdefault("total", []).append((ms, power))
        register = _total(values, ENERGY_REGISTER)
        if register is not None:
            if start_wh is None:
                start_wh = register
            series.energy_wh.setdefault("total", []).append((ms, max(0.0, register - start_wh)))
        for target, measurand in ((series.current_a, CURRENT), (series.voltage_v, VOLTAGE)):
            for line, number in _per_phase(values, measurand).items():
                target.setdefault(line, []).append((ms, number))
        soc = _total(values, STATE_OF_CHARGE)
        if soc is not None:
            series.soc_percent.setdefault("total", []).append((ms, soc))
    return series


def session_events(transaction: Transaction, statuses: Iterable[ConnectorState]) -> list[SessionEvent]:
    """Start, connector statuses during the session, and end, in time order."""
    events = [
        SessionEvent(
            transaction.started_at,
            "Started",
            f"token {transaction.id_token or '(none)'}, meter {transaction.meter_start_wh or 0:g} Wh",
        )
    ]
    end = transaction.stopped_at
    for status in statuses:
        if status.updated_at >= transaction.started_at and (end is None or status.updated_at <= end):
            detail = (
                status.status
                if not status.error_code or status.error_code == "NoError"
                else (f"{status.status} ({status.error_code})")
            )
            events.append(SessionEvent(status.updated_at, "Connector", detail))
    if end is not None:
        reason = transaction.stop_reason or "no reason given"
        if transaction.ended_by == "inferred":  # the station never sent a stop (ADR 0017)
            reason = f"inferred ({transaction.inferred_cause}), no stop from the station"
        meter = f", meter {transaction.meter_stop_wh:g} Wh" if transaction.meter_stop_wh is not None else ""
        events.append(SessionEvent(end, "Ended", f"{reason}{meter}"))
    return sorted(events, key=lambda e: e.timestamp)
