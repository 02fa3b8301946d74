"""1.6 configuration keys (Core 5.8 GetConfiguration, 5.3 ChangeConfiguration) for the device model view."""

from __future__ import annotations

from opencsms.domain.device_model import VariableAttribute
from opencsms.handlers.context import Payload, StationContext


def configuration_keys(response: Payload) -> list[VariableAttribute]:
    """GetConfiguration.conf keys as attributes (empty component, the key as variable)."""
    return [
        VariableAttribute(
            component="",
            variable=entry["key"],
            value=entry.get("value"),
            mutability="ReadOnly" if entry.get("readonly") else "ReadWrite",
            status="Accepted",
        )
        for entry in response.get("configurationKey", ())
    ]


def changed_key(request: Payload, response: Payload) -> list[VariableAttribute]:
    """A ChangeConfiguration and its answer (Accepted, RebootRequired, Rejected, NotSupported)."""
    status = str(response.get("status"))
    return [
        VariableAttribute(
            component="",
            variable=request["key"],
            value=request["value"],
            status="UnknownKey" if status == "NotSupported" else status,
        )
    ]


async def record_result(ctx: StationContext, action: str, request: Payload, response: Payload) -> None:
    """Keep what a command's answer says about the station's configuration keys."""
    if action == "GetConfiguration":
        keys = configuration_keys(response)
    elif action == "ChangeConfiguration":
        keys = changed_key(request, response)
    else:
        return
    await ctx.domain.device_model.record_results(ctx.station_id, keys, source=action)
