"""Building sessions for costing tests: charge at a steady power, then park."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from opencsms.billing.costing import ChargingStateChange, MeterReading, Reservation, SessionUsage
from opencsms.billing.tariffs import Tariff, parse_tariff

AMSTERDAM = ZoneInfo("Europe/Amsterdam")


def tariff(elements: list[dict[str, Any]], **extra: Any) -> Tariff:
    return parse_tariff({"id": "T", "currency": "EUR", "elements": elements, **extra})


def session(
    start: datetime,
    legs: list[tuple[float, float, float | None]],
    *,
    sample_seconds: int = 60,
    reserved_minutes: float | None = None,
) -> SessionUsage:
    """``legs``: (minutes, kWh, current) stretches; a leg with 0 kWh is parking (not charging).

    The register is sampled every ``sample_seconds`` and at each leg's end, as a station would.
    Times run in UTC (Python's arithmetic on local times would ignore DST changes).
    """
    start = start.astimezone(UTC)
    first_current = legs[0][2] if legs else None
    readings = [
        MeterReading(start, Decimal(0), None if first_current is None else Decimal(str(first_current)))
    ]
    changes = []
    moment = start
    register = Decimal(0)
    for minutes, kwh, current in legs:
        end = moment + timedelta(minutes=minutes)
        charging = kwh > 0
        changes.append(ChargingStateChange(moment, charging))
        energy_wh = Decimal(str(kwh)) * 1000
        amps = None if current is None else Decimal(str(current))
        total = Decimal(str(minutes * 60))
        step = timedelta(seconds=sample_seconds)
        sample = moment + step
        while sample < end:
            share = Decimal((sample - moment).total_seconds()) / total
            readings.append(MeterReading(sample, register + energy_wh * share, amps))
            sample += step
        register += energy_wh
        readings.append(MeterReading(end, register, amps))
        moment = end
    reservation = None
    if reserved_minutes is not None:
        reservation = Reservation(start - timedelta(minutes=reserved_minutes), start)
    return SessionUsage(start, moment, tuple(readings), tuple(changes), True, reservation)
