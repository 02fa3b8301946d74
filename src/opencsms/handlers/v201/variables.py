"""2.0.1 device model data (B06-B08) as domain :class:`VariableAttribute` rows.

Turns NotifyReport reportData and the answers to GetVariables / SetVariables into the
version-neutral shape the device model service stores.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from opencsms.domain.device_model import VariableAttribute
from opencsms.handlers.context import Payload, StationContext

Identity = tuple[str, str, int, int, str, str, str]


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _where(component: Payload, variable: Payload, attribute_type: str | None) -> dict[str, Any]:
    evse = component.get("evse") or {}
    return {
        "component": component["name"],
        "component_instance": component.get("instance") or "",
        "evse_id": evse.get("id") or 0,
        "connector_id": evse.get("connectorId") or 0,
        "variable": variable["name"],
        "variable_instance": variable.get("instance") or "",
        "attribute_type": attribute_type or "Actual",
    }


def _identity(component: Payload, variable: Payload, attribute_type: str | None) -> Identity:
    where = _where(component, variable, attribute_type)
    return (
        where["component"],
        where["component_instance"],
        where["evse_id"],
        where["connector_id"],
        where["variable"],
        where["variable_instance"],
        where["attribute_type"],
    )


def report_attributes(report_data: list[Payload]) -> list[VariableAttribute]:
    """Every variable attribute of a NotifyReport's reportData, with the variable's
    characteristics; spec defaults (mutability ReadWrite, persistent and constant false) filled in.
    """
    out = []
    for item in report_data:
        characteristics = item.get("variableCharacteristics") or {}
        for attribute in item["variableAttribute"]:
            out.append(
                VariableAttribute(
                    **_where(item["component"], item["variable"], attribute.get("type")),
                    value=attribute.get("value"),
                    mutability=attribute.get("mutability", "ReadWrite"),
                    persistent=attribute.get("persistent", False),
                    constant=attribute.get("constant", False),
                    unit=characteristics.get("unit"),
                    data_type=characteristics.get("dataType"),
                    min_limit=_text(characteristics.get("minLimit")),
                    max_limit=_text(characteristics.get("maxLimit")),
                    values_list=characteristics.get("valuesList"),
                )
            )
    return out


def get_variables_results(response: Payload) -> list[VariableAttribute]:
    """GetVariablesResponse results (B06): the value where Accepted, else the status."""
    return [
        VariableAttribute(
            **_where(result["component"], result["variable"], result.get("attributeType")),
            value=result.get("attributeValue"),
            status=result["attributeStatus"],
        )
        for result in response.get("getVariableResult", ())
    ]


def _requested_values(request: Payload) -> dict[Identity, str]:
    return {
        _identity(data["component"], data["variable"], data.get("attributeType")): data["attributeValue"]
        for data in request.get("setVariableData", ())
    }


def set_variables_results(request: Payload, response: Payload) -> list[VariableAttribute]:
    """SetVariablesResponse results (B05) with the values that were sent, matched per attribute."""
    sent = _requested_values(request)

    def results() -> Iterator[VariableAttribute]:
        for result in response.get("setVariableResult", ()):
            attribute_type = result.get("attributeType")
            identity = _identity(result["component"], result["variable"], attribute_type)
            yield VariableAttribute(
                **_where(result["component"], result["variable"], attribute_type),
                value=sent.get(identity),
                status=result["attributeStatus"],
            )

    return list(results())


async def record_result(ctx: StationContext, action: str, request: Payload, response: Payload) -> None:
    """Keep what a command's answer says about the station's variables (GetVariables, SetVariables)."""
    if action == "GetVariables":
        attributes = get_variables_results(response)
    elif action == "SetVariables":
        attributes = set_variables_results(request, response)
    else:
        return
    await ctx.domain.device_model.record_results(ctx.station_id, attributes, source=action)
