"""Overlapping restrictions: a price component that can never apply is an error.

OCPI takes, for each dimension, the first element (in list order) that prices it and whose
restrictions match. Elements may overlap on purpose (a restricted price, then a fallback without
restrictions), but when an earlier element pricing a dimension matches whenever a later one does,
the later one's price for that dimension is dead: almost always a mistake (two elements for the
same hours, a fallback put first). ``check_reachable`` refuses such a tariff, naming the dead
component and the element that hides it.
"""

from __future__ import annotations

from datetime import time
from decimal import Decimal

from opencsms.billing.tariffs import Restrictions, Tariff, TariffError

_MINUTES_PER_DAY = 24 * 60


def _minutes(moment: time | None, default: int) -> int:
    return default if moment is None else moment.hour * 60 + moment.minute


def _time_window(r: Restrictions) -> frozenset[int]:
    """The minutes of the day the time restriction lets through."""
    start = _minutes(r.start_time, 0)
    end = _minutes(r.end_time, _MINUTES_PER_DAY)
    if end == 0:
        end = _MINUTES_PER_DAY  # "00:00" as end_time: until the end of the day
    if end > start:
        return frozenset(range(start, end))
    return frozenset(range(start, _MINUTES_PER_DAY)) | frozenset(range(end))


def _range_covers(
    outer: tuple[Decimal | int | None, Decimal | int | None],
    inner: tuple[Decimal | int | None, Decimal | int | None],
) -> bool:
    """Whether the half-open range ``outer`` contains ``inner`` (None: unbounded)."""
    (outer_low, outer_high), (inner_low, inner_high) = outer, inner
    if outer_low is not None and (inner_low is None or inner_low < outer_low):
        return False
    return outer_high is None or (inner_high is not None and inner_high <= outer_high)


def covers(outer: Restrictions, inner: Restrictions) -> bool:
    """Whether ``outer`` matches every situation ``inner`` matches."""
    if outer.reservation != inner.reservation:
        return False
    if outer.day_of_week and (not inner.day_of_week or not inner.day_of_week <= outer.day_of_week):
        return False
    if (outer.start_time or outer.end_time) and not _time_window(inner) <= _time_window(outer):
        return False
    if outer.start_date is not None and (inner.start_date is None or inner.start_date < outer.start_date):
        return False
    if outer.end_date is not None and (inner.end_date is None or inner.end_date > outer.end_date):
        return False
    pairs = (
        ((outer.min_kwh, outer.max_kwh), (inner.min_kwh, inner.max_kwh)),
        ((outer.min_current, outer.max_current), (inner.min_current, inner.max_current)),
        ((outer.min_power, outer.max_power), (inner.min_power, inner.max_power)),
        ((outer.min_duration, outer.max_duration), (inner.min_duration, inner.max_duration)),
    )
    return all(_range_covers(o, i) for o, i in pairs)


def check_reachable(tariff: Tariff) -> None:
    """Raise ``TariffError`` for the first price component an earlier element always hides."""
    for later_index, later in enumerate(tariff.elements):
        for component_index, component in enumerate(later.price_components):
            for earlier_index, earlier in enumerate(tariff.elements[:later_index]):
                if not any(c.type == component.type for c in earlier.price_components):
                    continue
                if covers(earlier.restrictions, later.restrictions):
                    raise TariffError(
                        f"elements[{later_index}].price_components[{component_index}]",
                        f"its {component.type} price never applies: elements[{earlier_index}] also "
                        f"prices {component.type} and its restrictions match whenever these do "
                        "(overlapping restrictions; put the more specific element first)",
                    )
