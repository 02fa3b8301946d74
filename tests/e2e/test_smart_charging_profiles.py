"""Smart Charging profiles end to end: the CSMS validates, sends, records what stations hold and
computes composite schedules that agree with what the simulated stations report (1.6 and 2.0.1)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest

from opencsms.domain import commands as c
from opencsms.domain.charging_profiles import RateUnit
from opencsms.runtime import Runtime
from opencsms.simulate import SimulatedStation16, SimulatedStation201, StationConfig
from tests.simulate.csms import VALIDATORS, poll

pytestmark = pytest.mark.e2e

TAG = "SC-TAG"


def config(station_id: str, server: Runtime) -> StationConfig:
    return StationConfig(
        station_id,
        server.ocpp_url,
        id_tags=(TAG,),
        meter_interval=0.1,
        unplug_seconds=0.0,
        ramp_seconds=0.0,
        max_power_w=22_080.0,
        seed=1,
    )


@pytest.fixture
async def station16(server: Runtime) -> AsyncIterator[SimulatedStation16]:
    await server.domain.tokens.add(TAG)
    st = SimulatedStation16(config("SC16", server), validator=VALIDATORS["1.6"])
    await st.connect()
    assert await st.boot() == "Accepted"
    yield st
    await st.disconnect()


@pytest.fixture
async def station201(server: Runtime) -> AsyncIterator[SimulatedStation201]:
    await server.domain.tokens.add(TAG)
    st = SimulatedStation201(config("SC201", server), validator=VALIDATORS["2.0.1"])
    await st.connect()
    assert await st.boot() == "Accepted"
    yield st
    await st.disconnect()


def tx_default(limit: float, *, profile_id: int = 1, stack_level: int = 0) -> dict[str, Any]:
    return {
        "id": profile_id,
        "stackLevel": stack_level,
        "chargingProfilePurpose": "TxDefaultProfile",
        "chargingProfileKind": "Relative",
        "chargingSchedule": [
            {"id": 1, "chargingRateUnit": "A", "chargingSchedulePeriod": [{"startPeriod": 0, "limit": limit}]}
        ],
    }


async def remote_start(server: Runtime, station_id: str, point: int) -> None:
    result = await server.sessions.execute(station_id, c.RemoteStart(TAG, connector_id=point, evse_id=point))
    assert result.status == "Accepted"


async def test_tc_056_csms_central_smart_charging_tx_default_profile(
    server: Runtime, station16: SimulatedStation16
) -> None:
    """TC_056_CSMS: SetChargingProfile with a TxDefaultProfile for connector 0, Accepted; the CSMS
    keeps it as installed and the next session on connector 1 draws no more than its limit."""
    result = await server.sessions.execute("SC16", c.SetChargingProfile(tx_default(10), evse_id=0))
    assert result.action == "SetChargingProfile" and result.status == "Accepted"
    sent = result.request["csChargingProfiles"]
    assert result.request["connectorId"] == 0 and sent["chargingProfilePurpose"] == "TxDefaultProfile"
    assert sent["chargingSchedule"]["chargingSchedulePeriod"] == [{"startPeriod": 0, "limit": 10.0}]
    held = await server.domain.station_profiles.installed("SC16")
    assert [(p.id, p.evse_id, p.purpose.value) for p in held] == [(1, 0, "TxDefaultProfile")]
    await remote_start(server, "SC16", 1)
    await poll(lambda: station16.connectors[1].transaction is not None)
    # 10 A on 3 phases at 230 V
    await poll(lambda: abs(station16.connectors[1].power_w - 6900) < 1)


async def test_tc_057_csms_central_smart_charging_tx_profile(
    server: Runtime, station16: SimulatedStation16
) -> None:
    """TC_057_CSMS: a TxProfile is refused without a running transaction; during one,
    SetChargingProfile TxProfile names the connector and the transaction, Accepted, and overrides
    the default; the CSMS keeps it with the transaction."""
    refused = c.SetChargingProfile({**tx_default(8), "chargingProfilePurpose": "TxProfile"}, evse_id=1)
    with pytest.raises(c.InvalidCommand, match="needs a transaction"):
        await server.sessions.execute("SC16", refused)
    await server.sessions.execute("SC16", c.SetChargingProfile(tx_default(20), evse_id=0))
    await remote_start(server, "SC16", 1)
    await poll(lambda: station16.connectors[1].transaction is not None)
    result = await server.sessions.execute("SC16", refused)
    assert result.status == "Accepted"
    await poll(lambda: abs(station16.connectors[1].power_w - 8 * 690) < 1)
    tx = station16.connectors[1].transaction
    assert tx is not None
    assert result.request["connectorId"] == 1
    assert result.request["csChargingProfiles"]["transactionId"] == tx.transaction_id
    held = {p.purpose.value: p for p in await server.domain.station_profiles.installed("SC16")}
    assert held["TxProfile"].transaction_id == str(tx.transaction_id)


async def test_tc_066_csms_get_composite_schedule_agrees_with_the_csms(
    server: Runtime, station16: SimulatedStation16
) -> None:
    """TC_066_CSMS: the station's composite schedule equals the one the CSMS computes itself."""
    start = datetime.now(UTC).replace(microsecond=0).isoformat()
    station_max = {
        "id": 5,
        "stackLevel": 0,
        "chargingProfilePurpose": "ChargingStationMaxProfile",
        "chargingProfileKind": "Absolute",
        "chargingSchedule": [
            {
                "id": 1,
                "startSchedule": start,
                "chargingRateUnit": "A",
                "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 16}, {"startPeriod": 120, "limit": 6}],
            }
        ],
    }
    for command in (c.SetChargingProfile(station_max), c.SetChargingProfile(tx_default(12), evse_id=0)):
        assert (await server.sessions.execute("SC16", command)).status == "Accepted"
    answer = await server.sessions.execute("SC16", c.GetCompositeSchedule(1, 300, "A"))
    assert answer.status == "Accepted"
    reported = [
        (p["startPeriod"], p["limit"]) for p in answer.response["chargingSchedule"]["chargingSchedulePeriod"]
    ]
    own = await server.domain.station_profiles.composite("SC16", 1, 300, RateUnit.AMPS)
    computed = [(p.start, p.limit) for p in own.periods]
    # the two started within the same second or two: compare the shape
    assert [limit for _, limit in reported] == [limit for _, limit in computed] == [12, 6]
    assert abs(reported[1][0] - computed[1][0]) <= 2


