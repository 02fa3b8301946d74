"""Version-neutral commands as OCPP 2.0.1 calls (blocks B, C, F, G, P)."""

from __future__ import annotations

import itertools
import time

from opencsms.domain import commands as c
from opencsms.domain.charging_profiles import profile_to_json
from opencsms.domain.device_model import parse_key
from opencsms.handlers.context import Payload, StationContext, format_datetime
from opencsms.handlers.v16.smart_charging import remote_start_profile
from opencsms.handlers.v201 import reservation, security_commands, smart_charging

# Request ids for reports and remote starts; seeded from the clock so they stay fresh across restarts.
_request_ids = itertools.count(int(time.time()) % 1_000_000 * 100)

#: 1.6 configuration keys that have a standard 2.0.1 component/variable (Part 2 appendix).
V16_KEY_TO_VARIABLE: dict[str, tuple[str, str]] = {
    "HeartbeatInterval": ("OCPPCommCtrlr", "HeartbeatInterval"),
    "MeterValueSampleInterval": ("SampledDataCtrlr", "TxUpdatedInterval"),
    "ConnectionTimeOut": ("TxCtrlr", "EVConnectionTimeOut"),
    "AuthorizeRemoteTxRequests": ("AuthCtrlr", "AuthorizeRemoteStart"),
    "LocalAuthorizeOffline": ("AuthCtrlr", "LocalAuthorizeOffline"),
    "WebSocketPingInterval": ("OCPPCommCtrlr", "WebSocketPingInterval"),
}


def variable_address(key: str) -> Payload:
    """A configuration-view name, or a 1.6 key with a 2.0.1 equivalent, as the ``component``,
    ``variable`` and ``attributeType`` fields of a GetVariableData / SetVariableData.

    Raises:
        InvalidCommand: neither form.
    """
    if key in V16_KEY_TO_VARIABLE:
        component_name, variable_name = V16_KEY_TO_VARIABLE[key]
        return {"component": {"name": component_name}, "variable": {"name": variable_name}}
    try:
        attribute = parse_key(key)
    except ValueError:
        raise c.InvalidCommand(f"{key!r}: give 2.0.1 variables as Component.Variable") from None
    component: Payload = {"name": attribute.component}
    if attribute.component_instance:
        component["instance"] = attribute.component_instance
    if attribute.evse_id:
        evse: Payload = {"id": attribute.evse_id}
        if attribute.connector_id:
            evse["connectorId"] = attribute.connector_id
        component["evse"] = evse
    variable: Payload = {"name": attribute.variable}
    if attribute.variable_instance:
        variable["instance"] = attribute.variable_instance
    address: Payload = {"component": component, "variable": variable}
    if attribute.attribute_type != "Actual":
        address["attributeType"] = attribute.attribute_type
    return address


def _get_variables(keys: tuple[str, ...]) -> tuple[str, Payload]:
    if not keys:
        raise c.InvalidCommand("name at least one variable")
    return "GetVariables", {"getVariableData": [variable_address(key) for key in keys]}


def _set_variables(values: dict[str, str]) -> tuple[str, Payload]:
    if not values:
        raise c.InvalidCommand("give at least one variable and its value")
    data = [{**variable_address(key), "attributeValue": value} for key, value in values.items()]
    return "SetVariables", {"setVariableData": data}


def _decimal_number(text: str) -> float:
    # orjson writes a float the shortest exact way: "8.56" goes out as 8.56.
    return float(text)


def _request_id(given: int | None) -> int:
    return given if given is not None else next(_request_ids)


def _evse(evse_id: int | None, connector_id: int | None) -> Payload | None:
    if evse_id is None and connector_id is None:
        return None
    evse: Payload = {"id": evse_id if evse_id is not None else 1}
    if connector_id is not None and evse_id is not None:
        evse["connectorId"] = connector_id
    return evse


async def _id_token(ctx: StationContext, id_token: str) -> Payload:
    """The token as the station knows it: with its own type when the CSMS has it, else Central."""
    known = await ctx.domain.tokens.get(id_token)
    return {
        "idToken": id_token,
        "type": known.token_type if known is not None and known.token_type else "Central",
    }


