"""Charging profiles: parsing the JSON form of both versions, and validation before sending."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from opencsms.domain.charging_profiles import (
    ChargingProfile,
    Kind,
    ProfileError,
    Purpose,
    RateUnit,
    Recurrency,
    parse_profile,
    profile_to_json,
    to_unit,
    validate_for_station,
)

NOW = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)


def wire(**overrides: Any) -> dict[str, Any]:
    profile: dict[str, Any] = {
        "id": 7,
        "stackLevel": 1,
        "chargingProfilePurpose": "TxDefaultProfile",
        "chargingProfileKind": "Absolute",
        "chargingSchedule": [
            {
                "id": 1,
                "startSchedule": "2026-01-05T08:00:00Z",
                "chargingRateUnit": "A",
                "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 16}, {"startPeriod": 600, "limit": 8}],
            }
        ],
    }
    profile.update(overrides)
    return profile


def test_a_201_profile_round_trips_through_its_json_form() -> None:
    data = wire(validFrom="2026-01-01T00:00:00Z", validTo="2026-02-01T00:00:00Z")
    profile = parse_profile(data, evse_id=2)
    assert profile.evse_id == 2
    assert profile.schedule.periods[1].limit == 8
    assert parse_profile(profile_to_json(profile), evse_id=2) == profile


def test_16_spellings_are_accepted() -> None:
    data = {
        "chargingProfileId": 3,
        "transactionId": 42,
        "stackLevel": 0,
        "chargingProfilePurpose": "ChargePointMaxProfile",
        "chargingProfileKind": "Relative",
        "chargingSchedule": {
            "chargingRateUnit": "W",
            "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 11000}],
        },
    }
    profile = parse_profile(data)
    assert (profile.id, profile.purpose, profile.transaction_id) == (3, Purpose.STATION_MAX, "42")
    assert profile.schedule.rate_unit is RateUnit.WATTS


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"chargingProfilePurpose": "Cheap"}, "chargingProfilePurpose"),
        ({"stackLevel": "1"}, "stackLevel"),
        ({"chargingSchedule": []}, "exactly one schedule"),
        ({"validFrom": "yesterday"}, "validFrom"),
        ({"id": None}, "id"),
    ],
)
def test_malformed_profiles_are_refused_with_the_field_named(overrides: dict[str, Any], message: str) -> None:
    with pytest.raises(ProfileError, match=message):
        parse_profile(wire(**overrides))


def check(
    profile: ChargingProfile, installed: list[ChargingProfile] = (), tx: str | None = None
) -> ChargingProfile:  # type: ignore[assignment]
    return validate_for_station(profile, installed, active_transaction=tx, now=NOW)


def schedule_with(periods: list[dict[str, Any]], **extra: Any) -> list[dict[str, Any]]:
    return [{"id": 1, "chargingRateUnit": "A", "chargingSchedulePeriod": periods, **extra}]


@pytest.mark.parametrize(
    ("overrides", "evse", "message"),
    [
        ({"chargingSchedule": schedule_with([{"startPeriod": 5, "limit": 1}])}, 1, "startPeriod 0"),
        (
            {
                "chargingSchedule": schedule_with(
                    [{"startPeriod": 0, "limit": 1}, {"startPeriod": 0, "limit": 2}]
                )
            },
            1,
            "increase strictly",
        ),
        ({"chargingSchedule": schedule_with([{"startPeriod": 0, "limit": -1}])}, 1, "negative"),
        (
            {
                "chargingSchedule": schedule_with(
                    [{"startPeriod": 0, "limit": 1}, {"startPeriod": 90, "limit": 2}], duration=60
                )
            },
            1,
            "beyond",
        ),
        ({"chargingProfileKind": "Recurring"}, 1, "recurrencyKind"),
        ({"recurrencyKind": "Daily"}, 1, "only for Recurring"),
        ({"validFrom": "2026-02-01T00:00:00Z", "validTo": "2026-01-01T00:00:00Z"}, 1, "validTo"),
        ({"chargingProfilePurpose": "ChargingStationMaxProfile"}, 1, "EVSE 0 only"),
        ({"chargingProfilePurpose": "TxProfile"}, 0, "other than 0"),
        ({"chargingProfilePurpose": "TxProfile"}, 1, "needs a transaction"),
        ({"chargingProfilePurpose": "ChargingStationExternalConstraints"}, 0, "external systems"),
        ({"chargingProfileKind": "Relative"}, 1, "no startSchedule"),
        (
            {
                "chargingSchedule": schedule_with(
                    [{"startPeriod": 0, "limit": 1, "numberPhases": 3, "phaseToUse": 1}]
                )
            },
            1,
            "phaseToUse",
        ),
    ],
)
def test_rule_breaking_profiles_are_refused_before_sending(
    overrides: dict[str, Any], evse: int, message: str
) -> None:
    with pytest.raises(ProfileError, match=message):
        check(parse_profile(wire(**overrides), evse_id=evse))


def test_same_purpose_and_stack_level_with_overlapping_validity_conflicts() -> None:
    installed = parse_profile(wire(id=1, validFrom="2026-01-01T00:00:00Z", validTo="2026-01-10T00:00:00Z"), 1)
    overlapping = parse_profile(wire(id=2, validFrom="2026-01-09T00:00:00Z"), 1)
    with pytest.raises(ProfileError, match="profile 1 already has purpose TxDefaultProfile at stack level 1"):
        check(overlapping, [installed])
    later = parse_profile(wire(id=2, validFrom="2026-01-10T00:00:00Z"), 1)
    assert check(later, [installed]) == later
    assert check(parse_profile(wire(id=2, stackLevel=2), 1), [installed]).id == 2
    assert check(parse_profile(wire(id=1), 1), [installed]).id == 1  # same id: a replacement


def test_a_tx_profile_names_the_running_transaction() -> None:
    profile = check(parse_profile(wire(chargingProfilePurpose="TxProfile"), 1), tx="tx-9")
    assert profile.transaction_id == "tx-9"
    with pytest.raises(ProfileError, match="does not run on EVSE 1"):
        check(parse_profile(wire(chargingProfilePurpose="TxProfile", transactionId="other"), 1), tx="tx-9")


def test_an_absolute_profile_without_a_start_starts_now() -> None:
    data = wire()
    del data["chargingSchedule"][0]["startSchedule"]
    assert check(parse_profile(data, 1)).schedule.start == NOW


def test_units_convert_at_230_volts_per_phase() -> None:
    assert to_unit(16, RateUnit.AMPS, RateUnit.WATTS, 3) == pytest.approx(11_040)
    assert to_unit(7360, RateUnit.WATTS, RateUnit.AMPS, 1) == pytest.approx(32)
    assert to_unit(10, RateUnit.AMPS, RateUnit.AMPS, 1) == 10


def test_recurring_daily_is_parsed() -> None:
    profile = parse_profile(wire(chargingProfileKind="Recurring", recurrencyKind="Daily"), 1)
    assert (profile.kind, profile.recurrency) == (Kind.RECURRING, Recurrency.DAILY)
    assert check(profile).valid_from is None
    assert Recurrency.WEEKLY.seconds == 7 * 86_400
