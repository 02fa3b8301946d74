"""Version-neutral commands as OCPP 2.0.1 calls (blocks B, C, F, G, P)."""

from __future__ import annotations

import itertools
import time

from opencsms.domain import commands as c
from opencsms.handlers.context import Payload, StationContext

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


def component_variable(key: str) -> tuple[str, str]:
    """ "Component.Variable", or a 1.6 key with a 2.0.1 equivalent, as (component, variable).

    Raises:
        InvalidCommand: neither form.
    """
    if key in V16_KEY_TO_VARIABLE:
        return V16_KEY_TO_VARIABLE[key]
    component, dot, variable = key.partition(".")
    if not dot or not component or not variable:
        raise c.InvalidCommand(f"{key!r}: give 2.0.1 variables as Component.Variable")
    return component, variable


def _evse(evse_id: int | None, connector_id: int | None) -> Payload | None:
    if evse_id is None and connector_id is None:
        return None
    evse: Payload = {"id": evse_id if evse_id is not None else 1}
    if connector_id is not None and evse_id is not None:
        evse["connectorId"] = connector_id
    return evse


async def to_call(ctx: StationContext, command: c.Command) -> tuple[str, Payload]:
    """The 2.0.1 action and payload for ``command``.

    Raises:
        InvalidCommand: bad arguments (unknown transaction, unmapped configuration key).
        UnknownCommand: 2.0.1 has no such call.
    """
    match command:
        case c.Reset(kind=kind, evse_id=evse_id):
            payload: Payload = {"type": "OnIdle" if kind == "Soft" else "Immediate"}
            if evse_id is not None:
                payload["evseId"] = evse_id
            return "Reset", payload
        case c.ChangeAvailability(operative=operative, connector_id=connector_id, evse_id=evse_id):
            payload = {"operationalStatus": "Operative" if operative else "Inoperative"}
            target_evse = evse_id if evse_id is not None else (connector_id or None)
            if target_evse:
                payload["evse"] = _evse(target_evse, connector_id if evse_id is not None else None)
            return "ChangeAvailability", payload
        case c.SetConfiguration(key=key, value=value):
            component, variable = component_variable(key)
            return "SetVariables", {
                "setVariableData": [
                    {
                        "attributeValue": value,
                        "component": {"name": component},
                        "variable": {"name": variable},
                    }
                ]
            }
        case c.GetConfiguration(keys=keys):
            if not keys:
                return "GetBaseReport", {"requestId": next(_request_ids), "reportBase": "FullInventory"}
            return "GetVariables", {
                "getVariableData": [
                    {"component": {"name": comp}, "variable": {"name": var}}
                    for comp, var in (component_variable(k) for k in keys)
                ]
            }
        case c.ClearCache():
            return "ClearCache", {}
        case c.DataTransfer(vendor_id=vendor_id, message_id=message_id, data=data):
            payload = {"vendorId": vendor_id}
            if message_id is not None:
                payload["messageId"] = message_id
            if data is not None:
                payload["data"] = data
            return "DataTransfer", payload
        case c.RemoteStart(id_token=id_token, connector_id=connector_id, evse_id=evse_id):
            payload = {
                "idToken": {"idToken": id_token, "type": "Central"},
                "remoteStartId": next(_request_ids),
            }
            target = evse_id if evse_id is not None else connector_id
            if target is not None:
                payload["evseId"] = target
            return "RequestStartTransaction", payload
        case c.RemoteStop(transaction_id=transaction_id):
            tx = await ctx.domain.transactions.get(transaction_id)
            if tx is None or tx.station_id != ctx.station_id:
                raise c.InvalidCommand(f"station {ctx.station_id} has no transaction {transaction_id}")
            return "RequestStopTransaction", {"transactionId": tx.transaction_ref}
        case c.TriggerMessage(message=message, connector_id=connector_id, evse_id=evse_id):
            payload = {"requestedMessage": message}
            evse = _evse(evse_id if evse_id is not None else connector_id, None)
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
        case c.RawCall(action=action, payload=raw):
            return action, raw
        case c.UnlockConnector(connector_id=connector_id, evse_id=evse_id):
            return "UnlockConnector", {
                "evseId": evse_id if evse_id is not None else 1,
                "connectorId": connector_id,
            }
    raise c.UnknownCommand(f"{type(command).__name__} has no OCPP 2.0.1 equivalent")
