"""The EV model and the samples it produces, without a loop or a socket."""

from __future__ import annotations

import random
import re

import pytest

from opencsms.simulate.ev import (
    ChargingSession,
    ElectricVehicle,
    ocpp_timestamp,
    periodic_sample,
    register_sample,
)
from tests.simulate.csms import VALIDATOR


def session(soc: float = 20.0, planned: float | None = None, max_power: float = 22_000.0) -> ChargingSession:
    return ChargingSession(
        ElectricVehicle(capacity_wh=60_000.0, soc_percent=soc),
        max_power,
        started_at=100.0,
        rng=random.Random(3),
        ramp_seconds=10.0,
        planned_seconds=planned,
    )


def test_power_ramps_up_to_the_connector_maximum() -> None:
    s = session()
    powers = []
    for t in range(101, 131):
        s.advance(float(t))
        powers.append(s.power_w)
    assert powers[0] < 0.5 * 22_000
    assert all(p <= 22_000 for p in powers)
    assert min(powers[15:]) > 0.95 * 22_000  # full power, with a little noise
    assert len(set(powers[15:])) > 1


def test_energy_is_power_times_time() -> None:
    s = session()
    s.advance(130.0)  # past the ramp
    delivered = sum(s.advance(130.0 + 60 * minute) for minute in range(1, 61))
    assert delivered == pytest.approx(22_000, rel=0.03)  # one hour at ~22 kW
    assert s.delivered_wh > delivered
    assert s.advance(10.0) == 0.0  # time never goes back


def test_power_tapers_at_high_soc_and_near_the_planned_end() -> None:
    nearly_full = session(soc=95.0)
    nearly_full.advance(130.0)
    assert nearly_full.power_w < 0.3 * 22_000
    planned = session(planned=100.0)
    planned.advance(150.0)
    mid = planned.power_w
    planned.advance(199.0)
    assert planned.power_w < 0.3 * mid


def test_a_full_battery_takes_no_more() -> None:
    s = session(soc=99.99)
    s.advance(3700.0)
    assert s.vehicle.soc_percent == 100.0 and s.power_w == 0.0
    assert s.delivered_wh == pytest.approx(0.0001 * 60_000, rel=0.01)
    assert s.advance(3800.0) == 0.0


def test_samples_are_valid_1_6_meter_values() -> None:
    timestamp = ocpp_timestamp()
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", timestamp)
    sample = periodic_sample(timestamp, 1234.56, 11_000.0, phases=3, rng=random.Random(1), soc_percent=42.4)
    by_measurand: dict[str, list[dict[str, str]]] = {}
    for value in sample["sampledValue"]:
        by_measurand.setdefault(value["measurand"], []).append(value)
    assert by_measurand["Energy.Active.Import.Register"][0]["value"] == "1234.6"
    assert by_measurand["SoC"][0] == {
        "value": "42",
        "context": "Sample.Periodic",
        "measurand": "SoC",
        "unit": "Percent",
        "location": "EV",
    }
    currents = [float(v["value"]) for v in by_measurand["Current.Import"]]
    assert sum(currents) == pytest.approx(11_000 / 230, rel=0.02)
    assert [v["phase"] for v in by_measurand["Voltage"]] == ["L1-N", "L2-N", "L3-N"]
    single = periodic_sample(timestamp, 1.0, 0.0, phases=1, rng=random.Random(1))
    assert [v["measurand"] for v in single["sampledValue"]] == [
        "Energy.Active.Import.Register", "Power.Active.Import", "Current.Import", "Voltage",
    ]  # fmt: skip
    if VALIDATOR is not None:
        VALIDATOR.validate_request("MeterValues", {"connectorId": 1, "meterValue": [sample, single]})
        end = register_sample(timestamp, 99.0, "Transaction.End")
        VALIDATOR.validate_request(
            "StopTransaction",
            {"transactionId": 1, "meterStop": 99, "timestamp": timestamp, "transactionData": [end]},
        )
