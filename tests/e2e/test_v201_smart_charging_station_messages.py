"""2.0.1 block K messages a station sends: the CSMS keeps external limits, EV needs and schedules."""

from __future__ import annotations

import pytest

from opencsms.runtime import Runtime
from tests.e2e.wsclient import RawStation

pytestmark = pytest.mark.e2e

BOOT = {"reason": "PowerUp", "chargingStation": {"model": "AC22", "vendorName": "Acme"}}
SCHEDULE = {"id": 1, "chargingRateUnit": "W", "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 7000.0}]}


async def booted(server: Runtime, station_id: str) -> RawStation:
    st = await RawStation.open(server.ocpp_url, station_id, ("ocpp2.0.1",))
    assert (await st.call("BootNotification", BOOT))[2]["status"] == "Accepted"
    return st


async def test_k12_k13_external_limits_are_kept_and_cleared(server: Runtime) -> None:
    """K12.FR.02 NotifyChargingLimit is kept with its source; K13.FR.02 ClearedChargingLimit removes it."""
    st = await booted(server, "CS-K12")
    limit = {"chargingLimit": {"chargingLimitSource": "EMS", "isGridCritical": True}, "evseId": 1,
             "chargingSchedule": [SCHEDULE]}  # fmt: skip
    assert (await st.call("NotifyChargingLimit", limit))[2] == {}
    kept = await server.domain.station_profiles.external_limits("CS-K12")
    assert [(k["evse_id"], k["source"], k["is_grid_critical"]) for k in kept] == [(1, "EMS", True)]
    assert kept[0]["schedules"] == [SCHEDULE]
    cleared = {"chargingLimitSource": "EMS", "evseId": 1}
    assert (await st.call("ClearedChargingLimit", cleared))[2] == {}
    assert await server.domain.station_profiles.external_limits("CS-K12") == []
    await st.close()


async def test_k15_k17_ev_charging_needs_and_schedule_are_kept(server: Runtime) -> None:
    """K15.FR.02 NotifyEVChargingNeeds (Accepted, kept for the scheduler); K17.FR.11
    NotifyEVChargingSchedule (Accepted, kept)."""
    st = await booted(server, "CS-K15")
    needs = {
        "evseId": 1,
        "chargingNeeds": {
            "requestedEnergyTransfer": "AC_three_phase",
            "departureTime": "2026-12-03T07:00:00Z",
            "acChargingParameters": {
                "energyAmount": 30000,
                "evMinCurrent": 6,
                "evMaxCurrent": 16,
                "evMaxVoltage": 400,
            },
        },
    }
    assert (await st.call("NotifyEVChargingNeeds", needs))[2] == {"status": "Accepted"}
    ev_schedule = {"timeBase": "2026-12-02T20:00:00Z", "evseId": 1, "chargingSchedule": SCHEDULE}
    assert (await st.call("NotifyEVChargingSchedule", ev_schedule))[2] == {"status": "Accepted"}
    (kept,) = await server.domain.station_profiles.needs("CS-K15")
    assert (kept.evse_id, kept.energy_wh, kept.min_current_a, kept.max_current_a) == (1, 30000, 6, 16)
    assert kept.departure_time is not None and kept.departure_time.isoformat() == "2026-12-03T07:00:00+00:00"
    assert kept.ev_schedule == {"timeBase": "2026-12-02T20:00:00Z", "chargingSchedule": SCHEDULE}
    await st.close()


async def test_k09_a_malformed_reported_profile_gets_a_callerror(server: Runtime) -> None:
    """ReportChargingProfiles with a profile that breaks the rules: a CALLERROR, nothing kept."""
    st = await booted(server, "CS-K09")
    bad = {
        "id": 3,
        "stackLevel": 0,
        "chargingProfilePurpose": "TxDefaultProfile",
        "chargingProfileKind": "Absolute",
        "chargingSchedule": [SCHEDULE, SCHEDULE],
    }
    report = {"requestId": 1, "chargingLimitSource": "CSO", "evseId": 1, "chargingProfile": [bad]}
    answer = await st.call("ReportChargingProfiles", report)
    assert answer[0] == 4 and answer[2] == "PropertyConstraintViolation"
    assert await server.domain.station_profiles.installed("CS-K09") == []
    await st.close()
