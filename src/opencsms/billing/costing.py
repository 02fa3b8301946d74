"""Costing: a session's usage priced with one tariff version. Pure: no clock, no I/O.

The session is cut wherever the answer to "which price applies?" can change: at each meter
reading (power and current are known per stretch between readings), each charging-state change,
each restriction boundary (local times, midnights, DST changes, the instants the session's energy
or duration crosses a restriction's threshold). Each stretch gets, per dimension, the first
element pricing that dimension whose restrictions match at its start; consecutive stretches with
the same choices and the same charging state form one charging period.

Step sizes follow the OCPI 2.2.1 CDR rules: applied once per session to the total of ENERGY, and
once to TIME and PARKING_TIME together (to the dimension of the last time-priced period, with that
period's step size); what the rounding adds is billed in that last period. Amounts are exact
Decimals until the totals, which are rounded half-up to the currency's minor unit; min_price and
max_price bound the exact totals (excl. and incl. VAT each). docs/billing.md has the rules and
the worked examples. The same inputs always give the same result.
"""

from __future__ import annotations

import bisect
import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal, localcontext
from typing import Any
from zoneinfo import ZoneInfo

from opencsms.billing.currencies import minor_unit
from opencsms.billing.restrictions import Situation, calendar_boundaries, matches
from opencsms.billing.tariffs import Dimension, PriceComponent, ReservationRestriction, Tariff

_ENERGY_PLACES = Decimal("0.000001")  # Wh
_AMOUNT_PLACES = Decimal("0.0000000001")
_ZERO = Decimal(0)
_TIME_DIMENSIONS = (Dimension.TIME, Dimension.PARKING_TIME)


@dataclass(frozen=True, slots=True)
class MeterReading:
    """The energy register (Wh, import) at a moment, and the current then (A, sum of phases)."""

    timestamp: datetime
    energy_wh: Decimal
    current_a: Decimal | None = None


@dataclass(frozen=True, slots=True)
class ChargingStateChange:
    """From ``timestamp`` on the EV is charging (True) or connected without charging (False)."""

    timestamp: datetime
    charging: bool


@dataclass(frozen=True, slots=True)
class Reservation:
    """A reservation from ``reserved_at`` until the session started (or it expired)."""

    reserved_at: datetime
    ended_at: datetime


@dataclass(frozen=True, slots=True)
class SessionUsage:
    """What the costing needs of a session. ``stopped_at`` is the stop, or the moment up to which
    a running session is priced."""

    started_at: datetime
    stopped_at: datetime
    readings: tuple[MeterReading, ...] = ()
    state_changes: tuple[ChargingStateChange, ...] = ()
    charging_at_start: bool = True
    reservation: Reservation | None = None


@dataclass(frozen=True, slots=True)
class ComponentRef:
    element: int
    component: int


@dataclass(frozen=True, slots=True)
class ChargingPeriod:
    """A stretch of the session under one set of prices and one charging state."""

    start: datetime
    end: datetime
    charging: bool
    energy_wh: Decimal
    components: tuple[tuple[Dimension, ComponentRef], ...]
    max_current_a: Decimal | None = None
    max_power_kw: Decimal | None = None

    @property
    def seconds(self) -> Decimal:
        return _seconds(self.end - self.start)

    def component(self, dimension: Dimension) -> ComponentRef | None:
        for found, ref in self.components:
            if found == dimension:
                return ref
        return None


@dataclass(frozen=True, slots=True)
class CostLine:
    """One priced quantity: ``quantity`` measured and ``billed`` after step rounding, in Wh
    (ENERGY), seconds (TIME, PARKING_TIME) or 1 (FLAT). ``period`` indexes the charging period;
    None for the reservation part."""

    dimension: Dimension
    reservation: bool
    period: int | None
    component: ComponentRef
    price: Decimal
    vat: Decimal | None
    step_size: int
    quantity: Decimal
    billed: Decimal
    excl_vat: Decimal
    incl_vat: Decimal


@dataclass(frozen=True, slots=True)
class Amount:
    excl_vat: Decimal
    incl_vat: Decimal

    def to_json(self) -> dict[str, str]:
        return {"excl_vat": str(self.excl_vat), "incl_vat": str(self.incl_vat)}