async def _customer_information(ctx: StationContext, command: c.CustomerInformation) -> Payload:
    if (
        command.id_token is None
        and command.customer_identifier is None
        and command.certificate_hash_data is None
    ):
        raise c.InvalidCommand("name the customer: id_token, customer_identifier or certificate_hash_data")
    if not command.report and not command.clear:
        raise c.InvalidCommand("ask for a report, a clear or both")
    payload: Payload = {
        "requestId": _request_id(command.request_id),
        "report": command.report,
        "clear": command.clear,
    }
    if command.id_token is not None:
        payload["idToken"] = await _id_token(ctx, command.id_token)
    if command.customer_identifier is not None:
        payload["customerIdentifier"] = command.customer_identifier
    if command.certificate_hash_data is not None:
        payload["customerCertificate"] = dict(command.certificate_hash_data)
    return payload


async def to_call(ctx: StationContext, command: c.Command) -> tuple[str, Payload]:
    """The 2.0.1 action and payload for ``command``.

    Raises:
        InvalidCommand: bad arguments (unknown transaction, unmapped configuration key).
        UnknownCommand: 2.0.1 has no such call.
    """
    smart_charging_call = await smart_charging.to_call(ctx, command)
    if smart_charging_call is not None:
        return smart_charging_call
    reservation_call = await reservation.to_call(ctx, command)
    if reservation_call is not None:
        return reservation_call
    match command:
        case c.Reset(kind=kind, evse_id=evse_id):
            payload: Payload = {"type": "OnIdle" if kind == "Soft" else "Immediate"}
            if evse_id is not None:
                payload["evseId"] = evse_id
            return "Reset", payload
        case c.ChangeAvailability(operative=operative, connector_id=connector_id, evse_id=evse_id):
            # G03/G04 EVSE, G05/G06 station (no evse, or EVSE 0), G07/G08 connector of an EVSE; a
            # 1.6-style connector id alone names the EVSE of that number.
            payload = {"operationalStatus": "Operative" if operative else "Inoperative"}
            if evse_id:
                payload["evse"] = _evse(evse_id, connector_id or None)
            elif evse_id is None and connector_id:
                payload["evse"] = {"id": connector_id}
            return "ChangeAvailability", payload
        case c.SetConfiguration(key=key, value=value):
            return _set_variables({key: value})
        case c.GetConfiguration(keys=keys):
            if not keys:
                return "GetBaseReport", {"requestId": next(_request_ids), "reportBase": "FullInventory"}
            return _get_variables(keys)
        case c.GetVariables(variables=variables):
            return _get_variables(variables)
        case c.SetVariables(values=values):
            return _set_variables(values)
        case c.GetBaseReport(report_base=report_base, request_id=request_id):
            return "GetBaseReport", {"requestId": _request_id(request_id), "reportBase": report_base}
        case c.GetReport(variables=variables, criteria=criteria, request_id=request_id):
            payload = {"requestId": _request_id(request_id)}
            if variables:
                payload["componentVariable"] = [
                    {key: value for key, value in variable_address(v).items() if key != "attributeType"}
                    for v in variables
                ]
            if criteria:
                payload["componentCriteria"] = list(criteria)
            return "GetReport", payload
        case c.SetNetworkProfile(configuration_slot=slot, connection_data=connection_data):
            return "SetNetworkProfile", {"configurationSlot": slot, "connectionData": connection_data}
        case c.ClearCache():
            return "ClearCache", {}
        case c.DataTransfer(vendor_id=vendor_id, message_id=message_id, data=data):
            payload = {"vendorId": vendor_id}
            if message_id is not None:
                payload["messageId"] = message_id
            if data is not None:
                payload["data"] = data
            return "DataTransfer", payload
        case c.CostUpdated(transaction_ref=transaction_ref, total_cost=total_cost):
            # I02: the running cost for the station's display (a JSON number, as written).
            return "CostUpdated", {"totalCost": _decimal_number(total_cost), "transactionId": transaction_ref}
        case c.RemoteStart(
            id_token=id_token, connector_id=connector_id, evse_id=evse_id, charging_profile=profile_data
        ):
            # F01/F02: the token with its own type (TC_F_01 checks it).
            token = await _id_token(ctx, id_token)
            payload = {"idToken": token, "remoteStartId": next(_request_ids)}
            target = evse_id if evse_id is not None else connector_id
            if target is not None:
                payload["evseId"] = target
            profile = None
            if profile_data is not None:
                profile = remote_start_profile(profile_data, target or 0)
                payload["chargingProfile"] = profile_to_json(profile)
            await ctx.domain.remote_starts.requested(
                ctx.station_id,
                id_token,
                token_type=token["type"],
                evse_id=target,
                remote_start_id=payload["remoteStartId"],
                charging_profile=profile,
            )
            return "RequestStartTransaction", payload
        case c.RemoteStop(transaction_id=transaction_id):
            tx = await ctx.domain.transactions.get(transaction_id)
            if tx is None or tx.station_id != ctx.station_id:
                raise c.InvalidCommand(f"station {ctx.station_id} has no transaction {transaction_id}")
            return "RequestStopTransaction", {"transactionId": tx.transaction_ref}
        case c.TriggerMessage(message=message, connector_id=connector_id, evse_id=evse_id):
            payload = {"requestedMessage": message}
            # F06: EVSE and connector when both are named; a 1.6-style connector id alone names
            # the EVSE of that number.
            evse = _evse(evse_id, connector_id) if evse_id is not None else _evse(connector_id, None)
            if evse is not None:
                payload["evse"] = evse
            return "TriggerMessage", payload
        case c.GetTransactionStatus(transaction_id=transaction_id):
            if transaction_id is None:
                return "GetTransactionStatus", {}
            tx = await ctx.domain.transactions.get(transaction_id)
            if tx is None or tx.station_id != ctx.station_id:
                raise c.InvalidCommand(f"station {ctx.station_id} has no transaction {transaction_id}")
            return "GetTransactionStatus", {"transactionId": tx.transaction_ref}
        case c.GetLog(request_id=request_id):
            return "GetLog", c.get_log_payload(command, _request_id(request_id))
        case c.UpdateFirmware(request_id=request_id):
            payload = {
                "requestId": _request_id(request_id),
                "firmware": c.firmware_payload(command, format_datetime(ctx.clock())),
                **c.retry_fields(command.retries, command.retry_interval),
            }
            return "UpdateFirmware", payload
        case c.GetDiagnostics():
            raise c.InvalidCommand("a 2.x station uploads diagnostics with get_log (log_type DiagnosticsLog)")
        case c.CustomerInformation():
            return "CustomerInformation", await _customer_information(ctx, command)
        case c.RawCall(action=action, payload=raw):
            return action, raw
        case c.UnlockConnector(connector_id=connector_id, evse_id=evse_id):
            return "UnlockConnector", {
                "evseId": evse_id if evse_id is not None else 1,
                "connectorId": connector_id,
            }
    certificate_call = security_commands.to_call(command)
    if certificate_call is not None:
        return certificate_call
    raise c.UnknownCommand(f"{type(command).__name__} has no OCPP 2.0.1 equivalent")


async def record_result(ctx: StationContext, action: str, request: Payload, response: Payload) -> None:
    """Keep the answer to a RequestStartTransaction (whoever sent it), with the transaction the
    station names when it had one running already (F02)."""
    if action == "RequestStartTransaction" and isinstance(response.get("status"), str):
        await ctx.domain.remote_starts.answered(
            ctx.station_id,
            response["status"],
            id_token=request["idToken"]["idToken"],
            evse_id=request.get("evseId"),
            remote_start_id=request["remoteStartId"],
            transaction_ref=response.get("transactionId"),
        )


async def record_failure(ctx: StationContext, action: str, request: Payload, error: c.CommandError) -> None:
    """A RequestStartTransaction that got no CALLRESULT: answered with a CALLERROR or not sent, it starts
    nothing; sent without an answer, the station may have acted on it (it stays Requested)."""
    if action == "RequestStartTransaction" and not isinstance(error, c.SentNoAnswer | c.CommandTimeout):
        await ctx.domain.remote_starts.answered(
            ctx.station_id,
            "Failed",
            id_token=request["idToken"]["idToken"],
            evse_id=request.get("evseId"),
            remote_start_id=request["remoteStartId"],
        )
