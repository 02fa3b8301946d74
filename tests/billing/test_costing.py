"""Costing across midnight, days of the week, DST changes and long sessions; sampling more or
less often does not move the total; recomputing gives the same numbers."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from opencsms.billing.costing import SessionUsage, price_session
from opencsms.billing.currencies import minor_unit
from opencsms.billing.tariffs import Dimension, Tariff
from tests.billing.sessions import AMSTERDAM, session, tariff

D = Decimal
NIGHT = {"start_time": "22:00", "end_time": "06:00"}
EARLY = {"start_time": "00:00", "end_time": "06:00"}
LATE_NIGHT = {"start_time": "02:30", "end_time": "05:00"}


def energy(price: str, step: int = 1) -> dict[str, object]:
    return {"type": "ENERGY", "price": D(price), "step_size": step}


def hourly(price: str, kind: str = "TIME", step: int = 1) -> dict[str, object]:
    return {"type": kind, "price": D(price), "step_size": step}


def test_a_night_window_crossing_midnight() -> None:
    t = tariff(
        [
            {"price_components": [energy("0.10")], "restrictions": NIGHT},
            {"price_components": [energy("0.30")]},
        ]
    )
    start = datetime(2026, 1, 5, 21, 0, tzinfo=AMSTERDAM)
    cost = price_session(t, session(start, [(600, 10, None)]), AMSTERDAM)  # 1 kWh per hour, 21:00-07:00
    assert [(p.start.astimezone(AMSTERDAM).hour, p.energy_wh) for p in cost.periods] == [
        (21, D(1000)), (22, D(8000)), (6, D(1000))
    ]  # fmt: skip
    assert cost.total.excl_vat == D("1.40")  # 2 kWh at 0.30, 8 at 0.10


def test_day_of_week_over_a_session_longer_than_a_day() -> None:
    t = tariff([{"price_components": [hourly("0.50")], "restrictions": {"day_of_week": ["SUNDAY"]}},
                {"price_components": [hourly("2.00")]}])  # fmt: skip
    start = datetime(2026, 1, 10, 18, 0, tzinfo=AMSTERDAM)  # Saturday 18:00, for 30 hours
    cost = price_session(t, session(start, [(30 * 60, 60, None)]), AMSTERDAM)
    assert cost.charging_seconds == 30 * 3600
    assert cost.total.excl_vat == D("24.00")  # 6 h Saturday at 2.00 + 24 h Sunday at 0.50


def test_dst_autumn_the_repeated_hour_is_billed_once_per_real_hour() -> None:
    t = tariff([{"price_components": [hourly("1.00")], "restrictions": EARLY},
                {"price_components": [hourly("3.00")]}])  # fmt: skip
    start = datetime(2026, 10, 25, 0, 0, tzinfo=AMSTERDAM)  # clocks go back at 03:00 CEST
    stop = datetime(2026, 10, 25, 6, 0, tzinfo=AMSTERDAM)
    assert (stop - start.astimezone(UTC)).total_seconds() == 7 * 3600
    cost = price_session(t, session(start, [(7 * 60, 7, None)]), AMSTERDAM)
    assert cost.total.excl_vat == D("7.00")


def test_dst_spring_the_missing_hour_costs_nothing() -> None:
    t = tariff([{"price_components": [hourly("1.00")], "restrictions": EARLY},
                {"price_components": [hourly("3.00")]}])  # fmt: skip
    start = datetime(2026, 3, 29, 0, 0, tzinfo=AMSTERDAM)  # clocks skip 02:00-03:00
    cost = price_session(t, session(start, [(6 * 60, 6, None)]), AMSTERDAM)  # until 07:00 CEST
    assert cost.total.excl_vat == D("8.00")  # 5 real hours to 06:00 at 1.00, then one at 3.00
    boundary = cost.periods[1].start.astimezone(AMSTERDAM)
    assert (boundary.hour, boundary.utcoffset()) == (6, timedelta(hours=2))


def test_window_starting_inside_the_skipped_hour_starts_when_the_clock_jumps() -> None:
    t = tariff([{"price_components": [hourly("1.00")], "restrictions": LATE_NIGHT},
                {"price_components": [hourly("0.00")]}])  # fmt: skip
    start = datetime(2026, 3, 29, 1, 0, tzinfo=AMSTERDAM)
    cost = price_session(t, session(start, [(3 * 60, 3, None)]), AMSTERDAM)  # 01:00 CET to 05:00 CEST
    assert cost.total.excl_vat == D("2.00")  # 03:00-05:00 CEST: the wall clock is past 02:30 from 03:00


def test_kwh_threshold_cuts_inside_a_reading_interval() -> None:
    t = tariff([{"price_components": [energy("0.20")], "restrictions": {"max_kwh": D("10")}},
                {"price_components": [energy("0.40")]}])  # fmt: skip
    usage = session(datetime(2026, 1, 5, 10, tzinfo=AMSTERDAM), [(60, 15, None)], sample_seconds=900)
    cost = price_session(t, usage, AMSTERDAM)
    assert [p.energy_wh for p in cost.periods] == [D(10000), D(5000)]
    assert cost.total.excl_vat == D("4.00")


def test_recomputation_is_idempotent_and_order_free() -> None:
    t = tariff([{"price_components": [energy("0.10"), hourly("1.00", "PARKING_TIME", 300)],
                 "restrictions": NIGHT},
                {"price_components": [energy("0.30"), hourly("2.00", "PARKING_TIME", 300)]}])  # fmt: skip
    usage = session(datetime(2026, 1, 5, 21, 17, 13, tzinfo=AMSTERDAM), [(95, 22.5, 16), (50, 0, None)])
    shuffled = list(usage.readings)
    random.Random(4).shuffle(shuffled)
    again = SessionUsage(usage.started_at, usage.stopped_at, tuple(shuffled), usage.state_changes)
    first = price_session(t, usage, AMSTERDAM)
    assert price_session(t, again, AMSTERDAM) == first == price_session(t, usage, AMSTERDAM)
    assert first.to_json() == price_session(t, again, AMSTERDAM).to_json()


# -- properties ------------------------------------------------------------------------------


def _tariffs() -> st.SearchStrategy[Tariff]:
    price = st.integers(0, 90).map(lambda cents: D(cents) / 100)
    steps = st.sampled_from([1, 60, 300, 900])
    energy_steps = st.sampled_from([1, 100, 500])
    windows = st.sampled_from(
        [NIGHT, {"start_time": "07:00", "end_time": "09:30"}, {"start_time": "17:00", "end_time": "00:00"}]
    )
    days = st.sampled_from([[], ["SATURDAY", "SUNDAY"], ["MONDAY", "FRIDAY"]])

    @st.composite
    def build(draw: st.DrawFn) -> Tariff:
        window = dict(draw(windows))
        chosen_days = draw(days)
        if chosen_days:
            window["day_of_week"] = chosen_days
        components = lambda: [  # noqa: E731
            {"type": "ENERGY", "price": draw(price), "step_size": draw(energy_steps)},
            {"type": "TIME", "price": draw(price), "step_size": draw(steps)},
            {"type": "PARKING_TIME", "price": draw(price), "step_size": draw(steps)},
        ]
        restricted = {"price_components": components(), "restrictions": window}
        fallback = {
            "price_components": [*components(), {"type": "FLAT", "price": draw(price), "step_size": 1}]
        }
        return tariff([restricted, fallback])

    return build()


def _starts() -> st.SearchStrategy[datetime]:
    days = st.sampled_from(
        [datetime(2026, 3, 28), datetime(2026, 10, 24), datetime(2026, 6, 12), datetime(2026, 12, 31)]
    )
    return st.builds(
        lambda day, seconds: (day + timedelta(seconds=seconds)).replace(tzinfo=AMSTERDAM),
        days, st.integers(0, 2 * 86400),
    )  # fmt: skip


_LEGS = st.lists(
    st.tuples(
        st.integers(1, 360),
        st.one_of(st.just(0.0), st.integers(1, 30_000).map(lambda wh: wh / 1000)),
        st.none(),
    ),
    min_size=1, max_size=5,
)  # fmt: skip


def _one_step(t: Tariff) -> Decimal:
    """The most one step of any component can cost, plus the currency's minor unit."""
    worst = D(0)
    for element in t.elements:
        for c in element.price_components:
            unit = {Dimension.ENERGY: D(1000), Dimension.FLAT: D(1)}.get(c.type, D(3600))
            worst = max(worst, c.price * max(c.step_size, 1) / unit)
    return worst + minor_unit(t.currency)


