"""2.0.1 block N (Diagnostics), CSMS side: NotifyEvent, LogStatusNotification and
NotifyCustomerInformation (station -> CSMS).

A station reports events (a lock failure, G05) at any time, the progress of a log upload the
operator asked for with GetLog (N01), or Idle when a TriggerMessage asks (F06), and the customer
data a CustomerInformation asked it to report (N09).
"""

from __future__ import annotations

from typing import Any

from opencsms.domain.device_model import VariableAttribute
from opencsms.handlers.context import Handler, Payload, StationContext
from opencsms.handlers.registration import refuse_unless_accepted


def event_attributes(event_data: list[dict[str, Any]]) -> list[VariableAttribute]:
    """The actual values a NotifyEvent reports, as device model attributes."""
    attributes = []
    for event in event_data:
        component = event["component"]
        variable = event["variable"]
        evse = component.get("evse") or {}
        attributes.append(
            VariableAttribute(
                component=component["name"],
                component_instance=component.get("instance", ""),
                evse_id=evse.get("id", 0),
                connector_id=evse.get("connectorId", 0),
                variable=variable["name"],
                variable_instance=variable.get("instance", ""),
                value=event["actualValue"],
            )
        )
    return attributes


async def notify_event(ctx: StationContext, payload: Payload) -> Payload:
    """N07.FR.16 / G05.FR.03 (NotifyEvent): keep each reported actual value in the station's
    device model (e.g. ConnectorPlugRetentionLock.Problem true after a lock failure)."""
    refuse_unless_accepted(ctx, "NotifyEvent")
    await ctx.domain.device_model.record_results(
        ctx.station_id, event_attributes(payload["eventData"]), source="NotifyEvent"
    )
    return {}


async def log_status_notification(ctx: StationContext, payload: Payload) -> Payload:
    """N01.FR.07 (LogStatusNotification): the upload's progress, or Idle when asked by a trigger."""
    refuse_unless_accepted(ctx, "LogStatusNotification")
    ctx.domain.stations.job_status(ctx.station_id, "log", payload["status"], payload.get("requestId"))
    return {}


async def notify_customer_information(ctx: StationContext, payload: Payload) -> Payload:
    """N09.FR.03 (NotifyCustomerInformation): each part of the report asked for is answered and
    passed on to the event stream, in order (seqNo, tbc)."""
    refuse_unless_accepted(ctx, "NotifyCustomerInformation")
    ctx.domain.stations.customer_information(
        ctx.station_id,
        payload["requestId"],
        payload["seqNo"],
        bool(payload.get("tbc", False)),
        payload["data"],
    )
    return {}


HANDLERS: dict[str, Handler] = {
    "NotifyEvent": notify_event,
    "LogStatusNotification": log_status_notification,
    "NotifyCustomerInformation": notify_customer_information,
}
