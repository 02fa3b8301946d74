"""OCPP 2.0.1 functional block K (Smart Charging), CSMS side.

Station -> CSMS: ReportChargingProfiles (K09), NotifyChargingLimit (K12), ClearedChargingLimit
(K13), NotifyEVChargingNeeds (K15-K17), NotifyEVChargingSchedule (K15-K17). The profile commands
become 2.0.1 calls here, and what a station accepts is recorded.
"""

from __future__ import annotations

import itertools
import time
from typing import Any

from opencsms.domain import commands as c
from opencsms.domain.charging_profiles import ProfileError, parse_profile, profile_to_json
from opencsms.domain.station_profiles import ChargingNeeds
from opencsms.handlers.context import Handler, Payload, StationContext, parse_datetime
from opencsms.handlers.v16.smart_charging import checked_profile
from opencsms.ocppj.errors import PropertyConstraintViolation

_request_ids = itertools.count(int(time.time()) % 1_000_000 * 100 + 50)


async def report_charging_profiles(ctx: StationContext, payload: Payload) -> Payload:
    """K09.FR.05 (ReportChargingProfiles): keep the reported profiles, with their source."""
    try:
        await ctx.domain.station_profiles.record_report(
            ctx.station_id,
            int(payload["evseId"]),
            str(payload["chargingLimitSource"]),
            payload["chargingProfile"],
        )
    except ProfileError as exc:
        raise PropertyConstraintViolation(f"chargingProfile: {exc}") from None
    return {}


async def notify_charging_limit(ctx: StationContext, payload: Payload) -> Payload:
    """K12.FR.02 (NotifyChargingLimit): the CSMS keeps the limit an external system set."""
    limit = payload["chargingLimit"]
    await ctx.domain.station_profiles.record_external_limit(
        ctx.station_id,
        int(payload.get("evseId", 0)),
        str(limit["chargingLimitSource"]),
        limit.get("isGridCritical"),
        payload.get("chargingSchedule"),
    )
    return {}


async def cleared_charging_limit(ctx: StationContext, payload: Payload) -> Payload:
    """K13.FR.02 (ClearedChargingLimit): the external limit of that source is gone."""
    await ctx.domain.station_profiles.clear_external_limit(
        ctx.station_id, str(payload["chargingLimitSource"]), payload.get("evseId")
    )
    return {}


async def notify_ev_charging_needs(ctx: StationContext, payload: Payload) -> Payload:
    """K15.FR.02 (NotifyEVChargingNeeds): keep departure time and energy for the scheduler;
    answered Accepted (a schedule follows as a TxProfile when the site has a price signal)."""
    needs = payload["chargingNeeds"]
    ac = needs.get("acChargingParameters") or {}
    dc = needs.get("dcChargingParameters") or {}
    departure = needs.get("departureTime")
    energy = ac.get("energyAmount", dc.get("energyAmount"))
    await ctx.domain.station_profiles.record_needs(
        ChargingNeeds(
            ctx.station_id,
            int(payload["evseId"]),
            departure_time=parse_datetime(departure) if departure else None,
            energy_wh=None if energy is None else float(energy),
            min_current_a=ac.get("evMinCurrent"),
            max_current_a=ac.get("evMaxCurrent", dc.get("evMaxCurrent")),
        ),
        fields=("departure_time", "energy_wh", "min_current_a", "max_current_a"),
    )
    return {"status": "Accepted"}


async def notify_ev_charging_schedule(ctx: StationContext, payload: Payload) -> Payload:
    """K17.FR.11 (NotifyEVChargingSchedule): keep the EV's planned schedule; Accepted."""
    schedule: dict[str, Any] = {
        "timeBase": payload["timeBase"],
        "chargingSchedule": payload["chargingSchedule"],
    }
    await ctx.domain.station_profiles.record_needs(
        ChargingNeeds(ctx.station_id, int(payload["evseId"]), ev_schedule=schedule), fields=("ev_schedule",)
    )
    return {"status": "Accepted"}


HANDLERS: dict[str, Handler] = {
    "ReportChargingProfiles": report_charging_profiles,
    "NotifyChargingLimit": notify_charging_limit,
    "ClearedChargingLimit": cleared_charging_limit,
    "NotifyEVChargingNeeds": notify_ev_charging_needs,
    "NotifyEVChargingSchedule": notify_ev_charging_schedule,
}


async def to_call(ctx: StationContext, command: c.Command) -> tuple[str, Payload] | None:
    """The 2.0.1 call of a Smart Charging command, or None for other commands.

    Raises:
        InvalidCommand: the profile is malformed or conflicts with what the station holds.
    """
    match command:
        case c.SetChargingProfile(profile=data, evse_id=evse_id):
            profile = await checked_profile(ctx, data, evse_id)
            return "SetChargingProfile", {"evseId": evse_id, "chargingProfile": profile_to_json(profile)}
        case c.ClearChargingProfile(
            profile_id=profile_id, evse_id=evse_id, purpose=purpose, stack_level=level
        ):
            payload: Payload = {}
            if profile_id is not None:
                payload["chargingProfileId"] = profile_id
            criteria = {"evseId": evse_id, "chargingProfilePurpose": purpose, "stackLevel": level}
            criteria = {name: value for name, value in criteria.items() if value is not None}
            if criteria:
                payload["chargingProfileCriteria"] = criteria
            return "ClearChargingProfile", payload
        case c.GetCompositeSchedule(evse_id=evse_id, duration=duration, rate_unit=unit):
            payload = {"evseId": evse_id, "duration": duration}
            if unit is not None:
                payload["chargingRateUnit"] = unit
            return "GetCompositeSchedule", payload
        case c.GetChargingProfiles(
            evse_id=evse_id, purpose=purpose, stack_level=level, profile_ids=ids, sources=sources
        ):
            criterion: Payload = {}
            if purpose is not None:
                criterion["chargingProfilePurpose"] = purpose
            if level is not None:
                criterion["stackLevel"] = level
            if ids:
                criterion["chargingProfileId"] = list(ids)
            if sources:
                criterion["chargingLimitSource"] = list(sources)
            payload = {"requestId": next(_request_ids), "chargingProfile": criterion}
            if evse_id is not None:
                payload["evseId"] = evse_id
            return "GetChargingProfiles", payload
    return None


async def record_outcome(ctx: StationContext, action: str, request: Payload, response: Payload) -> None:
    """Keep what the station holds after it accepted a SetChargingProfile or ClearChargingProfile."""
    profiles = ctx.domain.station_profiles
    if action == "SetChargingProfile" and response.get("status") == "Accepted":
        await profiles.record_installed(
            ctx.station_id, parse_profile(request["chargingProfile"], int(request["evseId"]))
        )
    elif action == "ClearChargingProfile" and response.get("status") == "Accepted":
        criteria = request.get("chargingProfileCriteria") or {}
        await profiles.record_cleared(
            ctx.station_id,
            profile_id=request.get("chargingProfileId"),
            evse_id=criteria.get("evseId"),
            purpose=criteria.get("chargingProfilePurpose"),
            stack_level=criteria.get("stackLevel"),
        )
