"""Live power and energy derived from meter events."""

from __future__ import annotations

from opencsms.domain.events import DomainEvent
from opencsms.domain.live_transactions import LiveTransactions, reading


def meter(
    tx: int, *values: dict[str, str], start: float | None = None, evse: int | None = None
) -> DomainEvent:
    sample = {"timestamp": "2026-01-01T00:00:00+00:00", "values": list(values)}
    data = {"transaction_id": tx, "evse_id": evse, "connector_id": 1, "meter_start_wh": start}
    return DomainEvent("transaction.meter", "CP1", {**data, "samples": [sample]})


def test_a_meter_event_is_followed_by_power_and_energy_since_the_start() -> None:
    live = LiveTransactions()
    event = meter(
        5,
        {"measurand": "Energy.Active.Import.Register", "value": "1.5", "unit": "kWh"},
        {"measurand": "Power.Active.Import", "value": "7200", "unit": "W"},
        start=1000.0,
        evse=2,
    )
    same, updated = live(event)
    assert same is event and updated.kind == "transaction.updated"
    assert updated.data["power_w"] == 7200.0
    assert updated.data["meter_wh"] == 1500.0 and updated.data["energy_wh"] == 500.0
    assert (updated.data["evse_id"], updated.data["connector_id"]) == (2, 1)


def test_a_transaction_started_before_this_process_counts_from_its_stored_start() -> None:
    """After a restart no transaction.started was seen: the meter event's start reading counts."""
    live = LiveTransactions()
    first = live(meter(7, {"value": "5000"}, start=1000.0))[1]
    assert first.data["energy_wh"] == 4000.0


def test_without_a_start_reading_energy_counts_from_the_first_stored_reading_after_a_restart() -> None:
    live = LiveTransactions()
    live.load({("CP1", 9): 2000.0})
    assert live(meter(9, {"value": "2600"}))[1].data["energy_wh"] == 600.0
    ended = DomainEvent("transaction.ended", "CP1", {"transaction_id": 9})
    assert live(ended) == [ended]
    assert live(meter(9, {"value": "2600"}))[1].data["energy_wh"] == 0.0


def test_without_a_start_reading_energy_counts_from_the_first_reading_seen() -> None:
    live = LiveTransactions()
    samples = [
        {"timestamp": "2026-01-01T00:00:00+00:00", "values": [{"value": "1900"}]},
        {"timestamp": "2026-01-01T00:01:00+00:00", "values": [{"value": "2000"}]},
    ]
    first = live(DomainEvent("transaction.meter", "CP1", {"transaction_id": 9, "samples": samples}))[1]
    later = live(meter(9, {"value": "2600"}))[1]
    assert first.data["energy_wh"] == 100.0 and later.data["energy_wh"] == 700.0
    assert later.data["power_w"] is None


def test_other_events_and_meter_values_outside_transactions_pass_unchanged() -> None:
    live = LiveTransactions()
    status = DomainEvent("connector.status", "CP1", {"status": "Charging"})
    assert live(status) == [status]
    outside = DomainEvent("transaction.meter", "CP1", {"transaction_id": None, "samples": []})
    assert live(outside) == [outside]


def test_power_is_the_phase_less_value_else_the_sum_of_the_line_phases() -> None:
    phases = [
        {"measurand": "Power.Active.Import", "value": "1000", "phase": "L1"},
        {"measurand": "Power.Active.Import", "value": "2", "unit": "kW", "phase": "L2"},
        {"measurand": "Power.Active.Import", "value": "5", "phase": "N"},
    ]
    assert reading(phases, "Power.Active.Import") == 3000.0
    total = [*phases, {"measurand": "Power.Active.Import", "value": "2900"}]
    assert reading(total, "Power.Active.Import") == 2900.0
    assert reading([{"measurand": "Power.Active.Import", "value": "bad"}], "Power.Active.Import") is None


def test_a_meter_event_is_wanted_when_its_derived_update_is() -> None:
    from opencsms.domain.live_transactions import LiveTransactions

    listeners: set[str] = set()
    wanted = LiveTransactions.wanted_through(lambda kind: kind in listeners)
    assert not wanted("transaction.meter")
    listeners.add("transaction.updated")
    assert wanted("transaction.meter") and not wanted("station.booted")
