"""2.0.1 device model payloads as domain attributes (B05-B08)."""

from __future__ import annotations

from opencsms.domain.device_model import VariableAttribute
from opencsms.handlers.context import StationContext
from opencsms.handlers.v201.variables import (
    get_variables_results,
    record_result,
    report_attributes,
    set_variables_results,
)

HEARTBEAT = {"component": {"name": "OCPPCommCtrlr"}, "variable": {"name": "HeartbeatInterval"}}


def test_report_data_gives_one_attribute_per_variable_attribute_with_spec_defaults() -> None:
    attributes = report_attributes(
        [
            {
                "component": {"name": "EVSE", "instance": "left", "evse": {"id": 2}},
                "variable": {"name": "Power", "instance": "DC"},
                "variableAttribute": [
                    {"type": "Actual", "value": "0"},
                    {"type": "MaxSet", "value": "50000", "mutability": "ReadOnly", "persistent": True},
                ],
                "variableCharacteristics": {
                    "unit": "W",
                    "dataType": "decimal",
                    "minLimit": 0,
                    "maxLimit": 50000.0,
                    "supportsMonitoring": True,
                },
            },
            {
                "component": {"name": "Connector", "evse": {"id": 2, "connectorId": 1}},
                "variable": {"name": "ConnectorType"},
                "variableAttribute": [{"value": "cCCS2", "constant": True}],
            },
        ]
    )
    assert [a.key for a in attributes] == [
        "EVSE[left]@2.Power[DC]",
        "EVSE[left]@2.Power[DC]:MaxSet",
        "Connector@2/1.ConnectorType",
    ]
    actual, max_set, connector = attributes
    assert (actual.mutability, actual.persistent, actual.constant) == ("ReadWrite", False, False)
    assert (max_set.value, max_set.mutability, max_set.persistent) == ("50000", "ReadOnly", True)
    assert (actual.unit, actual.data_type, actual.min_limit, actual.max_limit) == (
        "W",
        "decimal",
        "0",
        "50000",
    )
    assert (connector.value, connector.constant, connector.data_type) == ("cCCS2", True, None)


def test_get_variables_results_carry_value_and_status() -> None:
    results = get_variables_results(
        {
            "getVariableResult": [
                {**HEARTBEAT, "attributeStatus": "Accepted", "attributeValue": "300"},
                {**HEARTBEAT, "attributeType": "Target", "attributeStatus": "NotSupportedAttributeType"},
            ]
        }
    )
    assert results == [
        VariableAttribute("OCPPCommCtrlr", "HeartbeatInterval", "300", status="Accepted"),
        VariableAttribute(
            "OCPPCommCtrlr",
            "HeartbeatInterval",
            None,
            attribute_type="Target",
            status="NotSupportedAttributeType",
        ),
    ]


def test_set_variables_results_are_matched_to_the_values_sent() -> None:
    tx_interval = {"component": {"name": "SampledDataCtrlr"}, "variable": {"name": "TxUpdatedInterval"}}
    request = {
        "setVariableData": [
            {**HEARTBEAT, "attributeValue": "60"},
            {**tx_interval, "attributeType": "Actual", "attributeValue": "15"},
        ]
    }
    response = {
        "setVariableResult": [
            {**tx_interval, "attributeStatus": "RebootRequired"},
            {**HEARTBEAT, "attributeType": "Actual", "attributeStatus": "Accepted"},
        ]
    }
    assert set_variables_results(request, response) == [
        VariableAttribute("SampledDataCtrlr", "TxUpdatedInterval", "15", status="RebootRequired"),
        VariableAttribute("OCPPCommCtrlr", "HeartbeatInterval", "60", status="Accepted"),
    ]


async def test_answers_to_get_and_set_variables_are_recorded_others_ignored(ctx: StationContext) -> None:
    await record_result(
        ctx,
        "GetVariables",
        {},
        {"getVariableResult": [{**HEARTBEAT, "attributeStatus": "Accepted", "attributeValue": "300"}]},
    )
    await record_result(ctx, "Reset", {"type": "OnIdle"}, {"status": "Accepted"})
    [stored] = await ctx.domain.device_model.configuration("CS1")
    assert (stored.key, stored.value, stored.source) == (
        "OCPPCommCtrlr.HeartbeatInterval",
        "300",
        "GetVariables",
    )
    await record_result(
        ctx,
        "SetVariables",
        {"setVariableData": [{**HEARTBEAT, "attributeValue": "30"}]},
        {"setVariableResult": [{**HEARTBEAT, "attributeStatus": "Accepted"}]},
    )
    [stored] = await ctx.domain.device_model.configuration("CS1")
    assert (stored.value, stored.source) == ("30", "SetVariables")
