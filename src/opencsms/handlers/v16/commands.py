"""Version-neutral commands as OCPP 1.6 calls (Core profile, section 5)."""

from __future__ import annotations

import itertools
import json
import time
from typing import Any

from opencsms.domain import commands as c
from opencsms.handlers.context import Payload, StationContext, format_datetime
from opencsms.handlers.v16 import reservation, security_commands, smart_charging

# Request ids of log uploads; seeded from the clock so they stay fresh across restarts.
_log_request_ids = itertools.count(int(time.time()) % 1_000_000 * 100 + 70)


#: The OCA whitepaper "OCPP & California Pricing Requirements": its DataTransfer vendor id.
COST_VENDOR_ID = "org.openchargealliance.costmsg"


def california_pricing(command: c.CostUpdated) -> Payload:
    """The DataTransfer of a running cost (RunningCost) or a final one (FinalCost); ``data`` is
    the message's JSON as text, the cost a JSON number as written."""
    transaction_id = (
        int(command.transaction_ref) if command.transaction_ref.isdigit() else command.transaction_ref
    )
    cost = RawNumber(command.total_cost)
    if command.final:
        data: dict[str, Any] = {"transactionId": transaction_id, "cost": cost,
                                "priceText": command.price_text or f"Total {command.total_cost}"}  # fmt: skip
        message_id = "FinalCost"
    else:
        data = {"transactionId": transaction_id, "timestamp": command.timestamp,
                "meterValue": command.meter_wh or 0, "cost": cost,
                "state": "Charging" if command.charging else "Idle"}  # fmt: skip
        message_id = "RunningCost"
    return {"vendorId": COST_VENDOR_ID, "messageId": message_id, "data": _json_text(data)}


class RawNumber(str):
    """A decimal string written into JSON as a number."""


def _json_text(data: dict[str, Any]) -> str:
    parts = []
    for key, value in data.items():
        text = str(value) if isinstance(value, RawNumber) else json.dumps(value)
        parts.append(f"{json.dumps(key)}:{text}")
    return "{" + ",".join(parts) + "}"


