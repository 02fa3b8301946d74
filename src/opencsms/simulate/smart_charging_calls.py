"""The Smart Charging calls a simulated station answers (1.6 SetChargingProfile,
ClearChargingProfile, GetCompositeSchedule; 2.0.1 the same and GetChargingProfiles), and the
limit they set on the simulated EVs.

The station keeps the profiles in ``charging_limits.StationProfiles`` and works out limits with
that module's own arithmetic; a charging EV then draws no more than its point's limit.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from opencsms.ocppj import OcppError
from opencsms.simulate.charging_limits import STATION_MAX_PURPOSES, convert
from opencsms.simulate.ev import ocpp_timestamp
from opencsms.simulate.received_calls import optional, required
from opencsms.transport.connection import CallFailed, Payload

if TYPE_CHECKING:
    from opencsms.simulate.station_base import SimulatedStationBase

log = logging.getLogger(__name__)


def running_transaction(station: SimulatedStationBase, point_id: int) -> tuple[str, datetime] | None:
    """(transaction id, start) of the point's transaction, if one runs."""
    transaction = station.point(point_id).transaction if point_id in station.point_ids else None
    if transaction is None:
        return None
    started = datetime.fromisoformat(str(getattr(transaction, "started_at", "")).replace("Z", "+00:00"))
    return str(getattr(transaction, "transaction_id", "")), started.replace(microsecond=0)


def apply_charging_limits(station: SimulatedStationBase) -> None:
    """Give every charging EV the limit its point has now; the station maximum is shared among them."""
    now = datetime.now(UTC)
    loop_now = asyncio.get_running_loop().time()
    limits: dict[int, float | None] = {}
    for point_id in station.point_ids:
        transaction = running_transaction(station, point_id)
        if transaction is None:
            continue
        found = station.charging_profiles.limit(point_id, now, "W", transaction)
        limits[point_id] = None if found is None else found[0]
    station_max = station.charging_profiles.limit(0, now, "W")
    if station_max is not None and limits:
        wanted = {n: station.point(n).max_power_w if lim is None else lim for n, lim in limits.items()}
        total = sum(wanted.values())
        if total > station_max[0]:
            limits = {n: w * station_max[0] / total for n, w in wanted.items()}
    for point_id, limit in limits.items():
        point = station.point(point_id)
        if point.transaction is not None:
            point.advance(loop_now)  # the energy so far goes into the register at the old power
            point.transaction.session.set_limit(limit, loop_now)


def install(station: SimulatedStationBase, evse_id: int, profile: dict[str, Any]) -> str:
    """Accepted (kept, limits applied) or Rejected, as 1.6 section 5.16 / 2.0.1 K01 say."""
    purpose = str(profile.get("chargingProfilePurpose"))
    if evse_id != 0 and evse_id not in station.point_ids:
        return "Rejected"
    if purpose == "ChargingStationExternalConstraints" or (purpose in STATION_MAX_PURPOSES and evse_id != 0):
        return "Rejected"
    if purpose == "TxProfile":
        transaction = running_transaction(station, evse_id) if evse_id else None
        if transaction is None:
            return "Rejected"  # 1.6 section 3.13.4, 2.0.1 K01.FR.09
        named = profile.get("transactionId")
        if named is not None and str(named) != transaction[0]:
            return "Rejected"
        profile = {**profile, "transactionId": transaction[0]}
        station.charging_profiles.held = [
            held
            for held in station.charging_profiles.held
            if not (
                held.evse_id == evse_id
                and held.purpose == "TxProfile"
                and held.transaction_id != transaction[0]
            )
        ]
    station.charging_profiles.install(evse_id, profile, datetime.now(UTC))
    apply_charging_limits(station)
    return "Accepted"


def clear(station: SimulatedStationBase, **criteria: Any) -> str:
    """Accepted when a profile went, else Unknown (1.6 section 5.5, 2.0.1 K10)."""
    removed = station.charging_profiles.clear(**criteria)
    apply_charging_limits(station)
    return "Accepted" if removed else "Unknown"


def composite(station: SimulatedStationBase, evse_id: int, duration: int, unit: str) -> tuple[str, list[Any]]:
    """(scheduleStart, chargingSchedulePeriod) from now; without a profile, the hardware maximum."""
    start = datetime.now(UTC).replace(microsecond=0)
    points = station.point_ids if evse_id == 0 else [evse_id]
    hardware_w = sum(station.point(n).max_power_w for n in points)
    default = convert(hardware_w, "W", unit, station.config.phases)
    transaction = running_transaction(station, evse_id) if evse_id else None
    periods = station.charging_profiles.composite(evse_id, start, duration, unit, default, transaction)
    return ocpp_timestamp(start), periods


# -- 1.6 -------------------------------------------------------------------------------------------


async def set_charging_profile_16(station: SimulatedStationBase, payload: Payload) -> Payload:
    """1.6 section 5.16: Accepted and applied, or Rejected (TxProfile and no transaction)."""
    connector_id = required(payload, "connectorId", int)
    return {"status": install(station, connector_id, required(payload, "csChargingProfiles", dict))}


