"""Sessions no station will close are ended as inferred; a late real stop replaces that end."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from opencsms.dashboard.fleet_summary import summarize
from opencsms.domain import (
    AuthorizationStatus,
    BootInfo,
    Domain,
    DomainEvent,
    MeterSample,
    SampledValue,
    TransactionEvent,
    TransactionStart,
    TransactionStatus,
    TransactionStop,
)
from opencsms.domain.transaction_search import TransactionQuery, search
from opencsms.store import Store
from tests.domain.conftest import NOW

ENERGY = "Energy.Active.Import.Register"
POWER = "Power.Active.Import"


def start_16(connector_id: int = 1, at: timedelta = timedelta(0), **changes: Any) -> TransactionStart:
    fields: dict[str, Any] = {
        "station_id": "CP1",
        "connector_id": connector_id,
        "id_token": "TAG",
        "meter_start_wh": 1000,
        "timestamp": NOW + at,
    }
    return TransactionStart(**(fields | changes))


def event_201(event_type: str, ref: str, seq_no: int, at: timedelta, **changes: Any) -> TransactionEvent:
    fields: dict[str, Any] = {
        "station_id": "CP2",
        "transaction_ref": ref,
        "event_type": event_type,
        "seq_no": seq_no,
        "timestamp": NOW + at,
        "trigger_reason": "Authorized",
        "evse_id": 1,
        "connector_id": 1,
    }
    return TransactionEvent(**(fields | changes))


def sample(at: timedelta, wh: str, unit: str = "Wh", power_w: str = "7000") -> MeterSample:
    values = (SampledValue(wh, measurand=ENERGY, unit=unit), SampledValue(power_w, measurand=POWER, unit="W"))
    return MeterSample(NOW + at, values)


async def readings_16(domain: Domain, transaction_id: int, connector_id: int = 1) -> None:
    """Two readings, the later one (3.5 kWh at +20 min) the last; then a power-only sample."""
    await domain.transactions.meter_values(
        "CP1",
        [sample(timedelta(minutes=10), "2000"), sample(timedelta(minutes=20), "3.5", unit="kWh")],
        connector_id=connector_id,
        transaction_id=transaction_id,
    )
    power_only = MeterSample(NOW + timedelta(minutes=25), (SampledValue("50", measurand=POWER, unit="W"),))
    await domain.transactions.meter_values(
        "CP1", [power_only], connector_id=connector_id, transaction_id=transaction_id
    )


def ended_events(events: list[DomainEvent]) -> list[dict[str, Any]]:
    return [event.data for event in events if event.kind == "transaction.ended"]


async def test_a_new_16_start_on_the_connector_ends_the_earlier_one_at_its_last_reading(
    domain: Domain, events: list[DomainEvent]
) -> None:
    first = await domain.transactions.start(start_16())
    other_connector = await domain.transactions.start(start_16(connector_id=2))
    await readings_16(domain, first.transaction_id)

    second = await domain.transactions.start(start_16(at=timedelta(hours=1)))

    orphan = await domain.transactions.get(first.transaction_id)
    assert orphan is not None
    assert (orphan.status, orphan.ended_by, orphan.inferred_cause) == (
        TransactionStatus.ENDED,
        "inferred",
        "new_start",
    )
    # The last energy register reading and its time, not the power-only sample after it.
    assert (orphan.meter_stop_wh, orphan.stopped_at) == (3500, NOW + timedelta(minutes=20))
    assert orphan.stop_reason is None
    for live in (second.transaction_id, other_connector.transaction_id):
        transaction = await domain.transactions.get(live)
        assert transaction is not None and transaction.status is TransactionStatus.ACTIVE
        assert transaction.ended_by is None
    assert ended_events(events) == [
        {
            "transaction_id": first.transaction_id,
            "transaction_ref": str(first.transaction_id),
            "meter_stop_wh": 3500,
            "reason": None,
            "stopped_at": (NOW + timedelta(minutes=20)).isoformat(),
            "ended_by": "inferred",
            "inferred_cause": "new_start",
        }
    ]
    # Announced before the new start, so live views drop the old session first.
    kinds = [event.kind for event in events]
    assert kinds[-2:] == ["transaction.ended", "transaction.started"]


async def test_an_orphan_without_readings_ends_at_its_start(domain: Domain) -> None:
    first = await domain.transactions.start(start_16())
    await domain.transactions.start(start_16(at=timedelta(hours=1)))
    orphan = await domain.transactions.get(first.transaction_id)
    assert orphan is not None and orphan.ended_by == "inferred"
    assert (orphan.meter_stop_wh, orphan.stopped_at) == (1000, NOW)


async def test_a_start_older_than_the_running_one_does_not_end_it(domain: Domain) -> None:
    running = await domain.transactions.start(start_16(at=timedelta(hours=1)))
    # A start queued while offline, delivered late: it is the older session.
    await domain.transactions.start(start_16(at=timedelta(0)))
    transaction = await domain.transactions.get(running.transaction_id)
    assert transaction is not None and transaction.status is TransactionStatus.ACTIVE


async def test_a_late_16_stop_replaces_the_inferred_end(domain: Domain, events: list[DomainEvent]) -> None:
    await domain.tokens.add("TAG")
    first = await domain.transactions.start(start_16())
    await readings_16(domain, first.transaction_id)
    await domain.transactions.start(start_16(at=timedelta(hours=1)))
    late = TransactionStop(
        "CP1",
        4200,
        NOW + timedelta(minutes=40),
        first.transaction_id,
        reason="EVDisconnected",
        id_token="TAG",
        samples=(sample(timedelta(minutes=39), "4100"),),
    )

    result = await domain.transactions.stop(late)

    # The station gets the answer of any known transaction's stop.
    assert result.known and result.id_token_info is not None
    assert result.id_token_info.status == "Accepted"
    transaction = await domain.transactions.get(first.transaction_id)
    assert transaction is not None
    assert (transaction.ended_by, transaction.inferred_cause, transaction.stop_reason) == (
        "station",
        None,
        "EVDisconnected",
    )
    assert (transaction.meter_stop_wh, transaction.stopped_at) == (4200, NOW + timedelta(minutes=40))
    assert len(await domain.transactions.meter_values_of(first.transaction_id)) == 2 * 2 + 1 + 2
    replaced = ended_events(events)[-1]
    assert (replaced["ended_by"], replaced["replaces_inferred"], replaced["meter_stop_wh"]) == (
        "station",
        True,
        4200,
    )

    # The same stop again changes nothing and is answered the same way.
    count = len(events)
    again = await domain.transactions.stop(late)
    assert again.known and len(events) == count
    assert len(await domain.transactions.meter_values_of(first.transaction_id)) == 7


async def test_a_201_started_event_on_an_evse_with_an_open_transaction_ends_it(
    domain: Domain, events: list[DomainEvent]
) -> None:
    await domain.transactions.transaction_event(
        event_201("Started", "A", 0, timedelta(0), samples=(sample(timedelta(0), "100"),))
    )
    await domain.transactions.transaction_event(
        event_201("Updated", "A", 1, timedelta(minutes=5), samples=(sample(timedelta(minutes=5), "900"),))
    )
    other_evse = await domain.transactions.transaction_event(
        event_201("Started", "C", 0, timedelta(0), evse_id=2)
    )
    # On EVSE 1, but through another connector: an EVSE runs one transaction at a time.
    await domain.transactions.transaction_event(
        event_201("Started", "B", 0, timedelta(hours=1), connector_id=2)
    )

    orphan = await domain.transactions.find("CP2", "A")
    assert orphan is not None
    assert (orphan.status, orphan.ended_by, orphan.inferred_cause) == (
        TransactionStatus.ENDED,
        "inferred",
        "new_start",
    )
    assert (orphan.meter_stop_wh, orphan.stopped_at) == (900, NOW + timedelta(minutes=5))
    for ref in ("B", "C"):
        live = await domain.transactions.find("CP2", ref)
        assert live is not None and live.status is TransactionStatus.ACTIVE
    assert other_evse.transaction_id != orphan.id
    assert ended_events(events)[0]["transaction_ref"] == "A"


async def test_a_late_201_ended_event_replaces_the_inferred_end(
    domain: Domain, events: list[DomainEvent]
) -> None:
    await domain.tokens.add("TAG")
    await domain.transactions.transaction_event(event_201("Started", "A", 0, timedelta(0)))
    await domain.transactions.transaction_event(event_201("Started", "B", 0, timedelta(hours=1)))

    result = await domain.transactions.transaction_event(
        event_201(
            "Ended",
            "A",
            1,
            timedelta(minutes=30),
            id_token="TAG",
            stopped_reason="EVDisconnected",
            energy_wh=2500.0,
        )
    )

    orphan = await domain.transactions.find("CP2", "A")
    assert orphan is not None and result.transaction_id == orphan.id
    assert result.id_token_info is not None and result.id_token_info.status == "Accepted"
    assert (orphan.ended_by, orphan.inferred_cause, orphan.stop_reason, orphan.meter_stop_wh) == (
        "station",
        None,
        "EVDisconnected",
        2500,
    )
    assert ended_events(events)[-1]["replaces_inferred"] is True


async def test_available_on_a_16_connector_ends_its_session(
    domain: Domain, events: list[DomainEvent]
) -> None:
    await domain.tokens.add("BLOCKED", status=AuthorizationStatus.BLOCKED)
    # Answered Blocked; the station abandons the session without a stop.
    abandoned = await domain.transactions.start(start_16(id_token="BLOCKED"))
    other = await domain.transactions.start(start_16(connector_id=2))
    # A status from before the start (delivered late) says nothing about the session.
    await domain.stations.status("CP1", 1, "Available", NOW, timestamp=NOW - timedelta(minutes=1))
    # Connector 0 is the station itself.
    await domain.stations.status("CP1", 0, "Available", NOW, timestamp=NOW + timedelta(minutes=2))
    transaction = await domain.transactions.get(abandoned.transaction_id)
    assert transaction is not None and transaction.status is TransactionStatus.ACTIVE

    await domain.stations.status("CP1", 1, "Available", NOW, timestamp=NOW + timedelta(minutes=2))

    transaction = await domain.transactions.get(abandoned.transaction_id)
    assert transaction is not None
    assert (transaction.ended_by, transaction.inferred_cause) == ("inferred", "available")
    still = await domain.transactions.get(other.transaction_id)
    assert still is not None and still.status is TransactionStatus.ACTIVE
    kinds = [event.kind for event in events]
    assert kinds[-2:] == ["transaction.ended", "connector.status"]


async def test_available_on_a_201_connector_leaves_its_transaction_to_the_station(domain: Domain) -> None:
    """2.0.1 E10 / TC_E_26: with StopTxOnEVSideDisconnect false the transaction outlives the
    unplugging (connector Available) and goes on when the cable is back."""
    await domain.transactions.transaction_event(event_201("Started", "A", 0, timedelta(0)))
    await domain.stations.status("CP2", 1, "Available", NOW, evse_id=1, timestamp=NOW + timedelta(minutes=1))
    await domain.transactions.transaction_event(
        event_201(
            "Updated",
            "A",
            1,
            timedelta(minutes=1),
            trigger_reason="EVCommunicationLost",
            charging_state="Idle",
        )
    )
    a = await domain.transactions.find("CP2", "A")
    assert a is not None and a.status is TransactionStatus.ACTIVE and a.ended_by is None


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


async def test_a_boot_ends_what_the_station_left_open_once_the_grace_has_passed(store: Store) -> None:
    events: list[DomainEvent] = []
    clock = Clock(NOW)
    domain = Domain(store, on_event=events.append, clock=clock, boot_stop_grace=60)
    before_boot = await domain.transactions.start(start_16())
    await readings_16(domain, before_boot.transaction_id)
    await domain.transactions.transaction_event(event_201("Started", "A", 0, timedelta(0)))
    resumed = await domain.transactions.transaction_event(
        event_201("Started", "R", 0, timedelta(0), evse_id=2)
    )
    # A station that did not boot keeps its sessions.
    elsewhere = await domain.transactions.start(start_16(station_id="CP3"))

    clock.now = NOW + timedelta(minutes=30)
    info = BootInfo("Vendor", "Model")
    await domain.stations.boot("CP1", info, clock.now)
    await domain.stations.boot("CP2", info, clock.now)
    # After the boot: a new session on CP1, and word of R on CP2 (it goes on).
    clock.now += timedelta(seconds=5)
    after_boot = await domain.transactions.start(start_16(connector_id=2, at=timedelta(minutes=30)))
    await domain.transactions.transaction_event(
        event_201("Updated", "R", 1, timedelta(minutes=30), evse_id=2)
    )

    clock.now = NOW + timedelta(minutes=30, seconds=59)
    assert await domain.boot_sweep.sweep() == []  # still within the grace period

    clock.now = NOW + timedelta(minutes=31)
    ended = await domain.boot_sweep.sweep()

    assert sorted((end.station_id, end.transaction_ref, end.cause) for end in ended) == [
        ("CP1", str(before_boot.transaction_id), "boot"),
        ("CP2", "A", "boot"),
    ]
    orphan = await domain.transactions.get(before_boot.transaction_id)
    assert orphan is not None and (orphan.ended_by, orphan.meter_stop_wh) == ("inferred", 3500)
    for live in (after_boot.transaction_id, resumed.transaction_id, elsewhere.transaction_id):
        transaction = await domain.transactions.get(live)
        assert transaction is not None and transaction.status is TransactionStatus.ACTIVE
    assert [e["inferred_cause"] for e in ended_events(events)] == ["boot", "boot"]
    # Nothing left to do: the next pass finds nothing, and a new sweeper (a restart) neither.
    assert await domain.boot_sweep.sweep() == []
    restarted = Domain(store, clock=clock, boot_stop_grace=60)
    assert await restarted.boot_sweep.sweep() == []


async def test_inferred_ends_can_be_listed_for_review(domain: Domain) -> None:
    await domain.tokens.add("TAG")
    first = await domain.transactions.start(start_16())
    second = await domain.transactions.start(start_16(at=timedelta(hours=1)))
    stopped = await domain.transactions.start(start_16(connector_id=2))
    await domain.transactions.stop(
        TransactionStop("CP1", 2000, NOW + timedelta(hours=2), stopped.transaction_id)
    )

    inferred, total = await search(domain.store, TransactionQuery(inferred=True))
    others, _ = await search(domain.store, TransactionQuery(inferred=False))

    assert ([t.id for t in inferred], total) == ([first.transaction_id], 1)
    assert sorted(t.id for t in others) == sorted([second.transaction_id, stopped.transaction_id])


async def test_the_overview_counts_only_live_sessions(domain: Domain) -> None:
    day_start = NOW.replace(hour=0)
    # A station that started on the same connector four times without a stop (power 7 kW each).
    ids = []
    for n in range(4):
        started = await domain.transactions.start(
            start_16(at=timedelta(minutes=10 * n), meter_start_wh=1000 * n)
        )
        await domain.transactions.meter_values(
            "CP1",
            [sample(timedelta(minutes=10 * n + 5), str(1000 * n + 500))],
            connector_id=1,
            transaction_id=started.transaction_id,
        )
        ids.append(started.transaction_id)

    summary = await domain.store.read(lambda connection: summarize(connection, day_start, {"CP1"}))

    assert summary.active_sessions == 1
    assert summary.power_w == 7000
    # Each session's 500 Wh, counted once.
    assert summary.energy_today_wh == 4 * 500