@dataclass(frozen=True, slots=True)
class SessionCost:
    """The priced session. ``total`` is what is billed (rounded, min/max applied); the
    ``by_dimension`` totals are each rounded on their own, so they may differ from ``total`` by
    a minor unit (the total is rounded once, from the exact sum)."""

    currency: str
    periods: tuple[ChargingPeriod, ...]
    lines: tuple[CostLine, ...]
    energy_wh: Decimal
    charging_seconds: Decimal
    parking_seconds: Decimal
    reservation_seconds: Decimal
    total_exact: Amount
    total: Amount
    by_dimension: dict[str, Amount] = field(default_factory=dict)
    min_price_applied: bool = False
    max_price_applied: bool = False

    @property
    def total_seconds(self) -> Decimal:
        return self.charging_seconds + self.parking_seconds

    def to_json(self) -> dict[str, Any]:
        """JSON-ready (Decimals as strings, so no float ever touches the amounts)."""
        return {
            "currency": self.currency,
            "energy_wh": str(self.energy_wh),
            "charging_seconds": str(self.charging_seconds),
            "parking_seconds": str(self.parking_seconds),
            "reservation_seconds": str(self.reservation_seconds),
            "total": self.total.to_json(),
            "total_exact": self.total_exact.to_json(),
            "by_dimension": {name: amount.to_json() for name, amount in self.by_dimension.items()},
            "min_price_applied": self.min_price_applied,
            "max_price_applied": self.max_price_applied,
            "periods": [
                {
                    "start": period.start.isoformat(),
                    "end": period.end.isoformat(),
                    "charging": period.charging,
                    "energy_wh": str(period.energy_wh),
                    "seconds": str(period.seconds),
                    "max_current_a": None if period.max_current_a is None else str(period.max_current_a),
                    "max_power_kw": None if period.max_power_kw is None else str(period.max_power_kw),
                    "components": {dim.value: [ref.element, ref.component] for dim, ref in period.components},
                }
                for period in self.periods
            ],
            "lines": [
                {
                    "dimension": line.dimension.value,
                    "reservation": line.reservation,
                    "period": line.period,
                    "element": line.component.element,
                    "component": line.component.component,
                    "price": str(line.price),
                    "vat": None if line.vat is None else str(line.vat),
                    "step_size": line.step_size,
                    "quantity": str(line.quantity),
                    "billed": str(line.billed),
                    "excl_vat": str(line.excl_vat),
                    "incl_vat": str(line.incl_vat),
                }
                for line in self.lines
            ],
        }


def _seconds(delta: timedelta) -> Decimal:
    return Decimal(delta.days * 86400 + delta.seconds) + Decimal(delta.microseconds).scaleb(-6)


def _step_up(quantity: Decimal, step: int) -> Decimal:
    if step <= 0 or quantity <= 0:
        return quantity
    return (quantity / step).to_integral_value(ROUND_CEILING) * step


class _Energy:
    """The session's cumulative energy (Wh since the start) as a function of time: linear between
    readings, flat before the first and after the last; a register going down adds nothing."""

    def __init__(self, readings: Sequence[MeterReading]) -> None:
        self.times: list[datetime] = []
        self.totals: list[Decimal] = []
        total = _ZERO
        previous: Decimal | None = None
        for reading in readings:
            if previous is not None and reading.energy_wh > previous:
                total += reading.energy_wh - previous
            previous = reading.energy_wh
            if self.times and reading.timestamp == self.times[-1]:
                self.totals[-1] = total
                continue
            self.times.append(reading.timestamp)
            self.totals.append(total)

    def at(self, moment: datetime) -> Decimal:
        if not self.times:
            return _ZERO
        index = bisect.bisect_right(self.times, moment)
        if index == 0:
            return self.totals[0]
        if index == len(self.times):
            return self.totals[-1]
        t0, t1 = self.times[index - 1], self.times[index]
        e0, e1 = self.totals[index - 1], self.totals[index]
        if moment == t0 or e1 == e0:
            return e0
        share = _seconds(moment - t0) / _seconds(t1 - t0)
        return (e0 + (e1 - e0) * share).quantize(_ENERGY_PLACES, ROUND_HALF_UP)

    def crossing(self, target_wh: Decimal) -> datetime | None:
        """The first moment the cumulative energy reaches ``target_wh``."""
        for index in range(1, len(self.times)):
            e0, e1 = self.totals[index - 1], self.totals[index]
            if e0 < target_wh <= e1:
                t0, t1 = self.times[index - 1], self.times[index]
                micros = (_seconds(t1 - t0) * (target_wh - e0) / (e1 - e0)).scaleb(6)
                return t0 + timedelta(microseconds=int(micros.to_integral_value(ROUND_CEILING)))
        return None