async def clear_charging_profile_16(station: SimulatedStationBase, payload: Payload) -> Payload:
    """1.6 section 5.5: Accepted when a matching profile was removed, else Unknown."""
    return {
        "status": clear(
            station,
            profile_id=optional(payload, "id", int),
            evse_id=optional(payload, "connectorId", int),
            purpose=optional(payload, "chargingProfilePurpose", str),
            stack_level=optional(payload, "stackLevel", int),
        )
    }


async def get_composite_schedule_16(station: SimulatedStationBase, payload: Payload) -> Payload:
    """1.6 section 5.7: the composite schedule of the connector from now (Rejected: unknown connector)."""
    connector_id = required(payload, "connectorId", int)
    duration = required(payload, "duration", int)
    unit = optional(payload, "chargingRateUnit", str) or "W"
    if connector_id != 0 and connector_id not in station.point_ids:
        return {"status": "Rejected"}
    start, periods = composite(station, connector_id, duration, unit)
    schedule = {
        "duration": duration,
        "startSchedule": start,
        "chargingRateUnit": unit,
        "chargingSchedulePeriod": periods,
    }
    return {
        "status": "Accepted",
        "connectorId": connector_id,
        "scheduleStart": start,
        "chargingSchedule": schedule,
    }


HANDLERS_16 = {
    "SetChargingProfile": set_charging_profile_16,
    "ClearChargingProfile": clear_charging_profile_16,
    "GetCompositeSchedule": get_composite_schedule_16,
}

# -- 2.0.1 -----------------------------------------------------------------------------------------


async def set_charging_profile_201(station: SimulatedStationBase, payload: Payload) -> Payload:
    """K01: Accepted and applied, or Rejected (K01.FR.09 TxProfile without transaction; external)."""
    evse_id = required(payload, "evseId", int)
    return {"status": install(station, evse_id, required(payload, "chargingProfile", dict))}


async def clear_charging_profile_201(station: SimulatedStationBase, payload: Payload) -> Payload:
    """K10: Accepted when a matching profile was removed, else Unknown."""
    criteria = optional(payload, "chargingProfileCriteria", dict) or {}
    return {
        "status": clear(
            station,
            profile_id=optional(payload, "chargingProfileId", int),
            evse_id=criteria.get("evseId"),
            purpose=criteria.get("chargingProfilePurpose"),
            stack_level=criteria.get("stackLevel"),
        )
    }


async def get_composite_schedule_201(station: SimulatedStationBase, payload: Payload) -> Payload:
    """K08: the composite schedule of the EVSE from now (Rejected: unknown EVSE, K08.FR.06)."""
    evse_id = required(payload, "evseId", int)
    duration = required(payload, "duration", int)
    unit = optional(payload, "chargingRateUnit", str) or "W"
    if evse_id != 0 and evse_id not in station.point_ids:
        return {"status": "Rejected"}
    start, periods = composite(station, evse_id, duration, unit)
    schedule = {
        "evseId": evse_id,
        "duration": duration,
        "scheduleStart": start,
        "chargingRateUnit": unit,
        "chargingSchedulePeriod": periods,
    }
    return {"status": "Accepted", "schedule": schedule}


async def get_charging_profiles_201(station: SimulatedStationBase, payload: Payload) -> Payload:
    """K09: Accepted and ReportChargingProfiles follow (one per EVSE), or NoProfiles."""
    request_id = required(payload, "requestId", int)
    criterion = required(payload, "chargingProfile", dict)
    evse_id = optional(payload, "evseId", int)
    purpose = criterion.get("chargingProfilePurpose")
    ids = criterion.get("chargingProfileId")
    sources = criterion.get("chargingLimitSource")
    chosen = [
        held
        for held in station.charging_profiles.held
        if (evse_id is None or held.evse_id == evse_id)
        and (purpose is None or held.wire.get("chargingProfilePurpose") == purpose)
        and (criterion.get("stackLevel") is None or held.stack_level == criterion["stackLevel"])
        and (not ids or held.id in ids)
        and (not sources or "CSO" in sources)
    ]
    if not chosen:
        return {"status": "NoProfiles"}
    by_evse: dict[int, list[dict[str, Any]]] = {}
    for held in chosen:
        by_evse.setdefault(held.evse_id, []).append(held.wire)
    station.spawn(_report(station, request_id, by_evse), "report charging profiles")
    return {"status": "Accepted"}


async def _report(
    station: SimulatedStationBase, request_id: int, by_evse: dict[int, list[dict[str, Any]]]
) -> None:
    evses = sorted(by_evse)
    for index, evse_id in enumerate(evses):
        payload: Payload = {
            "requestId": request_id,
            "chargingLimitSource": "CSO",
            "evseId": evse_id,
            "chargingProfile": by_evse[evse_id],
        }
        if index < len(evses) - 1:
            payload["tbc"] = True
        try:
            await station.call("ReportChargingProfiles", payload)
        except (CallFailed, OcppError) as exc:
            log.info("%s: ReportChargingProfiles failed: %s", station.station_id, exc)
            return


HANDLERS_201 = {
    "SetChargingProfile": set_charging_profile_201,
    "ClearChargingProfile": clear_charging_profile_201,
    "GetCompositeSchedule": get_composite_schedule_201,
    "GetChargingProfiles": get_charging_profiles_201,
}
