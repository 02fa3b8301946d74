"""OCPP 1.6 Smart Charging profile (section 3.13, messages 5.5, 5.7, 5.16), CSMS side.

1.6 has no station-initiated Smart Charging message; what is here turns the version-neutral
profile commands into 1.6 calls and records what a station accepted, so the CSMS knows what
each station holds.
"""

from __future__ import annotations

from typing import Any

from opencsms.domain import commands as c
from opencsms.domain.charging_profiles import (
    ChargingProfile,
    ProfileError,
    Purpose,
    check_known_fields,
    check_schedule,
    format_datetime,
    parse_profile,
    validate_for_station,
)
from opencsms.handlers.context import Handler, Payload, StationContext

#: 1.6 spells the station maximum differently; it has no external constraints.
_PURPOSE_16 = {Purpose.STATION_MAX.value: "ChargePointMaxProfile"}
_PURPOSE_FROM_16 = {"ChargePointMaxProfile": Purpose.STATION_MAX.value}

HANDLERS: dict[str, Handler] = {}


def profile_to_16(profile: ChargingProfile) -> Payload:
    """The 1.6 ``csChargingProfiles`` of ``profile``."""
    schedule = profile.schedule
    periods = []
    for period in schedule.periods:
        item: dict[str, Any] = {"startPeriod": period.start, "limit": round(period.limit, 1)}
        if period.phases is not None:
            item["numberPhases"] = period.phases
        periods.append(item)
    wire_schedule: dict[str, Any] = {
        "chargingRateUnit": schedule.rate_unit.value,
        "chargingSchedulePeriod": periods,
    }
    if schedule.duration is not None:
        wire_schedule["duration"] = schedule.duration
    if schedule.start is not None:
        wire_schedule["startSchedule"] = format_datetime(schedule.start)
    if schedule.min_rate is not None:
        wire_schedule["minChargingRate"] = round(schedule.min_rate, 1)
    data: dict[str, Any] = {
        "chargingProfileId": profile.id,
        "stackLevel": profile.stack_level,
        "chargingProfilePurpose": _PURPOSE_16.get(profile.purpose.value, profile.purpose.value),
        "chargingProfileKind": profile.kind.value,
        "chargingSchedule": wire_schedule,
    }
    if profile.transaction_id is not None:
        data["transactionId"] = int(profile.transaction_id)
    if profile.recurrency is not None:
        data["recurrencyKind"] = profile.recurrency.value
    if profile.valid_from is not None:
        data["validFrom"] = format_datetime(profile.valid_from)
    if profile.valid_to is not None:
        data["validTo"] = format_datetime(profile.valid_to)
    return data


async def checked_profile(ctx: StationContext, data: dict[str, Any], evse_id: int) -> ChargingProfile:
    """``data`` parsed and validated against what the station holds.

    Raises:
        InvalidCommand: the profile is malformed or conflicts (the message says why).
    """
    profiles = ctx.domain.station_profiles
    try:
        check_known_fields(data)
        profile = parse_profile(data, evse_id)
        running = await profiles.running_transaction(ctx.station_id, evse_id) if evse_id else None
        return validate_for_station(
            profile,
            await profiles.installed(ctx.station_id),
            active_transaction=running.transaction_id if running else None,
            now=ctx.clock(),
        )
    except ProfileError as exc:
        raise c.InvalidCommand(f"charging profile refused: {exc}") from None


def remote_start_profile(data: dict[str, Any], evse_id: int) -> ChargingProfile:
    """The profile a remote start carries (1.6 section 5.11, 2.0.1 F01.FR.08/F02): a TxProfile,
    checked on its own, naming no transaction (the start makes it).

    Raises:
        InvalidCommand: the profile is malformed, of another purpose or names a transaction.
    """
    try:
        check_known_fields(data)
        profile = parse_profile(data, evse_id)
        check_schedule(profile)
    except ProfileError as exc:
        raise c.InvalidCommand(f"charging profile refused: {exc}") from None
    if profile.purpose is not Purpose.TX:
        raise c.InvalidCommand("a remote start's charging profile must be a TxProfile")
    if profile.transaction_id is not None:
        raise c.InvalidCommand("a remote start's charging profile names no transactionId")
    return profile


async def to_call(ctx: StationContext, command: c.Command) -> tuple[str, Payload] | None:
    """The 1.6 call of a Smart Charging command, or None for other commands.

    Raises:
        InvalidCommand: the profile is malformed or conflicts with what the station holds.
        UnknownCommand: GetChargingProfiles has no 1.6 equivalent.
    """
    match command:
        case c.SetChargingProfile(profile=data, evse_id=evse_id):
            profile = await checked_profile(ctx, data, evse_id)
            if profile.transaction_id is not None and not profile.transaction_id.isdigit():
                raise c.InvalidCommand("a 1.6 transactionId is an integer")
            return "SetChargingProfile", {
                "connectorId": evse_id,
                "csChargingProfiles": profile_to_16(profile),
            }
        case c.ClearChargingProfile(
            profile_id=profile_id, evse_id=evse_id, purpose=purpose, stack_level=level
        ):
            payload: Payload = {}
            if profile_id is not None:
                payload["id"] = profile_id
            if evse_id is not None:
                payload["connectorId"] = evse_id
            if purpose is not None:
                payload["chargingProfilePurpose"] = _PURPOSE_16.get(purpose, purpose)
            if level is not None:
                payload["stackLevel"] = level
            return "ClearChargingProfile", payload
        case c.GetCompositeSchedule(evse_id=evse_id, duration=duration, rate_unit=unit):
            payload = {"connectorId": evse_id, "duration": duration}
            if unit is not None:
                payload["chargingRateUnit"] = unit
            return "GetCompositeSchedule", payload
        case c.GetChargingProfiles():
            raise c.UnknownCommand("OCPP 1.6 has no GetChargingProfiles")
    return None


async def record_outcome(ctx: StationContext, action: str, request: Payload, response: Payload) -> None:
    """Keep what the station holds after it accepted a SetChargingProfile or ClearChargingProfile
    (whoever sent it: a command, the load manager or a raw call)."""
    profiles = ctx.domain.station_profiles
    if action == "SetChargingProfile" and response.get("status") == "Accepted":
        await profiles.record_installed(
            ctx.station_id, parse_profile(request["csChargingProfiles"], int(request["connectorId"]))
        )
    elif action == "ClearChargingProfile" and response.get("status") == "Accepted":
        purpose = request.get("chargingProfilePurpose")
        await profiles.record_cleared(
            ctx.station_id,
            profile_id=request.get("id"),
            evse_id=request.get("connectorId"),
            purpose=_PURPOSE_FROM_16.get(purpose, purpose) if purpose else None,
            stack_level=request.get("stackLevel"),
        )
