"""Price-driven plans: the cheapest slots before the departure, and nothing more."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from opencsms.domain.price_scheduling import PriceSlot, plan_charging

T0 = datetime(2026, 1, 5, 18, tzinfo=UTC)
HOUR = timedelta(hours=1)


def hourly(prices: list[float]) -> list[PriceSlot]:
    return [PriceSlot(T0 + n * HOUR, 3600, price) for n, price in enumerate(prices)]


def test_energy_goes_into_the_cheapest_hours_before_departure() -> None:
    slots = hourly([0.40, 0.10, 0.30, 0.05, 0.50, 0.01])
    plan = plan_charging(slots, now=T0, departure=T0 + 5 * HOUR, energy_wh=25_000, max_power_w=11_000)
    assert [p.power_w for p in plan.periods] == [0, 11_000, 3_000, 11_000, 0]
    assert plan.energy_wh == 25_000 and plan.shortfall_wh == 0
    assert plan.power_at(T0 + 3.5 * HOUR) == 11_000 and plan.power_at(T0 + 9 * HOUR) is None


def test_partial_slots_count_with_their_part_and_shortfall_is_reported() -> None:
    slots = hourly([0.10, 0.20])
    plan = plan_charging(
        slots, now=T0 + HOUR / 2, departure=T0 + 2 * HOUR, energy_wh=100_000, max_power_w=10_000
    )
    assert [(p.start, p.power_w) for p in plan.periods] == [(T0 + HOUR / 2, 10_000), (T0 + HOUR, 10_000)]
    assert plan.energy_wh == 15_000 and plan.shortfall_wh == 85_000


@settings(max_examples=200, deadline=None)
@given(
    prices=st.lists(st.integers(1, 50), min_size=1, max_size=24),
    energy=st.integers(0, 200_000),
    hours=st.integers(1, 24),
)
def test_no_cheaper_slot_is_left_unused_while_a_dearer_one_charges(
    prices: list[int], energy: int, hours: int
) -> None:
    plan = plan_charging(hourly([float(p) for p in prices]), now=T0, departure=T0 + hours * HOUR,
                         energy_wh=energy, max_power_w=11_000)  # fmt: skip
    delivered = sum(p.power_w * (p.end - p.start).total_seconds() / 3600 for p in plan.periods)
    assert abs(delivered - plan.energy_wh) < 1e-6
    assert plan.shortfall_wh == 0 or all(p.power_w == 11_000 for p in plan.periods)
    used = [p for p in plan.periods if p.power_w > 0]
    idle = [p for p in plan.periods if p.power_w < 11_000]
    for charging in used:
        for waiting in idle:
            if waiting is not charging:
                assert charging.price is not None and waiting.price is not None
                assert charging.price <= waiting.price or waiting.power_w > 0