def _usage_boundaries(tariff: Tariff, usage: SessionUsage, energy: _Energy) -> set[datetime]:
    start, stop = usage.started_at, usage.stopped_at
    points = {reading.timestamp for reading in usage.readings}
    points |= {change.timestamp for change in usage.state_changes}
    for element in tariff.elements:
        r = element.restrictions
        for seconds in (r.min_duration, r.max_duration):
            if seconds is not None:
                points.add(start + timedelta(seconds=seconds))
        for kwh in (r.min_kwh, r.max_kwh):
            if kwh is not None and kwh > 0:
                crossing = energy.crossing(kwh * 1000)
                if crossing is not None:
                    points.add(crossing)
    return {point for point in points if start < point < stop}


def _held_values(
    points: Sequence[tuple[datetime, Any]], initial: Any
) -> tuple[list[datetime], list[Any], Any]:
    times = [moment for moment, _ in points]
    values = [value for _, value in points]
    return times, values, initial


def _held_at(held: tuple[list[datetime], list[Any], Any], moment: datetime) -> Any:
    """The value of the last change at or before ``moment`` (else the initial value)."""
    times, values, initial = held
    index = bisect.bisect_right(times, moment)
    return initial if index == 0 else values[index - 1]


def choose_components(
    tariff: Tariff, situation: Situation, dimensions: Iterable[Dimension]
) -> tuple[tuple[Dimension, ComponentRef], ...]:
    """Per dimension, the component of the first element pricing it whose restrictions match."""
    chosen = []
    for dimension in dimensions:
        for element_index, element in enumerate(tariff.elements):
            component_index = next(
                (n for n, c in enumerate(element.price_components) if c.type == dimension), None
            )
            if component_index is not None and matches(element.restrictions, situation):
                chosen.append((dimension, ComponentRef(element_index, component_index)))
                break
    return tuple(chosen)


def charging_periods(tariff: Tariff, usage: SessionUsage, zone: ZoneInfo) -> tuple[ChargingPeriod, ...]:
    """The session cut into charging periods (see the module docstring)."""
    start, stop = usage.started_at, usage.stopped_at
    if stop <= start:
        return ()
    readings = sorted(usage.readings, key=lambda reading: reading.timestamp)
    usage = SessionUsage(
        start,
        stop,
        tuple(readings),
        tuple(sorted(usage.state_changes, key=lambda change: change.timestamp)),
        usage.charging_at_start,
    )
    energy = _Energy(readings)
    cuts = _usage_boundaries(tariff, usage, energy) | calendar_boundaries(tariff, start, stop, zone)
    instants = [start, *sorted(cuts), stop]
    base = energy.at(start)
    currents = _held_values([(r.timestamp, r.current_a) for r in readings if r.current_a is not None], None)
    states = _held_values([(c.timestamp, c.charging) for c in usage.state_changes], usage.charging_at_start)
    periods: list[ChargingPeriod] = []
    for begin, end in itertools.pairwise(instants):
        seconds = _seconds(end - begin)
        used = energy.at(end) - energy.at(begin)
        power_kw = (used * 3600 / seconds / 1000).quantize(_ENERGY_PLACES, ROUND_HALF_UP)
        current: Decimal | None = _held_at(currents, begin)
        charging: bool = _held_at(states, begin)
        situation = Situation(
            local=begin.astimezone(zone),
            energy_kwh=(energy.at(begin) - base) / 1000,
            duration_s=_seconds(begin - start),
            power_kw=power_kw,
            current_a=current,
        )
        dimensions = (
            Dimension.FLAT,
            Dimension.ENERGY,
            Dimension.TIME if charging else Dimension.PARKING_TIME,
        )
        components = choose_components(tariff, situation, dimensions)
        previous = periods[-1] if periods else None
        if previous is not None and previous.charging == charging and previous.components == components:
            periods[-1] = ChargingPeriod(
                previous.start,
                end,
                charging,
                previous.energy_wh + used,
                components,
                _max(previous.max_current_a, current),
                _max(previous.max_power_kw, power_kw),
            )
        else:
            periods.append(ChargingPeriod(begin, end, charging, used, components, current, power_kw))
    return tuple(periods)


