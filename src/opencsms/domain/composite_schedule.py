"""Composite schedules: what limit a stack of charging profiles sets on one EVSE, and when.

Rules (OCPP 1.6 section 3.13.2 and 2.0.1 K08):

* Within one purpose, the profile of the highest stack level that is valid and has an active
  period at that moment wins; when its schedule has not begun or has ended, the next lower one
  does. At equal stack levels an EVSE's own profile wins over one set on EVSE 0.
* A TxProfile (for the running transaction) overrides the TxDefaultProfiles; without a running
  transaction there is no TxProfile.
* The limit is the lowest of the winners of ChargingStationMaxProfile (EVSE 0),
  ChargingStationExternalConstraints (EVSE 0 or the EVSE) and the transaction's profile.
* A Relative schedule starts when the transaction started (its whole second); with no
  transaction, at ``relative_origin`` (the start of the composite schedule asked for).

Everything is in whole seconds: a composite schedule starts at a whole second, and a limit that
changes within a second is taken from the first whole second after the change.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from opencsms.domain.charging_profiles import (
    ChargingProfile,
    Kind,
    Purpose,
    RateUnit,
    SchedulePeriod,
    to_unit,
)


@dataclass(frozen=True, slots=True)
class RunningTransaction:
    """The transaction on the EVSE: its id (as profiles name it) and when it started."""

    transaction_id: str
    started_at: datetime


@dataclass(frozen=True, slots=True)
class Limit:
    limit: float
    phases: int | None = None


@dataclass(frozen=True, slots=True)
class CompositePeriod:
    """From ``start`` seconds into the composite schedule on: ``limit`` (None: no profile limits)."""

    start: int
    limit: float | None
    phases: int | None = None


@dataclass(frozen=True, slots=True)
class CompositeSchedule:
    evse_id: int
    start: datetime
    duration: int
    rate_unit: RateUnit
    periods: tuple[CompositePeriod, ...]

    def limit_at(self, offset: int) -> float | None:
        """The limit ``offset`` seconds after the start."""
        current: float | None = None
        for period in self.periods:
            if period.start > offset:
                break
            current = period.limit
        return current


def _origin(profile: ChargingProfile, moment: datetime, relative_origin: datetime) -> datetime | None:
    """When the cycle of ``profile``'s schedule that covers ``moment`` began (None: never)."""
    schedule = profile.schedule
    if profile.kind is Kind.RELATIVE:
        return relative_origin
    if profile.kind is Kind.RECURRING and profile.recurrency is not None and schedule.start is not None:
        cycle = profile.recurrency.seconds
        elapsed = (moment - schedule.start).total_seconds()
        return schedule.start + timedelta(seconds=math.floor(elapsed / cycle) * cycle)
    return schedule.start or profile.valid_from


def active_period(
    profile: ChargingProfile, moment: datetime, relative_origin: datetime
) -> SchedulePeriod | None:
    """The period of ``profile`` in force at ``moment``, or None (not valid, not begun, ended)."""
    if not profile.is_valid_at(moment):
        return None
    origin = _origin(profile, moment, relative_origin)
    if origin is None:
        return None
    offset = (moment - origin).total_seconds()
    duration = profile.schedule.duration
    if offset < 0 or (duration is not None and offset >= duration):
        return None
    current = None
    for period in profile.schedule.periods:
        if period.start > offset:
            break
        current = period
    return current


def _winner(
    candidates: Sequence[ChargingProfile], moment: datetime, relative_origin: datetime, unit: RateUnit
) -> Limit | None:
    for profile in candidates:
        period = active_period(profile, moment, relative_origin)
        if period is not None:
            return Limit(
                to_unit(period.limit, profile.schedule.rate_unit, unit, period.phases), period.phases
            )
    return None


@dataclass(frozen=True, slots=True)
class _Stacks:
    """An EVSE's candidate profiles per purpose, best first."""

    station_max: tuple[ChargingProfile, ...]
    external: tuple[ChargingProfile, ...]
    tx: tuple[ChargingProfile, ...]
    tx_default: tuple[ChargingProfile, ...]