@settings(max_examples=60, deadline=None)
@given(t=_tariffs(), start=_starts(), legs=_LEGS)
def test_sampling_every_10_or_60_seconds_moves_the_total_by_at_most_one_step(
    t: Tariff, start: datetime, legs: list[tuple[int, float, None]]
) -> None:
    legs = [(float(minutes), kwh, current) for minutes, kwh, current in legs]
    often = price_session(t, session(start, legs, sample_seconds=10), AMSTERDAM)
    seldom = price_session(t, session(start, legs, sample_seconds=60), AMSTERDAM)
    step = _one_step(t)
    assert abs(often.total.excl_vat - seldom.total.excl_vat) <= step
    assert abs(often.energy_wh - seldom.energy_wh) <= D("0.001")
    assert (
        often.charging_seconds == seldom.charging_seconds and often.parking_seconds == seldom.parking_seconds
    )


@settings(max_examples=40, deadline=None)
@given(t=_tariffs(), start=_starts(), legs=_LEGS)
def test_periods_cover_the_session_and_amounts_add_up(
    t: Tariff, start: datetime, legs: list[tuple[int, float, None]]
) -> None:
    usage = session(start, [(float(m), kwh, c) for m, kwh, c in legs], sample_seconds=60)
    cost = price_session(t, usage, AMSTERDAM)
    assert cost.periods[0].start == usage.started_at and cost.periods[-1].end == usage.stopped_at
    assert all(a.end == b.start for a, b in zip(cost.periods, cost.periods[1:], strict=False))
    assert cost.total_seconds == D(str((usage.stopped_at - usage.started_at).total_seconds()))
    exact = sum((line.excl_vat for line in cost.lines), D(0))
    assert cost.total.excl_vat == exact.quantize(D("0.01"), "ROUND_HALF_UP")
    assert all(line.billed >= line.quantity for line in cost.lines)
