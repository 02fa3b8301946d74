"""When a tariff element applies: its restrictions against one moment of a session, and the
moments where the answer can change (so the costing cuts the session there).

Semantics (the OCPI 2.2.1 text, made exact; docs/billing.md says the same):

- ``start_time`` is inclusive, ``end_time`` exclusive, both local wall-clock time; ``end_time``
  before ``start_time`` wraps past midnight; ``00:00`` as ``end_time`` is the end of the day; only
  ``start_time`` runs to midnight, only ``end_time`` runs from midnight.
- Restrictions are a logical AND at each moment: a 22:00-06:00 window with ``day_of_week``
  FRIDAY matches Friday 23:00 but not Saturday 02:00 (Saturday is not Friday).
- ``start_date`` inclusive, ``end_date`` exclusive, local dates.
- ``min_*`` inclusive, ``max_*`` exclusive: kWh and duration are the session's so far; power is
  the average power over the stretch being priced; current is the sum over phases of the last
  current the station reported. An unknown current or power does not satisfy a current or power
  restriction.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from opencsms.billing.tariffs import ReservationRestriction, Restrictions, Tariff

_END_OF_DAY = 24 * 3600


@dataclass(frozen=True, slots=True)
class Situation:
    """One moment of a session, as restrictions see it."""

    local: datetime
    energy_kwh: Decimal
    duration_s: Decimal
    power_kw: Decimal | None
    current_a: Decimal | None
    reservation: ReservationRestriction | None = None


def _seconds(moment: time) -> int:
    return moment.hour * 3600 + moment.minute * 60


def _in_time_window(r: Restrictions, local: datetime) -> bool:
    if r.start_time is None and r.end_time is None:
        return True
    now = local.hour * 3600 + local.minute * 60 + local.second + local.microsecond / 1_000_000
    start = 0 if r.start_time is None else _seconds(r.start_time)
    end = _END_OF_DAY if r.end_time is None or r.end_time == time(0) else _seconds(r.end_time)
    if start < end:
        return start <= now < end
    return now >= start or now < end


def _in_range(value: Decimal | None, low: Decimal | int | None, high: Decimal | int | None) -> bool:
    if low is None and high is None:
        return True
    if value is None:
        return False
    return (low is None or value >= low) and (high is None or value < high)


def matches(r: Restrictions, s: Situation) -> bool:
    """Whether the element with restrictions ``r`` applies at the moment ``s``."""
    if r.reservation != s.reservation:
        return False
    if r.day_of_week and not any(day.weekday == s.local.weekday() for day in r.day_of_week):
        return False
    today = s.local.date()
    if r.start_date is not None and today < r.start_date:
        return False
    if r.end_date is not None and today >= r.end_date:
        return False
    return (
        _in_time_window(r, s.local)
        and _in_range(s.energy_kwh, r.min_kwh, r.max_kwh)
        and _in_range(s.duration_s, r.min_duration, r.max_duration)
        and _in_range(s.power_kw, r.min_power, r.max_power)
        and _in_range(s.current_a, r.min_current, r.max_current)
    )


def _local_days(start: datetime, end: datetime, zone: ZoneInfo) -> Iterator[date]:
    day = start.astimezone(zone).date() - timedelta(days=1)
    last = end.astimezone(zone).date() + timedelta(days=1)
    while day <= last:
        yield day
        day += timedelta(days=1)


def _wall_clock_instants(day: date, moment: time, zone: ZoneInfo) -> Iterable[datetime]:
    """The UTC instants whose local time is ``day`` at ``moment``: none, one or two (DST)."""
    for fold in (0, 1):
        local = datetime.combine(day, moment, tzinfo=zone).replace(fold=fold)
        yield local.astimezone(UTC)


def _offset_changes(start: datetime, end: datetime, zone: ZoneInfo) -> Iterator[datetime]:
    """The instants in [start, end] where the zone's UTC offset changes (DST), to the second."""

    def offset(second: int) -> timedelta | None:
        return datetime.fromtimestamp(second, zone).utcoffset()

    step = 6 * 3600
    low = int(start.timestamp())
    last = int(end.timestamp()) + 1
    while low < last:
        high = min(low + step, last)
        if offset(low) != offset(high):
            before, after = low, high  # offset(before) is the old one, offset(after) the new one
            while after - before > 1:
                middle = (before + after) // 2
                if offset(middle) == offset(before):
                    before = middle
                else:
                    after = middle
            yield datetime.fromtimestamp(after, UTC)
        low = high


def calendar_boundaries(tariff: Tariff, start: datetime, end: datetime, zone: ZoneInfo) -> set[datetime]:
    """Instants strictly between ``start`` and ``end`` where a time, date or day-of-week
    restriction of the tariff can start or stop matching (local midnights, the elements' start
    and end times, DST changes)."""
    clock_times = {time(0)}
    for element in tariff.elements:
        r = element.restrictions
        clock_times.update(moment for moment in (r.start_time, r.end_time) if moment is not None)
    found: set[datetime] = set()
    for day in _local_days(start, end, zone):
        for moment in clock_times:
            found.update(_wall_clock_instants(day, moment, zone))
    found.update(_offset_changes(start, end, zone))
    return {instant for instant in found if start < instant < end}
