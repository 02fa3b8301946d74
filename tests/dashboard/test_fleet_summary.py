"""The overview's figures, computed in the store (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import timedelta

from opencsms.dashboard.fleet_summary import summarize
from opencsms.domain import Domain, MeterSample, SampledValue, TransactionStart, TransactionStop
from tests.domain.conftest import NOW

DAY_START = NOW.replace(hour=0)
ENERGY = "Energy.Active.Import.Register"
POWER = "Power.Active.Import"


def register(wh: float, at: timedelta) -> MeterSample:
    return MeterSample(DAY_START + at, (SampledValue(str(wh), measurand=ENERGY, unit="Wh"),))


async def boot(domain: Domain, station_id: str, version: str) -> None:
    await domain.stations.connected(station_id, version, NOW)


async def test_stations_are_counted_by_connection_fault_and_version(domain: Domain) -> None:
    await boot(domain, "CP1", "1.6")
    await boot(domain, "CP2", "2.0.1")
    # Stored as connected, but without a live session (as after a crash): offline.
    await boot(domain, "CP3", "1.6")
    for connector, status in ((0, "Available"), (1, "Available"), (2, "Charging")):
        await domain.stations.status("CP1", connector, status, NOW)
    await domain.stations.status("CP2", 1, "Faulted", NOW, evse_id=1, error_code="GroundFailure")

    online = {"CP1", "CP2"}
    summary = await domain.store.read(lambda connection: summarize(connection, DAY_START, online))

    assert (summary.stations_total, summary.stations_online, summary.stations_offline) == (3, 2, 1)
    assert summary.stations_faulted == 1
    assert summary.stations_by_version == {"1.6": 2, "2.0.1": 1}
    # Connector 0 of a 1.6 station is the charge point itself, not a connector.
    assert summary.connectors_by_status == {"Available": 1, "Charging": 1, "Faulted": 1}
    assert [(s.id, s.connected, s.faulted) for s in summary.attention] == [
        ("CP2", True, True),
        ("CP3", False, False),
    ]
    assert summary.attention_total == 2


async def test_attention_list_is_cut_but_counts_every_station(domain: Domain) -> None:
    for n in range(5):
        await boot(domain, f"CP{n}", "1.6")

    summary = await domain.store.read(lambda connection: summarize(connection, DAY_START, set(), 2))

    assert [s.id for s in summary.attention] == ["CP0", "CP1"]
    assert summary.attention_total == 5


async def test_power_is_the_latest_sample_of_each_running_session(domain: Domain) -> None:
    await boot(domain, "CP1", "1.6")
    one = await domain.transactions.start(
        TransactionStart("CP1", 1, "TAG", 0, DAY_START + timedelta(hours=1))
    )
    two = await domain.transactions.start(
        TransactionStart("CP1", 2, "TAG", 0, DAY_START + timedelta(hours=1))
    )
    early, late = DAY_START + timedelta(hours=2), DAY_START + timedelta(hours=3)
    await domain.transactions.meter_values(
        "CP1",
        [
            MeterSample(early, (SampledValue("3000", measurand=POWER, unit="W"),)),
            MeterSample(late, (SampledValue("7.2", measurand=POWER, unit="kW"),)),
        ],
        connector_id=1,
        transaction_id=one.transaction_id,
    )
    # No phase-less value: the phases add up.
    phases = tuple(SampledValue("1000", measurand=POWER, unit="W", phase=p) for p in ("L1", "L2", "L3"))
    await domain.transactions.meter_values(
        "CP1", [MeterSample(late, phases)], connector_id=2, transaction_id=two.transaction_id
    )

    summary = await domain.store.read(lambda connection: summarize(connection, DAY_START, {"CP1"}))

    assert summary.active_sessions == 2
    assert summary.power_w == 7200 + 3000


async def test_energy_today_counts_only_what_was_delivered_since_the_day_began(domain: Domain) -> None:
    await boot(domain, "CP1", "1.6")
    # Ended yesterday: not today's energy.
    old = await domain.transactions.start(
        TransactionStart("CP1", 1, "TAG", 0, DAY_START - timedelta(hours=5))
    )
    await domain.transactions.stop(
        TransactionStop("CP1", 9000, DAY_START - timedelta(hours=4), old.transaction_id)
    )
    # Began yesterday, still running: from its register at midnight to its latest one.
    overnight = await domain.transactions.start(
        TransactionStart("CP1", 1, "TAG", 10_000, DAY_START - timedelta(hours=1))
    )
    await domain.transactions.meter_values(
        "CP1",
        [register(13_000, -timedelta(minutes=5)), register(15_500, timedelta(hours=1))],
        connector_id=1,
        transaction_id=overnight.transaction_id,
    )
    # Began and ended today.
    today = await domain.transactions.start(
        TransactionStart("CP1", 2, "TAG", 20_000, DAY_START + timedelta(hours=2))
    )
    await domain.transactions.stop(
        TransactionStop("CP1", 21_250, DAY_START + timedelta(hours=3), today.transaction_id)
    )

    summary = await domain.store.read(lambda connection: summarize(connection, DAY_START, {"CP1"}))

    assert summary.energy_today_wh == (15_500 - 13_000) + (21_250 - 20_000)
    assert summary.active_sessions == 1
