"""The 2.0.1 device model on its own, without a loop or a socket; its output checked against the
2.0.1 and 2.1 schemas."""

from __future__ import annotations

from typing import Any

import pytest

from opencsms.simulate import StationConfig
from opencsms.simulate.device_model201 import Component, DeviceModel, VariableSpec, standard_device_model
from tests.simulate.csms import VALIDATORS


def model(changes: list[tuple[str, str]] | None = None, **config: Any) -> DeviceModel:
    def record(spec: VariableSpec, value: str) -> None:
        if changes is not None:
            changes.append((spec.name, value))

    return standard_device_model(
        StationConfig("DM1", **config), on_change=record, evse_power=lambda n: 7400.0 * n
    )


def ref(component: str, variable: str, **extra: Any) -> dict[str, Any]:
    return {"component": {"name": component}, "variable": {"name": variable}, **extra}


@pytest.mark.parametrize("version", ["2.0.1", "2.1"])
def test_reports_and_answers_are_valid(version: str) -> None:
    validator = VALIDATORS[version]
    dm = model(evses=3, connectors_per_evse=2, password="secret-password-16")
    for base in ("FullInventory", "ConfigurationInventory", "SummaryInventory"):
        data = dm.base_report(base)
        assert data
        validator.validate_request(
            "NotifyReport",
            {"requestId": 1, "generatedAt": "2025-01-01T00:00:00.000Z", "seqNo": 0, "reportData": data},
        )
    got = dm.get_variables(
        [ref("ClockCtrlr", "DateTime"), ref("Nope", "Nope"), ref("SecurityCtrlr", "BasicAuthPassword")]
    )
    validator.validate_response("GetVariables", {"getVariableResult": got})
    assert got[0]["attributeValue"].endswith("Z")
    assert got[2]["attributeStatus"] == "Rejected" and got[2]["attributeStatusInfo"] == {
        "reasonCode": "WriteOnly"
    }
    done = dm.set_variables([ref("OCPPCommCtrlr", "HeartbeatInterval", attributeValue="30")])
    validator.validate_response("SetVariables", {"setVariableResult": done})


def test_the_model_describes_every_evse_and_connector() -> None:
    dm = model(evses=2, connectors_per_evse=2, max_power_w=(22_000.0, 11_000.0))
    components = {(s.component.name, s.component.evse_id, s.component.connector_id) for s in dm}
    assert {
        ("EVSE", 1, None),
        ("EVSE", 2, None),
        ("Connector", 2, 2),
        ("ChargingStation", None, None),
    } <= components
    power = next(s for s in dm if s.name == "Power" and s.component.evse_id == 2)
    assert power.max_limit == 11_000.0 and dm.value(power.component, "Power") == "14800.0"  # live
    assert dm.value("SecurityCtrlr", "SecurityProfile") == "0"
    assert dm.value("DeviceDataCtrlr", "ItemsPerMessage", "GetReport") == "20"
    with pytest.raises(KeyError):
        dm.value("SecurityCtrlr", "BasicAuthPassword")  # no password, no value
    with pytest.raises(KeyError):
        dm.value("Toaster", "Colour")


def test_values_are_checked_by_type_list_and_limit() -> None:
    changes: list[tuple[str, str]] = []
    dm = model(changes)

    def status(component: str, variable: str, value: str, instance: str | None = None) -> str:
        item = ref(component, variable, attributeValue=value)
        if instance is not None:
            item["variable"]["instance"] = instance
        return str(dm.set_variables([item])[0]["attributeStatus"])

    assert status("AuthCtrlr", "AuthorizeRemoteStart", "TRUE") == "Accepted"
    assert dm.flag("AuthCtrlr", "AuthorizeRemoteStart")
    assert status("OCPPCommCtrlr", "HeartbeatInterval", "-1") == "Rejected"  # below minLimit
    assert status("OCPPCommCtrlr", "HeartbeatInterval", "1.5") == "Rejected"  # not an integer
    assert status("OCPPCommCtrlr", "MessageAttempts", "0", "TransactionEvent") == "Rejected"
    assert status("OCPPCommCtrlr", "MessageAttempts", "5", "TransactionEvent") == "Accepted"
    assert status("OCPPCommCtrlr", "MessageAttempts", "5") == "UnknownVariable"  # the instance matters
    assert status("ClockCtrlr", "TimeSource", "NTP,Heartbeat") == "Accepted"
    assert status("SampledDataCtrlr", "TxUpdatedMeasurands", "SoC,Voltage") == "Accepted"
    assert status("SampledDataCtrlr", "TxUpdatedMeasurands", "Smell") == "Rejected"
    assert status("ChargingStation", "Model", "X") == "Rejected"
    assert changes == [
        ("AuthorizeRemoteStart", "true"),
        ("MessageAttempts", "5"),
        ("TimeSource", "NTP,Heartbeat"),
        ("TxUpdatedMeasurands", "SoC,Voltage"),
    ]
    dm.set("ChargingStation", "Model", "Y")  # the station itself may set read-only variables
    assert dm.value("chargingstation", "model") == "Y"


def test_custom_reports_match_what_is_named() -> None:
    dm = model()
    every_evse = dm.custom_report([{"component": {"name": "evse"}}], [])
    assert {d["component"]["evse"]["id"] for d in every_evse} == {1, 2}
    one = dm.custom_report(
        [{"component": {"name": "EVSE", "evse": {"id": 2}}, "variable": {"name": "Power"}}], []
    )
    assert [d["component"] for d in one] == [{"name": "EVSE", "evse": {"id": 2}}]
    items = dm.custom_report(
        [
            {
                "component": {"name": "DeviceDataCtrlr"},
                "variable": {"name": "ItemsPerMessage", "instance": "GetVariables"},
            }
        ],
        [],
    )
    assert [d["variable"] for d in items] == [{"name": "ItemsPerMessage", "instance": "GetVariables"}]
    assert dm.custom_report([], ["Problem"]) == []
    available = dm.custom_report([], ["Available"])
    assert {d["component"]["name"] for d in available} == {"ChargingStation", "EVSE", "Connector"}
    dm.set(Component("EVSE", evse_id=1), "Available", "false")
    assert {
        d["component"].get("evse", {}).get("id")
        for d in dm.custom_report([{"component": {"name": "EVSE"}}], ["Available"])
    } == {2}
