"""OCPP 2.0.1 TransactionEvent: created by whichever event comes first, resends recognised."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select

from opencsms.domain import (
    AuthorizationStatus,
    Domain,
    DomainEvent,
    MeterSample,
    SampledValue,
    TransactionEvent,
    TransactionStatus,
)
from opencsms.store import Store
from opencsms.store.schema import transactions
from tests.domain.conftest import NOW


def event(event_type: str, seq_no: int, **changes: Any) -> TransactionEvent:
    fields: dict[str, Any] = {
        "station_id": "CP1",
        "transaction_ref": "tx-1",
        "event_type": event_type,
        "seq_no": seq_no,
        "timestamp": NOW + timedelta(minutes=seq_no),
        "trigger_reason": "Authorized",
    }
    return TransactionEvent(**(fields | changes))


def energy(wh: str, minute: int) -> tuple[MeterSample, ...]:
    return (MeterSample(NOW + timedelta(minutes=minute), (SampledValue(wh, unit="Wh"),)),)


async def test_a_started_event_creates_the_transaction(domain: Domain) -> None:
    await domain.tokens.add("TAG")
    result = await domain.transactions.transaction_event(
        event(
            "Started",
            0,
            evse_id=1,
            connector_id=1,
            id_token="TAG",
            token_type="ISO14443",
            charging_state="EVConnected",
            remote_start_id=12,
            energy_wh=100.0,
            samples=energy("100", 0),
        )
    )
    assert result.id_token_info is not None and result.id_token_info.status is AuthorizationStatus.ACCEPTED
    transaction = await domain.transactions.find("CP1", "tx-1")
    assert transaction is not None and transaction.id == result.transaction_id
    assert (transaction.evse_id, transaction.connector_id, transaction.id_token, transaction.token_type) == (
        1,
        1,
        "TAG",
        "ISO14443",
    )
    assert (transaction.started_at, transaction.meter_start_wh, transaction.status) == (NOW, 100.0, "active")
    assert [value.value for _, value in await domain.transactions.meter_values_of(result.transaction_id)] == [
        "100"
    ]


async def test_an_event_without_a_token_has_no_token_info(domain: Domain) -> None:
    result = await domain.transactions.transaction_event(event("Started", 0, trigger_reason="CablePluggedIn"))
    assert result.id_token_info is None


async def test_updates_add_the_late_token_the_charging_state_and_samples(
    domain: Domain, store: Store
) -> None:
    started = await domain.transactions.transaction_event(event("Started", 0, evse_id=1, connector_id=1))
    updated = await domain.transactions.transaction_event(
        event("Updated", 1, id_token="LATE", charging_state="Charging", samples=energy("250", 1))
    )
    assert updated.transaction_id == started.transaction_id
    assert updated.id_token_info is not None and updated.id_token_info.status is AuthorizationStatus.INVALID
    await domain.transactions.transaction_event(event("Updated", 2, id_token="OTHER", offline=True))
    await domain.transactions.transaction_event(event("Updated", 3, charging_state="SuspendedEV"))
    row = await store.read(lambda connection: connection.execute(select(transactions)).one())
    assert (row.id_token, row.charging_state, row.last_seq_no, row.offline) == (
        "LATE",
        "SuspendedEV",
        3,
        True,
    )
    stored = await domain.transactions.meter_values_of(started.transaction_id)
    assert [value.value for _, value in stored] == ["250"]


async def test_a_resent_event_changes_nothing_and_gets_the_same_answer(
    domain: Domain, events: list[DomainEvent]
) -> None:
    await domain.tokens.add("TAG")
    first = await domain.transactions.transaction_event(
        event("Started", 0, id_token="TAG", samples=energy("1", 0))
    )
    again = await domain.transactions.transaction_event(
        event("Started", 0, id_token="TAG", samples=energy("1", 0))
    )
    assert first == again
    assert len(await domain.transactions.meter_values_of(first.transaction_id)) == 1
    assert [e.kind for e in events] == ["transaction.started", "transaction.meter"]


async def test_an_ended_event_ends_the_transaction(domain: Domain, events: list[DomainEvent]) -> None:
    started = await domain.transactions.transaction_event(event("Started", 0, energy_wh=100.0))
    await domain.transactions.transaction_event(
        event("Ended", 1, stopped_reason="EVDisconnected", energy_wh=5100.0, samples=energy("5100", 1))
    )
    transaction = await domain.transactions.get(started.transaction_id)
    assert transaction is not None
    assert (
        transaction.status,
        transaction.meter_stop_wh,
        transaction.stop_reason,
        transaction.stopped_at,
    ) == (
        TransactionStatus.ENDED,
        5100.0,
        "EVDisconnected",
        NOW + timedelta(minutes=1),
    )
    assert [e.kind for e in events] == ["transaction.started", "transaction.meter", "transaction.ended"]


async def test_the_first_event_seen_creates_the_transaction_whatever_its_type(domain: Domain) -> None:
    updated = await domain.transactions.transaction_event(
        event("Updated", 4, evse_id=2, charging_state="Charging")
    )
    ended = await domain.transactions.transaction_event(
        event("Ended", 1, transaction_ref="tx-2", energy_wh=900.0, stopped_reason="Local")
    )
    first = await domain.transactions.get(updated.transaction_id)
    only_end = await domain.transactions.get(ended.transaction_id)
    assert first is not None and only_end is not None
    assert (first.status, first.evse_id, first.meter_start_wh) == ("active", 2, None)
    assert (only_end.status, only_end.meter_start_wh, only_end.meter_stop_wh) == ("ended", None, 900.0)


async def test_meter_values_sent_before_the_first_event_are_claimed_by_it(domain: Domain) -> None:
    await domain.transactions.meter_values("CP1", energy("7", 0), evse_id=1, transaction_ref="tx-1")
    started = await domain.transactions.transaction_event(event("Started", 0))
    assert len(await domain.transactions.meter_values_of(started.transaction_id)) == 1


async def test_seq_no_gaps_are_recorded_and_late_events_fill_them_once(domain: Domain) -> None:
    """E15: a missing seqNo is recorded; the late event is applied once, a resend of any is not."""
    await domain.transactions.transaction_event(event("Started", 0, trigger_reason="CablePluggedIn"))
    await domain.transactions.transaction_event(
        event(
            "Updated",
            3,
            trigger_reason="MeterValuePeriodic",
            charging_state="Charging",
            samples=energy("30", 3),
        )
    )
    tx = await domain.transactions.find("CP1", "tx-1")
    assert tx is not None and (tx.last_seq_no, tx.seq_gaps) == (3, "1-2")
    assert (tx.start_trigger_reason, tx.trigger_reason, tx.charging_state) == (
        "CablePluggedIn",
        "MeterValuePeriodic",
        "Charging",
    )
    late = event(
        "Updated",
        1,
        trigger_reason="ChargingStateChanged",
        charging_state="EVConnected",
        samples=energy("10", 1),
    )
    await domain.transactions.transaction_event(late)
    await domain.transactions.transaction_event(late)  # resend
    await domain.transactions.transaction_event(event("Updated", 3, samples=energy("30", 3)))  # resend
    tx = await domain.transactions.find("CP1", "tx-1")
    assert tx is not None and (tx.last_seq_no, tx.seq_gaps) == (3, "2")
    # the late event did not roll the current state back
    assert (tx.trigger_reason, tx.charging_state) == ("MeterValuePeriodic", "Charging")
    values = await domain.transactions.meter_values_of(tx.id)
    assert [sv.value for _, sv in values] == ["10", "30"]


async def test_a_started_event_that_comes_late_sets_the_start(domain: Domain) -> None:
    await domain.transactions.transaction_event(event("Updated", 1, trigger_reason="MeterValuePeriodic"))
    tx = await domain.transactions.find("CP1", "tx-1")
    assert tx is not None and tx.seq_gaps == "0" and tx.start_trigger_reason is None
    await domain.transactions.transaction_event(
        event("Started", 0, trigger_reason="Authorized", energy_wh=5.0, samples=energy("5", 0))
    )
    tx = await domain.transactions.find("CP1", "tx-1")
    assert tx is not None and tx.seq_gaps is None and tx.start_trigger_reason == "Authorized"
    assert tx.started_at == NOW and tx.meter_start_wh == 5.0 and tx.trigger_reason == "MeterValuePeriodic"


async def test_meter_events_nobody_wants_are_not_built_but_the_samples_are_stored(
    make_domain: Any, events: list[DomainEvent]
) -> None:
    wanted: set[str] = set()
    domain = make_domain(wants_event=lambda kind: kind in wanted)
    started = await domain.transactions.transaction_event(event("Started", 0, samples=energy("1", 0)))
    await domain.transactions.meter_values("CP1", energy("2", 1), transaction_ref="tx-1", connector_id=1)
    assert [e.kind for e in events] == ["transaction.started"]
    assert len(await domain.transactions.meter_values_of(started.transaction_id)) == 2
    wanted.add("transaction.meter")
    await domain.transactions.meter_values("CP1", energy("3", 2), transaction_ref="tx-1", connector_id=1)
    await domain.transactions.transaction_event(event("Updated", 3, samples=energy("4", 3)))
    assert [e.kind for e in events] == ["transaction.started", "transaction.meter", "transaction.meter"]


async def test_a_begin_reading_sent_with_the_evse_sets_the_meter_start(domain: Domain) -> None:
    """J02 (TC_J_08): started before the EVSE is known, the station sends the Transaction.Begin
    reading with the Updated event that names the EVSE; it becomes the meter start, once."""
    await domain.transactions.transaction_event(event("Started", 0))
    periodic = (MeterSample(NOW, (SampledValue("450", unit="Wh"),)),)
    await domain.transactions.transaction_event(event("Updated", 1, samples=periodic))
    transaction = await domain.transactions.find("CP1", "tx-1")
    assert transaction is not None and transaction.meter_start_wh is None  # not a begin reading
    begin = (MeterSample(NOW, (SampledValue("0.5", unit="kWh", context="Transaction.Begin"),)),)
    await domain.transactions.transaction_event(event("Updated", 2, evse_id=2, connector_id=1, samples=begin))
    again = (MeterSample(NOW, (SampledValue("900", unit="Wh", context="Transaction.Begin"),)),)
    await domain.transactions.transaction_event(event("Updated", 3, samples=again))
    transaction = await domain.transactions.find("CP1", "tx-1")
    assert transaction is not None and (transaction.evse_id, transaction.meter_start_wh) == (2, 500.0)


async def test_meter_events_of_later_events_name_the_evse_and_start_reading_of_the_started_one(
    domain: Domain, events: list[DomainEvent]
) -> None:
    """Only the Started event names the EVSE: the others' meter values are placed all the same
    (the load manager and the station page follow a 2.x EV's power by its EVSE)."""
    await domain.transactions.transaction_event(
        event("Started", 0, evse_id=2, connector_id=1, energy_wh=100.0, samples=energy("100", 0))
    )
    await domain.transactions.transaction_event(
        event("Updated", 1, trigger_reason="MeterValuePeriodic", samples=energy("350", 1))
    )
    await domain.transactions.meter_values("CP1", energy("400", 2), transaction_ref="tx-1")
    meters = [e.data for e in events if e.kind == "transaction.meter"]
    assert [(m["evse_id"], m["connector_id"], m["meter_start_wh"]) for m in meters] == [(2, 1, 100.0)] * 3


async def test_a_late_started_event_gives_the_start_reading_of_its_meter_event(
    domain: Domain, events: list[DomainEvent]
) -> None:
    await domain.transactions.transaction_event(
        event("Updated", 1, trigger_reason="MeterValuePeriodic", evse_id=1, samples=energy("20", 1))
    )
    await domain.transactions.transaction_event(event("Started", 0, energy_wh=5.0, samples=energy("5", 0)))
    meters = [e.data for e in events if e.kind == "transaction.meter"]
    assert [(m["evse_id"], m["meter_start_wh"]) for m in meters] == [(1, None), (1, 5.0)]


async def test_running_transactions_without_a_start_reading_count_from_their_first_stored_one(
    domain: Domain,
) -> None:
    await domain.transactions.transaction_event(event("Started", 0, trigger_reason="CablePluggedIn"))
    await domain.transactions.transaction_event(
        event("Updated", 1, trigger_reason="MeterValuePeriodic", samples=energy("700", 1))
    )
    await domain.transactions.transaction_event(
        event("Updated", 2, trigger_reason="MeterValuePeriodic", samples=energy("900", 2))
    )
    other = event("Started", 0, transaction_ref="tx-2", energy_wh=50.0, samples=energy("50", 0))
    await domain.transactions.transaction_event(other)
    tx = await domain.transactions.find("CP1", "tx-1")
    assert tx is not None
    assert await domain.transactions.first_readings_of_running() == {("CP1", tx.id): 700.0}
    await domain.transactions.transaction_event(event("Ended", 3, trigger_reason="EVDeparted"))
    assert await domain.transactions.first_readings_of_running() == {}


async def test_the_meter_event_with_a_late_begin_reading_counts_from_it(
    domain: Domain, events: list[DomainEvent]
) -> None:
    await domain.transactions.transaction_event(event("Started", 0))
    begin = (MeterSample(NOW, (SampledValue("0.5", unit="kWh", context="Transaction.Begin"),)),)
    await domain.transactions.transaction_event(event("Updated", 1, evse_id=2, connector_id=1, samples=begin))
    (meter,) = [e.data for e in events if e.kind == "transaction.meter"]
    assert (meter["evse_id"], meter["meter_start_wh"]) == (2, 500.0)
