"""Composite schedules: stacking, purposes, kinds, and agreement with the simulator's own arithmetic."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from opencsms.domain.charging_profiles import (
    ChargingProfile,
    ChargingSchedule,
    Kind,
    Purpose,
    RateUnit,
    Recurrency,
    SchedulePeriod,
    profile_to_json,
)
from opencsms.domain.composite_schedule import (
    CompositePeriod,
    RunningTransaction,
    composite_schedule,
    limit_at,
)
from opencsms.simulate.charging_limits import StationProfiles

T0 = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)


def profile(
    pid: int,
    purpose: Purpose,
    stack: int,
    periods: list[tuple[int, float]],
    *,
    evse: int = 1,
    kind: Kind = Kind.ABSOLUTE,
    start: datetime | None = T0,
    duration: int | None = None,
    unit: RateUnit = RateUnit.AMPS,
    **extra: Any,
) -> ChargingProfile:
    schedule = ChargingSchedule(
        tuple(SchedulePeriod(s, lim) for s, lim in periods),
        unit,
        start if kind is not Kind.RELATIVE else None,
        duration,
    )
    return ChargingProfile(pid, stack, purpose, kind, schedule, evse_id=evse, **extra)


def test_the_highest_stack_level_wins_until_its_schedule_ends() -> None:
    low = profile(1, Purpose.TX_DEFAULT, 0, [(0, 32)])
    high = profile(2, Purpose.TX_DEFAULT, 5, [(0, 10), (60, 12)], duration=120)
    result = composite_schedule([low, high], evse_id=1, start=T0, duration=300)
    assert result.periods == (CompositePeriod(0, 10), CompositePeriod(60, 12), CompositePeriod(120, 32))


def test_the_lowest_of_station_max_and_transaction_limits_applies() -> None:
    station_max = profile(1, Purpose.STATION_MAX, 0, [(0, 20), (100, 6)], evse=0)
    tx_default = profile(2, Purpose.TX_DEFAULT, 0, [(0, 16)], evse=0)
    result = composite_schedule([station_max, tx_default], evse_id=1, start=T0, duration=200)
    assert result.periods == (CompositePeriod(0, 16), CompositePeriod(100, 6))
    assert [
        p.limit for p in composite_schedule([station_max], evse_id=0, start=T0, duration=200).periods
    ] == [20, 6]


def test_a_tx_profile_overrides_tx_default_only_for_its_transaction() -> None:
    tx_default = profile(1, Purpose.TX_DEFAULT, 9, [(0, 16)])
    tx = profile(2, Purpose.TX, 0, [(0, 25)], kind=Kind.RELATIVE, transaction_id="abc")
    running = RunningTransaction("abc", T0 - timedelta(minutes=5))
    assert limit_at([tx_default, tx], T0, evse_id=1, transaction=running).limit == 25  # type: ignore[union-attr]
    other = RunningTransaction("other", T0)
    assert limit_at([tx_default, tx], T0, evse_id=1, transaction=other).limit == 16  # type: ignore[union-attr]
    assert limit_at([tx_default, tx], T0, evse_id=1).limit == 16  # type: ignore[union-attr]


def test_an_evse_profile_beats_a_station_wide_one_at_the_same_level() -> None:
    wide = profile(1, Purpose.TX_DEFAULT, 3, [(0, 16)], evse=0)
    own = profile(2, Purpose.TX_DEFAULT, 3, [(0, 30)], evse=1)
    assert limit_at([wide, own], T0, evse_id=1).limit == 30  # type: ignore[union-attr]
    assert limit_at([wide, own], T0, evse_id=2).limit == 16  # type: ignore[union-attr]


def test_relative_schedules_start_with_the_transaction() -> None:
    relative = profile(1, Purpose.TX_DEFAULT, 0, [(0, 6), (600, 32)], kind=Kind.RELATIVE)
    running = RunningTransaction("t", T0 - timedelta(seconds=500))
    result = composite_schedule([relative], evse_id=1, start=T0, duration=400, transaction=running)
    assert result.periods == (CompositePeriod(0, 6), CompositePeriod(100, 32))


def test_recurring_daily_schedules_repeat() -> None:
    night = profile(
        1,
        Purpose.TX_DEFAULT,
        0,
        [(0, 32), (6 * 3600, 8)],
        kind=Kind.RECURRING,
        start=datetime(2025, 12, 1, tzinfo=UTC),
        recurrency=Recurrency.DAILY,
    )
    result = composite_schedule(
        [night], evse_id=1, start=datetime(2026, 1, 5, 5, tzinfo=UTC), duration=86_400
    )
    assert result.periods == (
        CompositePeriod(0, 32),
        CompositePeriod(3600, 8),
        CompositePeriod(19 * 3600, 32),
    )


def test_limits_convert_to_the_unit_asked_for_and_validity_bounds_cut() -> None:
    watts = profile(
        1, Purpose.TX_DEFAULT, 0, [(0, 11_040)], unit=RateUnit.WATTS, valid_to=T0 + timedelta(seconds=30)
    )
    result = composite_schedule([watts], evse_id=1, start=T0, duration=60, unit=RateUnit.AMPS)
    assert result.periods[0].limit == 16
    assert result.periods[1] == CompositePeriod(30, None)
    assert result.limit_at(45) is None and result.limit_at(10) == 16


# -- property: the CSMS's arithmetic agrees with the simulator's independent one ---------------

_purposes = st.sampled_from([Purpose.STATION_MAX, Purpose.TX_DEFAULT, Purpose.TX])


@st.composite
def profiles(draw: st.DrawFn, pid: int) -> ChargingProfile:
    purpose = draw(_purposes)
    evse = (
        0
        if purpose is Purpose.STATION_MAX
        else draw(st.sampled_from([0, 1] if purpose is Purpose.TX_DEFAULT else [1]))
    )
    kind = draw(st.sampled_from(list(Kind)))
    starts = sorted(draw(st.sets(st.integers(1, 7200), max_size=4)))
    periods = [(s, float(draw(st.integers(0, 64)))) for s in [0, *starts]]
    duration = draw(st.one_of(st.none(), st.integers(starts[-1] + 1 if starts else 1, 9000)))
    start = T0 + timedelta(seconds=draw(st.integers(-90_000, 7200)))
    valid_from = draw(st.one_of(st.none(), st.integers(-3600, 7200).map(lambda s: T0 + timedelta(seconds=s))))
    valid_to = None if valid_from is None else valid_from + timedelta(seconds=draw(st.integers(1, 20_000)))
    return profile(
        pid,
        purpose,
        draw(st.integers(0, 3)),
        periods,
        evse=evse,
        kind=kind,
        start=start,
        duration=duration,
        unit=draw(st.sampled_from(list(RateUnit))),
        recurrency=Recurrency.DAILY if kind is Kind.RECURRING else None,
        valid_from=valid_from,
        valid_to=valid_to,
        transaction_id="tx" if purpose is Purpose.TX else None,
    )


@st.composite
def stacks(draw: st.DrawFn) -> list[ChargingProfile]:
    return [draw(profiles(pid)) for pid in range(draw(st.integers(1, 6)))]


@settings(max_examples=150, deadline=None)
@given(
    stack=stacks(), with_tx=st.booleans(), offsets=st.lists(st.integers(0, 10_000), min_size=1, max_size=20)
)
def test_composite_schedule_agrees_with_the_simulators_limits(
    stack: list[ChargingProfile], with_tx: bool, offsets: list[int]
) -> None:
    held = StationProfiles()
    for item in stack:
        held.install(item.evse_id, profile_to_json(item), T0)
    kept = [item for item in stack if any(h.id == item.id for h in held.held)]
    running = RunningTransaction("tx", T0 - timedelta(seconds=300)) if with_tx else None
    sim_tx = ("tx", running.started_at) if running else None
    result = composite_schedule(kept, evse_id=1, start=T0, duration=10_001, transaction=running)
    for offset in offsets:
        moment = T0 + timedelta(seconds=offset)
        expected = held.limit(1, moment, "A", sim_tx, T0)
        got = limit_at(kept, moment, evse_id=1, transaction=running, relative_origin=T0)
        assert (got.limit if got else None) == (expected[0] if expected else None)
        composite = result.limit_at(offset)
        assert (None if composite is None else round(composite, 6)) == (
            None if expected is None else round(expected[0], 6)
        )
