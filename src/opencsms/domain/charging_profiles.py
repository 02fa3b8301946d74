"""Charging profiles: the version-neutral model, its JSON form, and validation before sending.

The JSON form is the OCPP 2.0.1 ``ChargingProfileType`` with one schedule (``chargingSchedule``
may be given as a one-element list or, as in 1.6, an object); 1.6 spellings are accepted on
input (``chargingProfileId``, ``ChargePointMaxProfile``, an integer ``transactionId``). Profiles
name where they apply with ``evse_id``: 0 for the whole station, else the EVSE (2.0.1) or
connector (1.6). A TxProfile's ``transaction_id`` is the station's transaction id as a string
(the 1.6 integer written in decimal).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, TypeVar

#: Who set a profile: the CSMS itself (CSO: charging station operator) or, as a station reports, others.
SOURCE_CSMS = "CSO"
NOMINAL_VOLTAGE_V = 230.0
DEFAULT_PHASES = 3


class Purpose(StrEnum):
    STATION_MAX = "ChargingStationMaxProfile"
    TX_DEFAULT = "TxDefaultProfile"
    TX = "TxProfile"
    EXTERNAL_CONSTRAINTS = "ChargingStationExternalConstraints"


_PURPOSE_ALIASES = {"ChargePointMaxProfile": Purpose.STATION_MAX}


class Kind(StrEnum):
    ABSOLUTE = "Absolute"
    RECURRING = "Recurring"
    RELATIVE = "Relative"


class Recurrency(StrEnum):
    DAILY = "Daily"
    WEEKLY = "Weekly"

    @property
    def seconds(self) -> int:
        return 86_400 if self is Recurrency.DAILY else 7 * 86_400


class RateUnit(StrEnum):
    AMPS = "A"
    WATTS = "W"


StrEnumT = TypeVar("StrEnumT", bound=StrEnum)


class ProfileError(ValueError):
    """A profile is malformed or conflicts with what the station holds; the message says why."""


@dataclass(frozen=True, slots=True)
class SchedulePeriod:
    """From ``start`` seconds into the schedule on, at most ``limit`` (in the schedule's unit)."""

    start: int
    limit: float
    phases: int | None = None
    phase_to_use: int | None = None


@dataclass(frozen=True, slots=True)
class ChargingSchedule:
    periods: tuple[SchedulePeriod, ...]
    rate_unit: RateUnit
    start: datetime | None = None
    duration: int | None = None
    min_rate: float | None = None
    id: int = 1


@dataclass(frozen=True, slots=True)
class ChargingProfile:
    id: int
    stack_level: int
    purpose: Purpose
    kind: Kind
    schedule: ChargingSchedule
    evse_id: int = 0
    recurrency: Recurrency | None = None
    valid_from: datetime | None = None
    valid_to: datetime | None = None
    transaction_id: str | None = None

    def is_valid_at(self, moment: datetime) -> bool:
        """Whether ``moment`` lies in [validFrom, validTo)."""
        if self.valid_from is not None and moment < self.valid_from:
            return False
        return self.valid_to is None or moment < self.valid_to


def to_unit(limit: float, unit: RateUnit, wanted: RateUnit, phases: int | None) -> float:
    """A limit in ``unit`` expressed in ``wanted`` (amps per phase <-> watts at 230 V)."""
    if unit is wanted:
        return limit
    factor = NOMINAL_VOLTAGE_V * (phases or DEFAULT_PHASES)
    return limit * factor if wanted is RateUnit.WATTS else limit / factor


# -- JSON form -------------------------------------------------------------------------------------


def parse_datetime(value: object, field: str) -> datetime | None:
    """An ISO 8601 timestamp as aware UTC (naive means UTC). Raises ProfileError."""
    if value is None:
        return None
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            raise ProfileError(f"{field}: {value!r} is not an ISO 8601 timestamp") from None
    else:
        raise ProfileError(f"{field} must be a timestamp string")
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def format_datetime(value: datetime) -> str:
    """UTC with milliseconds and a Z, as OCPP stations expect."""
    value = value.astimezone(UTC)
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"


def _enum(kind: type[StrEnumT], value: object, field: str) -> StrEnumT:
    try:
        return kind(str(value))
    except ValueError:
        allowed = ", ".join(member.value for member in kind)
        raise ProfileError(f"{field}: {value!r} is not one of {allowed}") from None


def _int(data: Mapping[str, Any], name: str, *, default: int | None = None) -> int:
    value = data.get(name, default)
    if not isinstance(value, int) or isinstance(value, bool):
        raise ProfileError(f"{name} must be an integer")
    return value


def _number(value: object, name: str) -> float:
    if not isinstance(value, int | float) or isinstance(value, bool):
        raise ProfileError(f"{name} must be a number")
    return float(value)


def _optional_int(data: Mapping[str, Any], name: str) -> int | None:
    return None if data.get(name) is None else _int(data, name)


def parse_schedule(data: object) -> ChargingSchedule:
    """A ``ChargingScheduleType`` (2.0.1) or ``ChargingSchedule`` (1.6). Raises ProfileError."""
    if isinstance(data, list):
        if len(data) != 1:
            raise ProfileError("chargingSchedule: exactly one schedule per profile is supported")
        data = data[0]
    if not isinstance(data, Mapping):
        raise ProfileError("chargingSchedule must be an object")
    raw_periods = data.get("chargingSchedulePeriod")
    if not isinstance(raw_periods, list) or not raw_periods:
        raise ProfileError("chargingSchedulePeriod must be a non-empty list")
    periods = []
    for index, raw in enumerate(raw_periods):
        if not isinstance(raw, Mapping):
            raise ProfileError(f"chargingSchedulePeriod[{index}] must be an object")
        periods.append(
            SchedulePeriod(
                start=_int(raw, "startPeriod"),
                limit=_number(raw.get("limit"), f"chargingSchedulePeriod[{index}].limit"),
                phases=_optional_int(raw, "numberPhases"),
                phase_to_use=_optional_int(raw, "phaseToUse"),
            )
        )
    min_rate = data.get("minChargingRate")
    return ChargingSchedule(
        periods=tuple(periods),
        rate_unit=_enum(RateUnit, data.get("chargingRateUnit"), "chargingRateUnit"),
        start=parse_datetime(data.get("startSchedule"), "startSchedule"),
        duration=_optional_int(data, "duration"),
        min_rate=None if min_rate is None else _number(min_rate, "minChargingRate"),
        id=_int(data, "id", default=1),
    )


# The fields of a profile, its schedule and its periods in 2.0.1 and 1.6 spellings.
_PROFILE_FIELDS = frozenset(
    {
        "id",
        "chargingProfileId",
        "stackLevel",
        "chargingProfilePurpose",
        "chargingProfileKind",
        "recurrencyKind",
        "validFrom",
        "validTo",
        "transactionId",
        "chargingSchedule",
        "customData",
    }
)
_SCHEDULE_FIELDS = frozenset(
    {
        "id",
        "startSchedule",
        "duration",
        "chargingRateUnit",
        "chargingSchedulePeriod",
        "minChargingRate",
        "salesTariff",
        "customData",
    }
)
_PERIOD_FIELDS = frozenset({"startPeriod", "limit", "numberPhases", "phaseToUse", "customData"})


def check_known_fields(data: object) -> None:
    """Refuse a profile an operator wrote with a field neither spelling has (a typo must not
    be dropped silently, as parsing would).

    Raises:
        ProfileError: naming the first unknown field.
    """
    if not isinstance(data, Mapping):
        return
    _known(data, _PROFILE_FIELDS, "")
    schedules = data.get("chargingSchedule")
    for index, schedule in enumerate(schedules if isinstance(schedules, list) else [schedules]):
        if not isinstance(schedule, Mapping):
            continue
        where = f"chargingSchedule[{index}]." if isinstance(schedules, list) else "chargingSchedule."
        _known(schedule, _SCHEDULE_FIELDS, where)
        periods = schedule.get("chargingSchedulePeriod")
        for number, period in enumerate(periods if isinstance(periods, list) else []):
            if isinstance(period, Mapping):
                _known(period, _PERIOD_FIELDS, f"{where}chargingSchedulePeriod[{number}].")


def _known(data: Mapping[str, Any], fields: frozenset[str], where: str) -> None:
    unknown = sorted(str(name) for name in data if name not in fields)
    if unknown:
        raise ProfileError(f"{where}{unknown[0]}: unknown field")


def parse_profile(data: Mapping[str, Any], evse_id: int = 0) -> ChargingProfile:
    """A profile from its JSON form (2.0.1, or 1.6 spellings), set on ``evse_id``.

    Raises:
        ProfileError: a field is missing or malformed (the message names it).
    """
    if not isinstance(data, Mapping):
        raise ProfileError("a charging profile must be an object")
    profile_id = data.get("id", data.get("chargingProfileId"))
    if not isinstance(profile_id, int) or isinstance(profile_id, bool):
        raise ProfileError("id (chargingProfileId) must be an integer")
    raw_purpose = data.get("chargingProfilePurpose")
    purpose = _PURPOSE_ALIASES.get(str(raw_purpose)) or _enum(Purpose, raw_purpose, "chargingProfilePurpose")
    recurrency = data.get("recurrencyKind")
    transaction_id = data.get("transactionId")
    if isinstance(transaction_id, bool) or not isinstance(transaction_id, int | str | None):
        raise ProfileError("transactionId must be a string or an integer")
    if "chargingSchedule" not in data:
        raise ProfileError("chargingSchedule is required")
    return ChargingProfile(
        id=profile_id,
        stack_level=_int(data, "stackLevel"),
        purpose=purpose,
        kind=_enum(Kind, data.get("chargingProfileKind"), "chargingProfileKind"),
        schedule=parse_schedule(data["chargingSchedule"]),
        evse_id=evse_id,
        recurrency=None if recurrency is None else _enum(Recurrency, recurrency, "recurrencyKind"),
        valid_from=parse_datetime(data.get("validFrom"), "validFrom"),
        valid_to=parse_datetime(data.get("validTo"), "validTo"),
        transaction_id=None if transaction_id is None else str(transaction_id),
    )


def schedule_to_json(schedule: ChargingSchedule) -> dict[str, Any]:
    """The 2.0.1 ``ChargingScheduleType`` of ``schedule``."""
    periods = []
    for period in schedule.periods:
        item: dict[str, Any] = {"startPeriod": period.start, "limit": period.limit}
        if period.phases is not None:
            item["numberPhases"] = period.phases
        if period.phase_to_use is not None:
            item["phaseToUse"] = period.phase_to_use
        periods.append(item)
    data: dict[str, Any] = {
        "id": schedule.id,
        "chargingRateUnit": schedule.rate_unit.value,
        "chargingSchedulePeriod": periods,
    }
    if schedule.start is not None:
        data["startSchedule"] = format_datetime(schedule.start)
    if schedule.duration is not None:
        data["duration"] = schedule.duration
    if schedule.min_rate is not None:
        data["minChargingRate"] = schedule.min_rate
    return data


def installed_row(
    station_id: str, profile: ChargingProfile, source: str, installed_at: datetime
) -> dict[str, Any]:
    """The ``charging_profiles`` row of a profile a station holds, set by ``source``."""
    return {
        "station_id": station_id,
        "profile_id": profile.id,
        "evse_id": profile.evse_id,
        "purpose": profile.purpose.value,
        "stack_level": profile.stack_level,
        "transaction_id": profile.transaction_id,
        "source": source,
        "profile": profile_to_json(profile),
        "installed_at": installed_at,
    }


def profile_to_json(profile: ChargingProfile) -> dict[str, Any]:
    """The 2.0.1 ``ChargingProfileType`` of ``profile`` (its EVSE is not part of it)."""
    data: dict[str, Any] = {
        "id": profile.id,
        "stackLevel": profile.stack_level,
        "chargingProfilePurpose": profile.purpose.value,
        "chargingProfileKind": profile.kind.value,
        "chargingSchedule": [schedule_to_json(profile.schedule)],
    }
    if profile.recurrency is not None:
        data["recurrencyKind"] = profile.recurrency.value
    if profile.valid_from is not None:
        data["validFrom"] = format_datetime(profile.valid_from)
    if profile.valid_to is not None:
        data["validTo"] = format_datetime(profile.valid_to)
    if profile.transaction_id is not None:
        data["transactionId"] = profile.transaction_id
    return data


# -- validation ------------------------------------------------------------------------------------


def check_schedule(profile: ChargingProfile) -> None:
    """Rules a profile must follow on its own. Raises ProfileError naming the broken rule."""
    schedule = profile.schedule
    if profile.stack_level < 0:
        raise ProfileError("stackLevel must be 0 or more")
    if profile.evse_id < 0:
        raise ProfileError("evseId (connectorId) must be 0 or more")
    starts = [period.start for period in schedule.periods]
    if starts[0] != 0:
        raise ProfileError("the first chargingSchedulePeriod must have startPeriod 0")
    if any(later <= earlier for earlier, later in itertools.pairwise(starts)):
        raise ProfileError("startPeriod values must increase strictly")
    for period in schedule.periods:
        if period.limit < 0:
            raise ProfileError(f"limit {period.limit} at startPeriod {period.start} is negative")
        if period.phases is not None and period.phases not in (1, 2, 3):
            raise ProfileError("numberPhases must be 1, 2 or 3")
        if period.phase_to_use is not None and (period.phases != 1 or period.phase_to_use not in (1, 2, 3)):
            raise ProfileError("phaseToUse (1-3) is allowed only with numberPhases 1")
    if schedule.duration is not None:
        if schedule.duration <= 0:
            raise ProfileError("duration must be positive")
        if starts[-1] >= schedule.duration:
            raise ProfileError(f"startPeriod {starts[-1]} lies beyond the schedule's duration")
    if profile.kind is Kind.RECURRING:
        if profile.recurrency is None or schedule.start is None:
            raise ProfileError("a Recurring profile needs recurrencyKind and startSchedule")
        if schedule.duration is not None and schedule.duration > profile.recurrency.seconds:
            raise ProfileError("a Recurring schedule's duration must fit in its recurrency")
    elif profile.recurrency is not None:
        raise ProfileError("recurrencyKind is only for Recurring profiles")
    if profile.kind is Kind.RELATIVE and schedule.start is not None:
        raise ProfileError("a Relative profile has no startSchedule")
    if profile.valid_from and profile.valid_to and profile.valid_to <= profile.valid_from:
        raise ProfileError("validTo must be after validFrom")
    if profile.transaction_id is not None and profile.purpose is not Purpose.TX:
        raise ProfileError("only a TxProfile names a transactionId")


def _overlap(a: ChargingProfile, b: ChargingProfile) -> bool:
    a_from, b_from = (
        a.valid_from or datetime.min.replace(tzinfo=UTC),
        b.valid_from or datetime.min.replace(tzinfo=UTC),
    )
    a_to, b_to = (
        a.valid_to or datetime.max.replace(tzinfo=UTC),
        b.valid_to or datetime.max.replace(tzinfo=UTC),
    )
    return a_from < b_to and b_from < a_to


def validate_for_station(
    profile: ChargingProfile,
    installed: Iterable[ChargingProfile],
    *,
    active_transaction: str | None,
    now: datetime,
) -> ChargingProfile:
    """Check ``profile`` before it is sent to a station holding ``installed``, with
    ``active_transaction`` (its id) running on the profile's EVSE, if any.

    Returns the profile as it will be sent: an Absolute schedule without a start starts ``now``;
    a TxProfile without a transactionId names the running one.

    Raises:
        ProfileError: the profile breaks a rule (OCPP 1.6 section 3.13, 2.0.1 K01) or conflicts
            with an installed profile of the same purpose and stack level whose validity overlaps.
    """
    check_schedule(profile)
    if profile.purpose is Purpose.EXTERNAL_CONSTRAINTS:
        raise ProfileError("ChargingStationExternalConstraints are set by external systems, not the CSMS")
    if profile.purpose is Purpose.STATION_MAX and profile.evse_id != 0:
        raise ProfileError("a ChargingStationMaxProfile (ChargePointMaxProfile) applies to EVSE 0 only")
    if profile.purpose is Purpose.TX:
        if profile.evse_id == 0:
            raise ProfileError("a TxProfile needs an EVSE (connector) other than 0")
        if active_transaction is None:
            raise ProfileError(f"a TxProfile needs a transaction, and EVSE {profile.evse_id} has none")
        if profile.transaction_id is None:
            profile = replace(profile, transaction_id=active_transaction)
        elif profile.transaction_id != active_transaction:
            raise ProfileError(
                f"transaction {profile.transaction_id} does not run on EVSE {profile.evse_id}"
                f" (running: {active_transaction})"
            )
    if profile.kind is Kind.ABSOLUTE and profile.schedule.start is None:
        profile = replace(profile, schedule=replace(profile.schedule, start=now.replace(microsecond=0)))
    for other in installed:
        if (
            other.id != profile.id
            and other.purpose is profile.purpose
            and other.stack_level == profile.stack_level
            and other.evse_id == profile.evse_id
            and (profile.purpose is not Purpose.TX or other.transaction_id == profile.transaction_id)
            and _overlap(other, profile)
        ):
            raise ProfileError(
                f"profile {other.id} already has purpose {profile.purpose.value} at stack level"
                f" {profile.stack_level} on EVSE {profile.evse_id} for an overlapping validity period"
            )
    return profile
