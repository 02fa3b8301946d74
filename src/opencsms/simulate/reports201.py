"""The device model's CSMS -> station calls (2.0.1 block B, Provisioning), as a simulated station
answers them: GetVariables, SetVariables, GetBaseReport and GetReport, whose reports follow in
NotifyReport parts of DeviceDataCtrlr.ItemsPerMessage[GetReport] reportData each.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import orjson

from opencsms.ocppj.errors import FormatViolation, OccurrenceConstraintViolation
from opencsms.simulate.device_model201 import Component
from opencsms.simulate.ev import ocpp_timestamp
from opencsms.simulate.received_calls import one_of, optional, required
from opencsms.transport.connection import Payload

if TYPE_CHECKING:
    from opencsms.simulate.station201 import SimulatedStation201

REPORT_BASES = ("ConfigurationInventory", "FullInventory", "SummaryInventory")


def _items(station: SimulatedStation201, payload: Payload, name: str, request: str) -> list[Payload]:
    """The request's list of items; OccurrenceConstraintViolation when there are more than
    DeviceDataCtrlr.ItemsPerMessage[request] allows, FormatViolation when the message is longer than
    BytesPerMessage[request] (counted with a message id of the longest length, 36)."""
    items = required(payload, name, list)
    limit = int(station.device_model.number("DeviceDataCtrlr", "ItemsPerMessage", request))
    if len(items) > limit:
        raise OccurrenceConstraintViolation(f"at most {limit} {name} items per {request}")
    max_bytes = int(station.device_model.number("DeviceDataCtrlr", "BytesPerMessage", request))
    if len(orjson.dumps([2, "x" * 36, request, payload])) > max_bytes:
        raise FormatViolation(f"a {request} is at most {max_bytes} bytes")
    return items


async def get_variables(station: SimulatedStation201, payload: Payload) -> Payload:
    """B06: one result per item: the Actual value, UnknownComponent, UnknownVariable,
    NotSupportedAttributeType, or Rejected for a write-only variable."""
    items = _items(station, payload, "getVariableData", "GetVariables")
    return {"getVariableResult": station.device_model.get_variables(items)}


async def set_variables(station: SimulatedStation201, payload: Payload) -> Payload:
    """B05: one result per item: Accepted (applied at once: a new HeartbeatInterval or
    TxUpdatedInterval is used from the next beat or sample on), Rejected for read-only variables
    and values that do not fit, UnknownComponent, UnknownVariable, NotSupportedAttributeType."""
    items = _items(station, payload, "setVariableData", "SetVariables")
    return {"setVariableResult": station.device_model.set_variables(items)}


async def get_base_report(station: SimulatedStation201, payload: Payload) -> Payload:
    """B07: Accepted; NotifyReport parts with the FullInventory, ConfigurationInventory or
    SummaryInventory follow."""
    request_id = required(payload, "requestId", int)
    report = station.device_model.base_report(one_of(payload, "reportBase", REPORT_BASES))
    station.spawn(send_report(station, request_id, report), "base report")
    return {"status": "Accepted"}


async def get_report(station: SimulatedStation201, payload: Payload) -> Payload:
    """B08: Accepted and NotifyReport parts with the variables asked for (componentVariable) of
    the components meeting componentCriteria; EmptyResultSet when none match."""
    request_id = required(payload, "requestId", int)
    component_variables = optional(payload, "componentVariable", list) or []
    criteria = optional(payload, "componentCriteria", list) or []
    report = station.device_model.custom_report(component_variables, criteria)
    if not report:
        return {"status": "EmptyResultSet"}
    station.spawn(send_report(station, request_id, report), "report")
    return {"status": "Accepted"}


async def send_report(station: SimulatedStation201, request_id: int, report: list[Payload]) -> None:
    """NotifyReport parts numbered from seqNo 0, all but the last with ``tbc`` true.

    Raises:
        CallFailed, OcppError: a part failed; the rest are not sent.
    """
    size = max(1, int(station.device_model.number("DeviceDataCtrlr", "ItemsPerMessage", "GetReport")))
    parts = [report[start : start + size] for start in range(0, len(report), size)]
    generated_at = ocpp_timestamp()
    for seq_no, part in enumerate(parts):
        await station.call(
            "NotifyReport",
            {
                "requestId": request_id,
                "generatedAt": generated_at,
                "seqNo": seq_no,
                "tbc": seq_no < len(parts) - 1,
                "reportData": part,
            },
        )


def show_availability(
    station: SimulatedStation201, evse_id: int, connector_id: int | None, operative: bool
) -> None:
    """Set the ``Available`` variable of the station (``evse_id`` 0), an EVSE or a connector."""
    if evse_id == 0:
        component = Component("ChargingStation")
    elif connector_id is None:
        component = Component("EVSE", evse_id=evse_id)
    else:
        component = Component("Connector", evse_id=evse_id, connector_id=connector_id)
    station.device_model.set(component, "Available", "true" if operative else "false")
