"""A plausible electric vehicle on one connector, and the meter samples it produces (1.6 and 2.x).

Pure and deterministic: time (monotonic seconds) and the random source are passed in, so the
model is tested without a loop. The connector's energy register grows by the power integrated
over elapsed time (trapezoid rule, so the first interval after a start already counts); the power
ramps up to the connector's maximum with a little noise, tapers above 80 % state of charge (the
constant-voltage phase of a real charge) and near the planned end of the session.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

MeterValue = dict[str, Any]

NOMINAL_VOLTAGE_V = 230.0
_BATTERY_CAPACITIES_WH = (40_000.0, 58_000.0, 77_000.0, 100_000.0)
_RAMP_FLOOR = 0.1  # fraction of the maximum drawn at the very start, before the ramp
_NOISE = 0.02
_TAPER_START_SOC = 80.0
_END_TAPER_FRACTION = 0.15  # the last 15 % of a planned session tapers down


def ocpp_timestamp(moment: datetime | None = None) -> str:
    """``moment`` (default: now) as OCPP wants it: UTC, milliseconds, a ``Z``."""
    moment = (moment or datetime.now(UTC)).astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


@dataclass(slots=True)
class ElectricVehicle:
    """The battery behind the plug."""

    capacity_wh: float
    soc_percent: float

    @classmethod
    def arriving(cls, rng: random.Random) -> ElectricVehicle:
        """A vehicle arriving with a battery between 10 % and 60 % full."""
        return cls(capacity_wh=rng.choice(_BATTERY_CAPACITIES_WH), soc_percent=rng.uniform(10.0, 60.0))


class ChargingSession:
    """The energy flowing through one connector during one transaction.

    ``planned_seconds`` (optional) is how long the driver will stay; the power tapers near it.
    """

    def __init__(
        self,
        vehicle: ElectricVehicle,
        max_power_w: float,
        started_at: float,
        rng: random.Random,
        *,
        ramp_seconds: float = 10.0,
        planned_seconds: float | None = None,
    ) -> None:
        self.vehicle = vehicle
        self.max_power_w = max_power_w
        self.started_at = started_at
        self.ramp_seconds = ramp_seconds
        self.planned_seconds = planned_seconds
        self.delivered_wh = 0.0
        self.limit_w: float | None = None  # what the station's charging profiles allow now
        self._rng = rng
        self._last_time = started_at
        self.power_w = self._target_power(started_at)

    def advance(self, now: float) -> float:
        """Move the model to ``now``; returns the energy (Wh) delivered since the last call."""
        elapsed = now - self._last_time
        if elapsed <= 0:
            return 0.0
        new_power = self._target_power(now)
        energy_wh = (self.power_w + new_power) / 2.0 * elapsed / 3600.0
        room_wh = max(0.0, (100.0 - self.vehicle.soc_percent) / 100.0 * self.vehicle.capacity_wh)
        energy_wh = min(energy_wh, room_wh)
        self.delivered_wh += energy_wh
        self.vehicle.soc_percent = min(
            100.0, self.vehicle.soc_percent + energy_wh / self.vehicle.capacity_wh * 100.0
        )
        self._last_time = now
        self.power_w = new_power if self.vehicle.soc_percent < 100.0 else 0.0
        return energy_wh

    def set_limit(self, limit_w: float | None, now: float) -> None:
        """From ``now`` on draw at most ``limit_w`` (None: no limit). Advance to ``now`` first, so
        that the energy drawn so far is counted at the old power."""
        self.limit_w = limit_w
        self.power_w = self._target_power(now)

    def _target_power(self, now: float) -> float:
        soc = self.vehicle.soc_percent
        if soc >= 100.0:
            return 0.0
        elapsed = max(0.0, now - self.started_at)
        ramp = 1.0 if self.ramp_seconds <= 0 else min(1.0, _RAMP_FLOOR + elapsed / self.ramp_seconds)
        soc_taper = 1.0 if soc < _TAPER_START_SOC else max(0.05, (100.0 - soc) / (100.0 - _TAPER_START_SOC))
        end_taper = 1.0
        if self.planned_seconds:
            remaining = self.planned_seconds - elapsed
            window = self.planned_seconds * _END_TAPER_FRACTION
            if remaining < window:
                end_taper = max(0.2, remaining / window)
        noise = 1.0 + self._rng.uniform(-_NOISE, _NOISE)
        power = min(self.max_power_w, self.max_power_w * ramp * soc_taper * end_taper * noise)
        return power if self.limit_w is None else max(0.0, min(power, self.limit_w))


@dataclass(frozen=True, slots=True)
class Reading:
    """One measured value, before a version's wire format: 1.6 sends it as a string with
    ``decimals`` places, 2.x as a number rounded to them."""

    measurand: str
    value: float
    unit: str
    decimals: int
    phase: str | None = None
    location: str | None = None


def periodic_readings(
    energy_wh: float, power_w: float, *, phases: int, rng: random.Random, soc_percent: float | None = None
) -> list[Reading]:
    """Register (Wh), power (W), current and voltage per phase, SoC (%) when known."""
    readings = [
        Reading("Energy.Active.Import.Register", energy_wh, "Wh", 1, location="Outlet"),
        Reading("Power.Active.Import", power_w, "W", 1, location="Outlet"),
    ]
    voltages = [NOMINAL_VOLTAGE_V + rng.uniform(-2.0, 2.0) for _ in range(phases)]
    for index, voltage in enumerate(voltages, start=1):
        readings.append(Reading("Current.Import", power_w / phases / voltage, "A", 2, phase=f"L{index}"))
    for index, voltage in enumerate(voltages, start=1):
        readings.append(Reading("Voltage", voltage, "V", 1, phase=f"L{index}-N"))
    if soc_percent is not None:
        readings.append(Reading("SoC", soc_percent, "Percent", 0, location="EV"))
    return readings


def register_reading(energy_wh: float) -> Reading:
    """The energy register alone, as sent at Transaction.Begin and Transaction.End."""
    return Reading("Energy.Active.Import.Register", energy_wh, "Wh", 1, location="Outlet")


def _where(reading: Reading) -> dict[str, str]:
    where = {"phase": reading.phase, "location": reading.location}
    return {name: value for name, value in where.items() if value is not None}


def meter_value_16(timestamp: str, readings: list[Reading], context: str) -> MeterValue:
    """A 1.6 MeterValue: values are strings, units a field of their own."""
    values = [
        {
            "value": f"{r.value:.{r.decimals}f}",
            "context": context,
            "measurand": r.measurand,
            "unit": r.unit,
            **_where(r),
        }
        for r in readings
    ]
    return {"timestamp": timestamp, "sampledValue": values}


def meter_value_201(timestamp: str, readings: list[Reading], context: str) -> MeterValue:
    """A 2.0.1/2.1 MeterValue: values are numbers, with a unitOfMeasure."""
    values = [
        {
            "value": round(r.value, r.decimals),
            "context": context,
            "measurand": r.measurand,
            "unitOfMeasure": {"unit": r.unit},
            **_where(r),
        }
        for r in readings
    ]
    return {"timestamp": timestamp, "sampledValue": values}


def periodic_sample(
    timestamp: str,
    energy_wh: float,
    power_w: float,
    *,
    phases: int,
    rng: random.Random,
    soc_percent: float | None = None,
    context: str = "Sample.Periodic",
) -> MeterValue:
    """One 1.6 MeterValue: register (Wh), power (W), current and voltage per phase, SoC (%)."""
    readings = periodic_readings(energy_wh, power_w, phases=phases, rng=rng, soc_percent=soc_percent)
    return meter_value_16(timestamp, readings, context)


def register_sample(timestamp: str, energy_wh: float, context: str) -> MeterValue:
    """The 1.6 energy register alone, as sent at Transaction.Begin and Transaction.End."""
    return meter_value_16(timestamp, [register_reading(energy_wh)], context)