async def test_tc_067_csms_clear_charging_profile(server: Runtime, station16: SimulatedStation16) -> None:
    """TC_067_CSMS: ClearChargingProfile by id, Accepted, removes the profile from the station and
    from the CSMS's record; clearing it again is Unknown."""
    await server.sessions.execute("SC16", c.SetChargingProfile(tx_default(10, profile_id=3), evse_id=0))
    result = await server.sessions.execute("SC16", c.ClearChargingProfile(profile_id=3))
    assert result.status == "Accepted" and result.request == {"id": 3}
    assert station16.charging_profiles.held == []
    assert await server.domain.station_profiles.installed("SC16") == []
    again = await server.sessions.execute("SC16", c.ClearChargingProfile(profile_id=3))
    assert again.status == "Unknown"


async def test_conflicting_profiles_are_refused_before_sending(
    server: Runtime, station16: SimulatedStation16
) -> None:
    await server.sessions.execute("SC16", c.SetChargingProfile(tx_default(10, profile_id=1), evse_id=0))
    with pytest.raises(c.InvalidCommand, match="already has purpose TxDefaultProfile at stack level 0"):
        await server.sessions.execute("SC16", c.SetChargingProfile(tx_default(10, profile_id=2), evse_id=0))
    assert [p.id for p in station16.charging_profiles.held] == [1]


async def test_k01_k08_k10_set_composite_and_clear_on_201(
    server: Runtime, station201: SimulatedStation201
) -> None:
    """K01 SetChargingProfile, K08 GetCompositeSchedule, K10 ClearChargingProfile on a 2.0.1 station."""
    await remote_start(server, "SC201", 1)

    async def running() -> bool:
        return await server.domain.station_profiles.running_transaction("SC201", 1) is not None

    await poll(running)
    tx_profile = {**tx_default(7, profile_id=9, stack_level=2), "chargingProfilePurpose": "TxProfile"}
    assert (
        await server.sessions.execute("SC201", c.SetChargingProfile(tx_profile, evse_id=1))
    ).status == "Accepted"
    await poll(lambda: abs(station201.evses[1].power_w - 7 * 690) < 1)
    answer = await server.sessions.execute("SC201", c.GetCompositeSchedule(1, 60, "W"))
    schedule = answer.response["schedule"]
    assert schedule["chargingSchedulePeriod"] == [{"startPeriod": 0, "limit": 4830.0}]
    own = await server.domain.station_profiles.composite("SC201", 1, 60, RateUnit.WATTS)
    assert [p.limit for p in own.periods] == [pytest.approx(4830.0)]
    cleared = await server.sessions.execute("SC201", c.ClearChargingProfile(evse_id=1, purpose="TxProfile"))
    assert cleared.status == "Accepted"
    assert await server.domain.station_profiles.installed("SC201") == []
    await poll(lambda: station201.evses[1].power_w > 20_000)


async def test_k09_get_charging_profiles_reports_what_the_station_holds(
    server: Runtime, station201: SimulatedStation201
) -> None:
    """K09: GetChargingProfiles; the station's ReportChargingProfiles are kept with their source."""
    await server.sessions.execute("SC201", c.SetChargingProfile(tx_default(10, profile_id=4), evse_id=1))
    await server.domain.station_profiles.record_cleared("SC201")  # forget, so only the report restores it
    result = await server.sessions.execute("SC201", c.GetChargingProfiles(evse_id=1))
    assert result.status == "Accepted"

    async def reported() -> bool:
        return [p.id for p in await server.domain.station_profiles.installed("SC201")] == [4]

    await poll(reported)
    none = await server.sessions.execute("SC201", c.GetChargingProfiles(evse_id=2))
    assert none.status == "NoProfiles"
