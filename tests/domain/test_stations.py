"""Stations: admission and registration policy, boot, heartbeat, status, connection."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest

from opencsms.domain import (
    BootInfo,
    Domain,
    DomainEvent,
    RegistrationPolicy,
    RegistrationStatus,
)
from opencsms.store import Store
from opencsms.store import stations as station_rows
from tests.domain.conftest import NOW

BOOT = BootInfo(vendor="Acme", model="AC22", serial_number="SN1", firmware_version="1.2", reason="PowerUp")

ACCEPTED = RegistrationStatus.ACCEPTED
PENDING = RegistrationStatus.PENDING
REJECTED = RegistrationStatus.REJECTED


@pytest.mark.parametrize(
    ("policy", "admitted", "status", "interval"),
    [
        (RegistrationPolicy.ACCEPT, True, ACCEPTED, 300),
        (RegistrationPolicy.PENDING, True, PENDING, 60),
        (RegistrationPolicy.REJECT, False, REJECTED, 60),
    ],
)
async def test_an_unknown_station_is_treated_as_the_policy_says(
    make_domain: Callable[..., Domain],
    policy: RegistrationPolicy,
    admitted: bool,
    status: RegistrationStatus,
    interval: int,
) -> None:
    domain = make_domain(registration_policy=policy)
    assert await domain.stations.admit("CP1") is admitted
    decision = await domain.stations.boot("CP1", BOOT, NOW)
    assert (decision.status, decision.interval, decision.current_time) == (status, interval, NOW)


@pytest.mark.parametrize("policy", list(RegistrationPolicy))
@pytest.mark.parametrize("registered", list(RegistrationStatus))
async def test_a_known_station_keeps_its_registration_whatever_the_policy(
    make_domain: Callable[..., Domain], policy: RegistrationPolicy, registered: RegistrationStatus
) -> None:
    domain = make_domain(registration_policy=policy)
    await domain.stations.register("CP1", registered)
    assert await domain.stations.admit("CP1") is (registered is not REJECTED)
    assert (await domain.stations.boot("CP1", BOOT, NOW)).status is registered


async def test_the_retry_interval_is_never_longer_than_the_heartbeat(
    make_domain: Callable[..., Domain],
) -> None:
    domain = make_domain(registration_policy=RegistrationPolicy.PENDING, heartbeat_interval=30)
    assert (await domain.stations.boot("CP1", BOOT, NOW)).interval == 30


async def test_boot_stores_what_the_station_says(domain: Domain) -> None:
    await domain.stations.boot("CP1", BOOT, NOW)
    later = NOW + timedelta(hours=1)
    await domain.stations.boot("CP1", BootInfo(vendor="Acme", model="AC22", firmware_version="1.3"), later)
    station = await domain.stations.get("CP1")
    assert station is not None
    assert (station.vendor, station.model, station.firmware_version) == ("Acme", "AC22", "1.3")
    assert station.serial_number is None
    assert (station.last_boot, station.last_seen) == (later, later)
    assert station.registration_status is ACCEPTED


async def test_heartbeats_are_coalesced_and_written_behind(domain: Domain, store: Store) -> None:
    await domain.stations.boot("CP1", BOOT, NOW)
    await domain.stations.boot("CP2", BOOT, NOW)
    jobs_before = store.write_stats.jobs
    for second in range(1, 51):
        for station_id in ("CP1", "CP2", "UNKNOWN"):
            moment = NOW + timedelta(seconds=second)
            assert await domain.stations.heartbeat(station_id, moment) == moment
    await domain.stations.flush()
    assert store.write_stats.jobs - jobs_before <= 3
    for station_id in ("CP1", "CP2"):
        station = await domain.stations.get(station_id)
        assert station is not None and station.last_seen == NOW + timedelta(seconds=50)
    assert await domain.stations.get("UNKNOWN") is None


async def test_heartbeats_still_queued_are_written_when_the_store_closes(
    domain: Domain, store: Store, database_url: str
) -> None:
    await domain.stations.boot("CP1", BOOT, NOW)
    await domain.stations.heartbeat("CP1", NOW + timedelta(minutes=5))
    await store.close()
    async with await Store.open(database_url) as reopened:
        station = await Domain(reopened).stations.get("CP1")
    assert station is not None and station.last_seen == NOW + timedelta(minutes=5)


async def test_every_message_moves_last_seen_in_memory_and_a_flush_writes_it_once(
    domain: Domain, store: Store
) -> None:
    await domain.stations.boot("CP1", BOOT, NOW)
    await domain.stations.boot("CP2", BOOT, NOW)
    jobs_before = store.write_stats.jobs
    for second in range(1, 101):
        for station_id in ("CP1", "CP2"):
            domain.stations.seen(station_id, NOW + timedelta(seconds=second))
    assert store.write_stats.jobs == jobs_before  # nothing written per message
    station = await domain.stations.get("CP1")  # what the API shows: the time in memory
    assert station is not None and station.last_seen == NOW + timedelta(seconds=100)
    assert [s.last_seen for s in await domain.stations.list()] == [NOW + timedelta(seconds=100)] * 2
    elsewhere = Domain(store)  # another node reads the store: not written yet
    stored = await elsewhere.stations.get("CP1")
    assert stored is not None and stored.last_seen == NOW
    domain.stations.flush_seen()
    await domain.stations.flush()
    assert store.write_stats.jobs - jobs_before == 1
    for station_id in ("CP1", "CP2"):
        stored = await elsewhere.stations.get(station_id)
        assert stored is not None and stored.last_seen == NOW + timedelta(seconds=100)


async def test_a_disconnect_writes_last_seen_and_an_older_flush_never_moves_it_back(
    domain: Domain, store: Store
) -> None:
    await domain.stations.boot("CP1", BOOT, NOW)
    domain.stations.seen("CP1", NOW + timedelta(seconds=5))
    domain.stations.flush_seen()  # in flight while the station disconnects
    await domain.stations.disconnected("CP1", NOW + timedelta(seconds=9))
    await domain.stations.flush()
    await store.write(lambda c: station_rows.touch(c, {"CP1": NOW + timedelta(seconds=7)}))
    stored = await Domain(store).stations.get("CP1")
    assert stored is not None and stored.last_seen == NOW + timedelta(seconds=9)
    station = await domain.stations.get("CP1")
    assert station is not None and station.last_seen == NOW + timedelta(seconds=9)


async def test_a_heartbeat_after_close_is_still_answered(domain: Domain, store: Store) -> None:
    await store.close()
    assert await domain.stations.heartbeat("CP1", NOW) == NOW


async def test_status_keeps_the_latest_per_connector_and_the_whole_history(domain: Domain) -> None:
    await domain.stations.status("CP1", 1, "Available", NOW)
    await domain.stations.status(
        "CP1",
        1,
        "Faulted",
        NOW + timedelta(seconds=1),
        error_code="GroundFailure",
        info="RCD",
        vendor_error_code="E42",
        timestamp=NOW,
    )
    await domain.stations.status("CP1", 2, "Occupied", NOW, evse_id=2)
    connectors = await domain.stations.connectors("CP1")
    assert [(c.evse_id, c.connector_id, c.status) for c in connectors] == [
        (0, 1, "Faulted"),
        (2, 2, "Occupied"),
    ]
    faulted = connectors[0]
    assert (faulted.error_code, faulted.info, faulted.vendor_error_code, faulted.updated_at) == (
        "GroundFailure",
        "RCD",
        "E42",
        NOW,
    )
    history = await domain.stations.status_history("CP1", 1)
    assert [entry.status for entry in history] == ["Faulted", "Available"]
    assert [entry.status for entry in await domain.stations.status_history("CP1", 1, limit=1)] == ["Faulted"]
    assert await domain.stations.status_history("CP1", 2, evse_id=0) == []


async def test_a_status_from_a_station_that_never_booted_is_kept(domain: Domain) -> None:
    await domain.stations.status("NEW", 0, "Available", NOW)
    station = await domain.stations.get("NEW")
    assert station is not None and station.registration_status is ACCEPTED
    assert len(await domain.stations.connectors("NEW")) == 1


async def test_connection_state_and_version_are_tracked(domain: Domain) -> None:
    await domain.stations.connected("CP1", "2.0.1", NOW)
    station = await domain.stations.get("CP1")
    assert station is not None
    assert (station.connected, station.ocpp_version, station.last_seen) == (True, "2.0.1", NOW)
    await domain.stations.disconnected("CP1", NOW + timedelta(seconds=5))
    station = await domain.stations.get("CP1")
    assert station is not None
    assert (station.connected, station.ocpp_version) == (False, "2.0.1")


async def test_list_returns_every_station_by_id(domain: Domain) -> None:
    for station_id in ("CP2", "CP1", "CP3"):
        await domain.stations.boot(station_id, BOOT, NOW)
    assert [station.id for station in await domain.stations.list()] == ["CP1", "CP2", "CP3"]


async def test_changes_are_published_as_events(domain: Domain, events: list[DomainEvent]) -> None:
    await domain.stations.connected("CP1", "1.6", NOW)
    await domain.stations.boot("CP1", BOOT, NOW)
    await domain.stations.status("CP1", 1, "Available", NOW)
    await domain.stations.register("CP1", REJECTED)
    await domain.stations.disconnected("CP1", NOW)
    assert [(event.kind, event.station_id) for event in events] == [
        ("station.connected", "CP1"),
        ("station.booted", "CP1"),
        ("connector.status", "CP1"),
        ("station.registered", "CP1"),
        ("station.disconnected", "CP1"),
    ]
    assert events[1].data["registration_status"] == "Accepted"
    assert events[2].data == {
        "evse_id": 0,
        "connector_id": 1,
        "status": "Available",
        "error_code": None,
        "info": None,
        "timestamp": NOW.isoformat(),
    }


async def test_a_failing_event_handler_does_not_fail_the_call(store: Store) -> None:
    def broken(event: DomainEvent) -> None:
        raise RuntimeError("subscriber bug")

    domain = Domain(store, on_event=broken)
    decision = await domain.stations.boot("CP1", BOOT, NOW)
    assert decision.status is ACCEPTED


async def test_a_late_disconnect_from_the_old_node_leaves_the_new_connection(domain: Domain) -> None:
    """In a cluster a station may reconnect to node b before node a sees its old socket close."""
    stations = domain.stations
    stations.node_id = "a"
    await stations.connected("CP1", "1.6", NOW)
    stations.node_id = "b"
    await stations.connected("CP1", "1.6", NOW + timedelta(seconds=1))
    stations.node_id = "a"
    await stations.disconnected("CP1", NOW + timedelta(seconds=2))
    station = await stations.get("CP1")
    assert station is not None and station.connected
    stations.node_id = "b"
    await stations.disconnected("CP1", NOW + timedelta(seconds=3))
    station = await stations.get("CP1")
    assert station is not None and not station.connected


async def test_a_gone_node_is_swept_only_when_absent_twice_in_a_row(domain: Domain) -> None:
    """One sweep finding a node absent may be a NATS blip; the second in a row lets its stations go."""
    from opencsms.cluster import GoneNodeSweeper

    answers = {"x": [False, True, False, False]}

    class Cluster:
        async def node_alive(self, node_id: str) -> bool | None:
            return answers[node_id].pop(0)

    stations = domain.stations
    stations.node_id = "x"
    await stations.connected("CP-X", "1.6", NOW)
    stations.node_id = "me"
    sweeper = GoneNodeSweeper(Cluster(), stations, interval=0)  # type: ignore[arg-type]
    assert await sweeper.sweep() == {}  # absent once
    assert await sweeper.sweep() == {}  # back: the count starts over
    assert await sweeper.sweep() == {}  # absent once again
    assert await sweeper.sweep() == {"x": ["CP-X"]}
    station = await stations.get("CP-X")
    assert station is not None and not station.connected
    assert await stations.nodes_holding_connections() == []