async def to_call(ctx: StationContext, command: c.Command) -> tuple[str, Payload]:
    """The 1.6 action and payload for ``command``.

    Raises:
        InvalidCommand: the command names a transaction this station does not have.
        UnknownCommand: 1.6 has no such call.
    """
    smart_charging_call = await smart_charging.to_call(ctx, command)
    if smart_charging_call is not None:
        return smart_charging_call
    reservation_call = await reservation.to_call(ctx, command)
    if reservation_call is not None:
        return reservation_call
    match command:
        case c.Reset(kind=kind):
            return "Reset", {"type": kind}
        case c.ChangeAvailability(operative=operative, connector_id=connector_id):
            return "ChangeAvailability", {
                "connectorId": connector_id,
                "type": "Operative" if operative else "Inoperative",
            }
        case c.SetConfiguration(key=key, value=value):
            return "ChangeConfiguration", {"key": key, "value": value}
        case c.GetConfiguration(keys=keys):
            return "GetConfiguration", ({"key": list(keys)} if keys else {})
        case c.ClearCache():
            return "ClearCache", {}
        case c.DataTransfer(vendor_id=vendor_id, message_id=message_id, data=data):
            payload: Payload = {"vendorId": vendor_id}
            if message_id is not None:
                payload["messageId"] = message_id
            if data is not None:
                payload["data"] = data
            return "DataTransfer", payload
        case c.CostUpdated():
            return "DataTransfer", california_pricing(command)
        case c.RemoteStart(
            id_token=id_token, connector_id=connector_id, evse_id=evse_id, charging_profile=profile_data
        ):
            payload = {"idTag": id_token}
            connector = connector_id if connector_id is not None else evse_id
            if connector is not None:
                payload["connectorId"] = connector
            profile = None
            if profile_data is not None:
                profile = smart_charging.remote_start_profile(profile_data, connector or 0)
                payload["chargingProfile"] = smart_charging.profile_to_16(profile)
            await ctx.domain.remote_starts.requested(
                ctx.station_id, id_token, evse_id=connector, charging_profile=profile
            )
            return "RemoteStartTransaction", payload
        case c.RemoteStop(transaction_id=transaction_id):
            tx = await ctx.domain.transactions.get(transaction_id)
            if tx is None or tx.station_id != ctx.station_id:
                raise c.InvalidCommand(f"station {ctx.station_id} has no transaction {transaction_id}")
            return "RemoteStopTransaction", {"transactionId": transaction_id}
        case c.UnlockConnector(connector_id=connector_id):
            return "UnlockConnector", {"connectorId": connector_id}
        case c.TriggerMessage(message=message, connector_id=connector_id, evse_id=evse_id):
            payload = {"requestedMessage": message}
            connector = connector_id if connector_id is not None else evse_id
            if connector is not None:
                payload["connectorId"] = connector
            return "TriggerMessage", payload
        case c.GetBaseReport() | c.GetReport(variables=()):
            return "GetConfiguration", {}
        case c.GetVariables(variables=keys) | c.GetReport(variables=keys):
            return "GetConfiguration", {"key": list(keys)}
        case c.SetVariables(values=values):
            if len(values) != 1:
                raise c.InvalidCommand("OCPP 1.6 changes one configuration key per call")
            [(key, value)] = values.items()
            return "ChangeConfiguration", {"key": key, "value": value}
        case c.GetLog(request_id=request_id):
            chosen = request_id if request_id is not None else next(_log_request_ids)
            return "GetLog", c.get_log_payload(command, chosen)
        case c.UpdateFirmware(signature=None, signing_certificate=None):
            # 5.16: no signature, the Firmware Management profile's plain update.
            retries = c.retry_fields(command.retries, command.retry_interval)
            now = format_datetime(ctx.clock())
            return "UpdateFirmware", {
                "location": command.location,
                "retrieveDate": command.retrieve_at or now,
                **retries,
            }
        case c.UpdateFirmware(request_id=request_id):
            # Whitepaper § 4.1: signed firmware (both signature and certificate are required there).
            if command.signature is None or command.signing_certificate is None:
                raise c.InvalidCommand(
                    "a signed 1.6 update needs both the signature and the signing certificate"
                )
            chosen = request_id if request_id is not None else next(_log_request_ids)
            payload = {
                "requestId": chosen,
                "firmware": c.firmware_payload(command, format_datetime(ctx.clock())),
                **c.retry_fields(command.retries, command.retry_interval),
            }
            return "SignedUpdateFirmware", payload
        case c.GetDiagnostics(location=location, start_time=start, stop_time=stop):
            payload = {"location": location, **c.retry_fields(command.retries, command.retry_interval)}
            if start is not None:
                payload["startTime"] = start
            if stop is not None:
                payload["stopTime"] = stop
            return "GetDiagnostics", payload
        case c.RawCall(action=action, payload=raw):
            return action, raw
    certificate_call = security_commands.to_call(command)
    if certificate_call is not None:
        return certificate_call
    raise c.UnknownCommand(f"{type(command).__name__} has no OCPP 1.6 equivalent")


async def record_result(ctx: StationContext, action: str, request: Payload, response: Payload) -> None:
    """Keep the answer to a RemoteStartTransaction (whoever sent it)."""
    if action == "RemoteStartTransaction" and isinstance(response.get("status"), str):
        await ctx.domain.remote_starts.answered(
            ctx.station_id,
            response["status"],
            id_token=request["idTag"],
            evse_id=request.get("connectorId"),
        )


async def record_failure(ctx: StationContext, action: str, request: Payload, error: c.CommandError) -> None:
    """A RemoteStartTransaction that got no CALLRESULT: answered with a CALLERROR or not sent, it starts
    nothing; sent without an answer, the station may have acted on it (it stays Requested)."""
    if action == "RemoteStartTransaction" and not isinstance(error, c.SentNoAnswer | c.CommandTimeout):
        await ctx.domain.remote_starts.answered(
            ctx.station_id,
            "Failed",
            id_token=request["idTag"],
            evse_id=request.get("connectorId"),
        )
