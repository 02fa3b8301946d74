"""Price-driven charging: put a session's energy into the cheapest slots before its departure.

Pure and deterministic. Prices come as slots (start, length, price); the plan charges at full
power in the cheapest slots that lie between now and the departure (ties: the earlier slot), the
last one chosen at the lower power that exactly completes the energy, and not at all in the rest.
Slots partly in the past or beyond the departure count only with the part inside.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True, slots=True)
class PriceSlot:
    start: datetime
    seconds: int
    price: float

    @property
    def end(self) -> datetime:
        return self.start + timedelta(seconds=self.seconds)


@dataclass(frozen=True, slots=True)
class PlannedPeriod:
    """From ``start`` to ``end`` charge at ``power_w`` (0: wait)."""

    start: datetime
    end: datetime
    power_w: float
    price: float | None


@dataclass(frozen=True, slots=True)
class ChargingPlan:
    periods: tuple[PlannedPeriod, ...]
    energy_wh: float  # what the plan delivers
    shortfall_wh: float  # what it cannot deliver before the departure

    def power_at(self, moment: datetime) -> float | None:
        """The planned power at ``moment`` (None: outside the plan)."""
        for period in self.periods:
            if period.start <= moment < period.end:
                return period.power_w
        return None


def plan_charging(
    slots: Sequence[PriceSlot],
    *,
    now: datetime,
    departure: datetime,
    energy_wh: float,
    max_power_w: float,
) -> ChargingPlan:
    """The cheapest plan delivering ``energy_wh`` at up to ``max_power_w`` between ``now`` and
    ``departure``. Time without a price is not used."""
    windows = []
    for slot in sorted(slots, key=lambda s: s.start):
        start, end = max(slot.start, now), min(slot.end, departure)
        if end > start:
            windows.append((start, end, slot.price))
    power: dict[datetime, float] = {}
    remaining = max(0.0, energy_wh)
    for start, end, _price in sorted(windows, key=lambda w: (w[2], w[0])):
        if remaining <= 0:
            break
        hours = (end - start).total_seconds() / 3600
        full_wh = max_power_w * hours
        if full_wh <= remaining:
            power[start] = max_power_w
            remaining -= full_wh
        else:
            power[start] = remaining / hours
            remaining = 0.0
    periods = tuple(PlannedPeriod(start, end, power.get(start, 0.0), price) for start, end, price in windows)
    return ChargingPlan(periods, max(0.0, energy_wh) - remaining, remaining)