def _stacks(
    profiles: Iterable[ChargingProfile], evse_id: int, transaction: RunningTransaction | None
) -> _Stacks:
    def ranked(purpose: Purpose, evses: tuple[int, ...]) -> tuple[ChargingProfile, ...]:
        chosen = [p for p in profiles_list if p.purpose is purpose and p.evse_id in evses]
        if purpose is Purpose.TX:
            chosen = [
                p
                for p in chosen
                if transaction is not None and p.transaction_id in (None, transaction.transaction_id)
            ]
        return tuple(sorted(chosen, key=lambda p: (-p.stack_level, p.evse_id == 0)))

    profiles_list = list(profiles)
    own = (0,) if evse_id == 0 else (0, evse_id)
    return _Stacks(
        station_max=ranked(Purpose.STATION_MAX, (0,)),
        external=ranked(Purpose.EXTERNAL_CONSTRAINTS, own),
        tx=ranked(Purpose.TX, (evse_id,)) if evse_id else (),
        tx_default=ranked(Purpose.TX_DEFAULT, own) if evse_id else (),
    )


def _limit(stacks: _Stacks, moment: datetime, relative_origin: datetime, unit: RateUnit) -> Limit | None:
    transaction_limit = _winner(stacks.tx, moment, relative_origin, unit) or _winner(
        stacks.tx_default, moment, relative_origin, unit
    )
    limits = [
        found
        for found in (
            _winner(stacks.station_max, moment, relative_origin, unit),
            _winner(stacks.external, moment, relative_origin, unit),
            transaction_limit,
        )
        if found is not None
    ]
    return min(limits, key=lambda found: found.limit) if limits else None


def limit_at(
    profiles: Iterable[ChargingProfile],
    moment: datetime,
    *,
    evse_id: int,
    unit: RateUnit = RateUnit.AMPS,
    transaction: RunningTransaction | None = None,
    relative_origin: datetime | None = None,
) -> Limit | None:
    """The limit the profiles set on ``evse_id`` at ``moment`` (None: none limits it)."""
    origin = transaction.started_at.replace(microsecond=0) if transaction else (relative_origin or moment)
    return _limit(_stacks(profiles, evse_id, transaction), moment, origin, unit)


def _boundaries(
    profile: ChargingProfile, start: datetime, end: datetime, relative_origin: datetime
) -> set[datetime]:
    """Moments within [start, end) where ``profile`` may begin, end or change its limit."""
    moments = {m for m in (profile.valid_from, profile.valid_to) if m is not None}
    schedule = profile.schedule
    offsets = [period.start for period in schedule.periods]
    if schedule.duration is not None:
        offsets.append(schedule.duration)
    first = _origin(profile, start, relative_origin)
    if first is None:
        return moments
    if profile.kind is Kind.RECURRING and profile.recurrency is not None:
        cycle = timedelta(seconds=profile.recurrency.seconds)
        origin = first - cycle  # the cycle before may still be running (its duration spills over)
        while origin < end:
            moments.update(origin + timedelta(seconds=offset) for offset in offsets)
            moments.add(origin)
            origin += cycle
    else:
        moments.update(first + timedelta(seconds=offset) for offset in offsets)
    return {m for m in moments if start <= m < end}


def composite_schedule(
    profiles: Iterable[ChargingProfile],
    *,
    evse_id: int,
    start: datetime,
    duration: int,
    unit: RateUnit = RateUnit.AMPS,
    transaction: RunningTransaction | None = None,
) -> CompositeSchedule:
    """The composite schedule of ``evse_id`` from ``start`` (cut to the whole second) for
    ``duration`` seconds, limits in ``unit``; consecutive periods with the same limit are merged.
    EVSE 0 gives the station-wide limit (station maximum and external constraints)."""
    start = start.replace(microsecond=0)
    end = start + timedelta(seconds=duration)
    origin = transaction.started_at.replace(microsecond=0) if transaction else start
    stacks = _stacks(profiles, evse_id, transaction)
    relevant = (*stacks.station_max, *stacks.external, *stacks.tx, *stacks.tx_default)
    moments = {start}
    for profile in relevant:
        moments |= _boundaries(profile, start, end, origin)
    offsets = sorted({math.ceil((moment - start).total_seconds()) for moment in moments})
    periods: list[CompositePeriod] = []
    for offset in offsets:
        if offset >= duration:
            break
        found = _limit(stacks, start + timedelta(seconds=offset), origin, unit)
        period = CompositePeriod(offset, found.limit if found else None, found.phases if found else None)
        if periods and (periods[-1].limit, periods[-1].phases) == (period.limit, period.phases):
            continue
        periods.append(period)
    return CompositeSchedule(evse_id, start, duration, unit, tuple(periods))