def _max(a: Decimal | None, b: Decimal | None) -> Decimal | None:
    if a is None:
        return b
    if b is None:
        return a
    return max(a, b)


def _line(
    tariff: Tariff, dimension: Dimension, ref: ComponentRef, period: int | None, quantity: Decimal,
    billed: Decimal, *, reservation: bool = False,
) -> CostLine:  # fmt: skip
    component: PriceComponent = tariff.elements[ref.element].price_components[ref.component]
    if dimension == Dimension.ENERGY:
        units = billed / 1000
    elif dimension == Dimension.FLAT:
        units = billed
    else:
        units = billed / 3600
    excl = (units * component.price).quantize(_AMOUNT_PLACES, ROUND_HALF_UP)
    incl = (
        excl
        if component.vat is None
        else (excl * (1 + component.vat / 100)).quantize(_AMOUNT_PLACES, ROUND_HALF_UP)
    )
    return CostLine(dimension, reservation, period, ref, component.price, component.vat,
                    component.step_size, quantity, billed, excl, incl)  # fmt: skip


def _session_lines(tariff: Tariff, periods: Sequence[ChargingPeriod]) -> list[CostLine]:
    lines: list[CostLine] = []
    flat = next(
        ((n, p.component(Dimension.FLAT)) for n, p in enumerate(periods) if p.component(Dimension.FLAT)), None
    )
    if flat is not None and flat[1] is not None:
        lines.append(_line(tariff, Dimension.FLAT, flat[1], flat[0], Decimal(1), Decimal(1)))

    def step_of(ref: ComponentRef) -> int:
        return tariff.elements[ref.element].price_components[ref.component].step_size

    energy_periods = [(n, p) for n, p in enumerate(periods) if p.component(Dimension.ENERGY) is not None]
    energy_extra = _ZERO
    if energy_periods:
        last_ref = energy_periods[-1][1].component(Dimension.ENERGY)
        assert last_ref is not None
        total = sum((p.energy_wh for _, p in energy_periods), _ZERO)
        energy_extra = _step_up(total, step_of(last_ref)) - total
    for position, (n, period) in enumerate(energy_periods):
        ref = period.component(Dimension.ENERGY)
        assert ref is not None
        extra = energy_extra if position == len(energy_periods) - 1 else _ZERO
        lines.append(_line(tariff, Dimension.ENERGY, ref, n, period.energy_wh, period.energy_wh + extra))

    def time_dimension(period: ChargingPeriod) -> Dimension:
        return Dimension.TIME if period.charging else Dimension.PARKING_TIME

    timed = [(n, p) for n, p in enumerate(periods) if p.component(time_dimension(p)) is not None]
    time_extra = _ZERO
    last_timed = timed[-1][0] if timed else None
    if timed:
        last_period = timed[-1][1]
        dimension = time_dimension(last_period)
        last_ref = last_period.component(dimension)
        assert last_ref is not None
        total = sum((p.seconds for _, p in timed if time_dimension(p) == dimension), _ZERO)
        time_extra = _step_up(total, step_of(last_ref)) - total
    for n, period in timed:
        dimension = time_dimension(period)
        ref = period.component(dimension)
        assert ref is not None
        extra = time_extra if n == last_timed else _ZERO
        lines.append(_line(tariff, dimension, ref, n, period.seconds, period.seconds + extra))
    return lines


def _reservation_lines(
    tariff: Tariff, reservation: Reservation, zone: ZoneInfo, *, expired: bool
) -> list[CostLine]:
    seconds = _seconds(reservation.ended_at - reservation.reserved_at)
    if seconds <= 0:
        return []
    kinds = [ReservationRestriction.RESERVATION]
    if expired:
        kinds.insert(0, ReservationRestriction.RESERVATION_EXPIRES)
    lines = []
    for dimension in (Dimension.FLAT, Dimension.TIME):
        for kind in kinds:
            situation = Situation(
                local=reservation.reserved_at.astimezone(zone),
                energy_kwh=_ZERO,
                duration_s=_ZERO,
                power_kw=_ZERO,
                current_a=None,
                reservation=kind,
            )
            chosen = choose_components(tariff, situation, (dimension,))
            if chosen:
                ref = chosen[0][1]
                if dimension == Dimension.FLAT:
                    lines.append(
                        _line(tariff, dimension, ref, None, Decimal(1), Decimal(1), reservation=True)
                    )
                else:
                    step = tariff.elements[ref.element].price_components[ref.component].step_size
                    billed = _step_up(seconds, step)
                    lines.append(_line(tariff, dimension, ref, None, seconds, billed, reservation=True))
                break
    return lines


