"""A session's samples as chart lines, and its events."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from opencsms.dashboard import session_series as series
from opencsms.domain.model import ConnectorState, SampledValue, Transaction, TransactionStatus

START = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
TX = Transaction(
    id=1,
    station_id="CP1",
    transaction_ref="1",
    evse_id=None,
    connector_id=1,
    id_token="TAG",
    started_at=START,
    stopped_at=None,
    meter_start_wh=10_000,
    meter_stop_wh=None,
    stop_reason=None,
    status=TransactionStatus.ACTIVE,
)


def at(seconds: float) -> datetime:
    return START + timedelta(seconds=seconds)


def ms(seconds: float) -> int:
    return int(at(seconds).timestamp() * 1000)


def value(number: str, measurand: str, unit: str, phase: str | None = None) -> SampledValue:
    return SampledValue(number, measurand=measurand, unit=unit, phase=phase)


def test_power_is_the_total_or_the_sum_of_the_line_phases_in_watts() -> None:
    samples = [
        (at(0), value("7.4", series.ACTIVE_POWER, "kW")),
        *((at(60), value("1000", series.ACTIVE_POWER, "W", phase)) for phase in ("L1", "L2", "L3")),
        (at(60), value("250", series.ACTIVE_POWER, "W", "N")),  # neutral is not a line
    ]
    lines = series.session_series(TX, samples)
    assert lines.power_w == {"total": [(ms(0), 7400.0), (ms(60), 3000.0)]}
    assert lines.samples == 2


def test_energy_counts_from_the_meter_start() -> None:
    samples = [
        (at(0), value("10.5", series.ENERGY_REGISTER, "kWh")),
        (at(60), value("11250", series.ENERGY_REGISTER, "Wh")),
    ]
    assert series.session_series(TX, samples).energy_wh == {"total": [(ms(0), 500.0), (ms(60), 1250.0)]}


def test_without_a_meter_start_energy_counts_from_the_first_register() -> None:
    samples = [
        (at(0), value("500", series.ENERGY_REGISTER, "Wh")),
        (at(60), value("800", series.ENERGY_REGISTER, "Wh")),
    ]
    lines = series.session_series(replace(TX, meter_start_wh=None), samples)
    assert lines.energy_wh == {"total": [(ms(0), 0.0), (ms(60), 300.0)]}


def test_current_and_voltage_have_a_line_per_phase_and_soc_its_own() -> None:
    samples = [
        (at(0), value("16.02", series.CURRENT, "A", "L1")),
        (at(0), value("15.98", series.CURRENT, "A", "L2")),
        (at(0), value("231.4", series.VOLTAGE, "V", "L1-N")),
        (at(0), value("42", series.STATE_OF_CHARGE, "Percent")),
        (at(0), value("not a number", series.VOLTAGE, "V", "L2-N")),
    ]
    lines = series.session_series(TX, samples)
    assert lines.current_a == {"L1": [(ms(0), 16.02)], "L2": [(ms(0), 15.98)]}
    assert lines.voltage_v == {"L1-N": [(ms(0), 231.4)]}
    assert lines.soc_percent == {"total": [(ms(0), 42.0)]}


def test_long_sessions_are_thinned_keeping_the_first_and_last_sample() -> None:
    count = series.MAX_POINTS * 3 + 7
    samples = [(at(i), value(str(i), series.ACTIVE_POWER, "W")) for i in range(count)]
    points = series.session_series(TX, samples).power_w["total"]
    assert len(points) == series.MAX_POINTS
    assert points[0] == (ms(0), 0.0) and points[-1] == (ms(count - 1), float(count - 1))
    assert [p[0] for p in points] == sorted({p[0] for p in points})


def test_events_are_the_start_the_statuses_during_the_session_and_the_end() -> None:
    ended = replace(
        TX,
        stopped_at=at(600),
        meter_stop_wh=12_000,
        stop_reason="Remote",
        status=TransactionStatus.ENDED,
    )

    def status(name: str, seconds: float, error: str | None = None) -> ConnectorState:
        return ConnectorState("CP1", 0, 1, name, error, None, at(seconds))

    statuses = [
        status("Available", -60),  # before the session
        status("Charging", 5),
        status("SuspendedEV", 300, "NoError"),
        status("Faulted", 400, "OverCurrentFailure"),
        status("Available", 700),  # after
    ]
    events = series.session_events(ended, statuses)
    assert [(e.kind, e.detail) for e in events] == [
        ("Started", "token TAG, meter 10000 Wh"),
        ("Connector", "Charging"),
        ("Connector", "SuspendedEV"),
        ("Connector", "Faulted (OverCurrentFailure)"),
        ("Ended", "Remote, meter 12000 Wh"),
    ]


def test_an_inferred_end_says_so() -> None:
    ended = replace(
        TX,
        stopped_at=at(600),
        meter_stop_wh=12_000,
        status=TransactionStatus.ENDED,
        ended_by="inferred",
        inferred_cause="new_start",
    )
    events = series.session_events(ended, [])
    assert [(e.kind, e.detail) for e in events][-1] == (
        "Ended",
        "inferred (new_start), no stop from the station, meter 12000 Wh",
    )