def _round(amount: Decimal, currency: str) -> Decimal:
    return amount.quantize(minor_unit(currency), ROUND_HALF_UP)


def _bounded(tariff: Tariff, exact: Amount) -> tuple[Amount, bool, bool]:
    excl, incl = exact.excl_vat, exact.incl_vat
    low = tariff.min_price
    high = tariff.max_price
    min_applied = max_applied = False
    if low is not None:
        if excl < low.excl_vat:
            excl, min_applied = low.excl_vat, True
        if low.incl_vat is not None and incl < low.incl_vat:
            incl, min_applied = low.incl_vat, True
    if high is not None:
        if excl > high.excl_vat:
            excl, max_applied = high.excl_vat, True
        if high.incl_vat is not None and incl > high.incl_vat:
            incl, max_applied = high.incl_vat, True
    return Amount(excl, incl), min_applied, max_applied


def _cost(
    tariff: Tariff, periods: tuple[ChargingPeriod, ...], lines: list[CostLine], reservation_seconds: Decimal
) -> SessionCost:
    currency = tariff.currency
    exact = Amount(
        sum((line.excl_vat for line in lines), _ZERO), sum((line.incl_vat for line in lines), _ZERO)
    )
    bounded, min_applied, max_applied = _bounded(tariff, exact)
    by_dimension: dict[str, Amount] = {}
    for line in lines:
        name = "RESERVATION" if line.reservation else line.dimension.value
        so_far = by_dimension.get(name, Amount(_ZERO, _ZERO))
        by_dimension[name] = Amount(so_far.excl_vat + line.excl_vat, so_far.incl_vat + line.incl_vat)
    rounded = {
        name: Amount(_round(amount.excl_vat, currency), _round(amount.incl_vat, currency))
        for name, amount in by_dimension.items()
    }
    return SessionCost(
        currency=currency,
        periods=periods,
        lines=tuple(lines),
        energy_wh=sum((p.energy_wh for p in periods), _ZERO),
        charging_seconds=sum((p.seconds for p in periods if p.charging), _ZERO),
        parking_seconds=sum((p.seconds for p in periods if not p.charging), _ZERO),
        reservation_seconds=reservation_seconds,
        total_exact=exact,
        total=Amount(_round(bounded.excl_vat, currency), _round(bounded.incl_vat, currency)),
        by_dimension=rounded,
        min_price_applied=min_applied,
        max_price_applied=max_applied,
    )


def price_session(tariff: Tariff, usage: SessionUsage, zone: ZoneInfo) -> SessionCost:
    """The cost of the session (up to ``usage.stopped_at``) under ``tariff``, the location's
    restrictions read in ``zone``. A reservation that led to the session is priced with the
    RESERVATION elements."""
    with localcontext() as context:
        context.prec = 50
        periods = charging_periods(tariff, usage, zone)
        lines = _session_lines(tariff, periods)
        reservation_seconds = _ZERO
        if usage.reservation is not None:
            lines = _reservation_lines(tariff, usage.reservation, zone, expired=False) + lines
            reservation_seconds = max(
                _ZERO, _seconds(usage.reservation.ended_at - usage.reservation.reserved_at)
            )
        return _cost(tariff, periods, lines, reservation_seconds)


def price_expired_reservation(tariff: Tariff, reservation: Reservation, zone: ZoneInfo) -> SessionCost:
    """The cost of a reservation that expired without a session: RESERVATION_EXPIRES elements
    first, then RESERVATION ones, per dimension."""
    with localcontext() as context:
        context.prec = 50
        lines = _reservation_lines(tariff, reservation, zone, expired=True)
        seconds = max(_ZERO, _seconds(reservation.ended_at - reservation.reserved_at))
        return _cost(tariff, (), lines, seconds)
