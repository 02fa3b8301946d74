"""CSMS -> station calls of OCPP 2.0.1 and 2.1, as a simulated station answers them.

One function per action; each answers at once. Work that needs calls of its own (a remote
start's TransactionEvent, a reset's reconnection, a report's NotifyReport parts) is spawned, so
it runs after the answer has gone out. Actions the CSMS may send but that have no function here
are answered NotSupported; unknown ones NotImplemented. The device model's actions (GetVariables,
SetVariables, GetBaseReport, GetReport) are in ``reports201``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Coroutine
from typing import TYPE_CHECKING, Any

from opencsms.ocppj import Call
from opencsms.simulate import customer_information201, firmware, reports201, reservations201, security201
from opencsms.simulate.received_calls import dispatch, one_of, optional, required, sent_by_csms
from opencsms.simulate.sessions201 import complete_stop, start_session
from opencsms.simulate.smart_charging_calls import HANDLERS_201
from opencsms.transport.connection import Payload

if TYPE_CHECKING:
    from opencsms.simulate.station201 import SimulatedStation201

Handler = Callable[["SimulatedStation201", Payload], Awaitable[Payload]]


async def answer(station: SimulatedStation201, call: Call) -> Payload:
    """The answer to ``call``.

    Raises:
        NotSupportedError: an action of the station's version the simulator does not implement.
        NotImplementedCallError: an unknown action.
        OcppError: the payload lacks what the handler needs.
    """
    return await dispatch(
        HANDLERS, station, call, is_known=lambda action: sent_by_csms(station.version, action)
    )


# -- F Remote control ------------------------------------------------------------------------------


async def request_start_transaction(station: SimulatedStation201, payload: Payload) -> Payload:
    """F01/F02: Accepted when the named EVSE (or, unnamed, any) is free and the station online;
    the session then really starts: TransactionEvent Started with triggerReason RemoteStart and
    the remoteStartId."""
    id_token = required(payload, "idToken", dict)
    token = required(id_token, "idToken", str)
    token_type = required(id_token, "type", str)
    remote_start_id = required(payload, "remoteStartId", int)
    wanted = optional(payload, "evseId", int)
    # The reserving token may use its reserved EVSE (H01.FR.23).
    reserved = reservations201.free_for(station, wanted, token)
    evse_id = station.claim_free_point(reserved if reserved is not None else wanted)
    if evse_id is None:
        return {"status": "Rejected"}

    def start(planned: float | None) -> Awaitable[str | None]:
        return start_session(
            station,
            evse_id,
            token,
            token_type=token_type,
            remote_start_id=remote_start_id,
            authorize=station.device_model.flag("AuthCtrlr", "AuthorizeRemoteStart"),
            planned_seconds=planned,
            plug_in_seconds=station.config.plug_in_seconds,
        )

    station.spawn(station.remote_session(evse_id, start), "remote start")
    return {"status": "Accepted"}


async def request_stop_transaction(station: SimulatedStation201, payload: Payload) -> Payload:
    """F03: Accepted when the transaction runs here; it ends at once (stoppedReason Remote,
    triggerReason RemoteStop), then TransactionEvent Ended and the connector's status."""
    evse = station.evse_of(required(payload, "transactionId", str))
    if evse is None:
        return {"status": "Rejected"}
    ended = station.finish_transaction(evse.evse_id, "Remote")
    station.spawn(complete_stop(station, evse.evse_id, ended), "remote stop")
    return {"status": "Accepted"}


async def unlock_connector(station: SimulatedStation201, payload: Payload) -> Payload:
    """F05: Unlocked; OngoingAuthorizedTransaction while a transaction uses the connector (it is
    not stopped); UnknownConnector for a connector the station lacks."""
    evse = station.evses.get(required(payload, "evseId", int))
    connector_id = required(payload, "connectorId", int)
    if evse is None or connector_id not in evse.connector_status:
        return {"status": "UnknownConnector"}
    if evse.transaction is not None and evse.transaction.connector_id == connector_id:
        return {"status": "OngoingAuthorizedTransaction"}
    return {"status": "Unlocked"}


async def trigger_message(station: SimulatedStation201, payload: Payload) -> Payload:
    """F06: Accepted, and the requested message follows; Rejected for an EVSE or connector the
    station lacks, a BootNotification once Accepted (F06.FR.17) or a TransactionEvent with no
    transaction; NotImplemented for messages the simulator does not send."""
    message = required(payload, "requestedMessage", str)
    evse_ref = optional(payload, "evse", dict)
    evse_ids = list(station.evses)
    connector_id: int | None = None
    if evse_ref is not None:
        evse_id = required(evse_ref, "id", int)
        connector_id = optional(evse_ref, "connectorId", int)
        if evse_id not in station.evses or (
            connector_id is not None and connector_id not in station.evses[evse_id].connector_status
        ):
            return {"status": "Rejected"}
        evse_ids = [evse_id]
    follow_up: Coroutine[Any, Any, Any]
    if message == "BootNotification":
        if station.registration == "Accepted":
            return {"status": "Rejected"}
        follow_up = station.boot("Triggered")
    elif message == "Heartbeat":
        follow_up = station.heartbeat()
    elif message == "StatusNotification":
        follow_up = _send_statuses(station, evse_ids, connector_id)
    elif message == "MeterValues":
        follow_up = _send_meter_values(station, evse_ids)
    elif message == "TransactionEvent":
        running = [n for n in evse_ids if station.evses[n].transaction is not None]
        if not running:
            return {"status": "Rejected"}
        follow_up = _send_updates(station, running)
    elif message == "SignChargingStationCertificate":
        follow_up = security201.send_csr(station)
    elif message in ("LogStatusNotification", "FirmwareStatusNotification"):
        follow_up = station.call(message, {"status": "Idle"})
    else:
        return {"status": "NotImplemented"}
    station.spawn(follow_up, f"trigger {message}")
    return {"status": "Accepted"}


async def _send_statuses(station: SimulatedStation201, evse_ids: list[int], connector_id: int | None) -> None:
    for evse_id in evse_ids:
        evse = station.evses[evse_id]
        for connector in [connector_id] if connector_id is not None else list(evse.connector_status):
            await station.send_status(evse_id, connector, evse.connector_status[connector])


async def _send_meter_values(station: SimulatedStation201, evse_ids: list[int]) -> None:
    for evse_id in evse_ids:
        await station.call(
            "MeterValues", {"evseId": evse_id, "meterValue": [station.sample(evse_id, "Trigger")]}
        )


async def _send_updates(station: SimulatedStation201, evse_ids: list[int]) -> None:
    for evse_id in evse_ids:
        await station.send_meter_values(evse_id, context="Trigger", trigger_reason="Trigger")


# -- B Provisioning, G Availability, E Transactions, C Authorization, P DataTransfer ---------------


async def reset(station: SimulatedStation201, payload: Payload) -> Payload:
    """B11/B12: Immediate: Accepted, transactions end (ImmediateReset), the station reboots and
    boots with reason RemoteReset. OnIdle: the same, Scheduled until the last transaction ends.
    Resetting a single EVSE is not supported: Rejected."""
    kind = one_of(payload, "type", ("Immediate", "OnIdle", "ImmediateAndResume"))
    if optional(payload, "evseId", int) is not None:
        return {"status": "Rejected"}
    scheduled = kind == "OnIdle" and station.charging > 0
    station.spawn(station.reset("OnIdle" if kind == "OnIdle" else "Immediate"), "reset")
    return {"status": "Scheduled" if scheduled else "Accepted"}


async def change_availability(station: SimulatedStation201, payload: Payload) -> Payload:
    """G03/G04: the station (no evse), an EVSE or a connector becomes (in)operative and its
    connectors' statuses follow; Scheduled where a transaction runs (applied when it ends);
    Rejected for an EVSE or connector the station lacks."""
    operative = one_of(payload, "operationalStatus", ("Inoperative", "Operative")) == "Operative"
    evse_ref = optional(payload, "evse", dict)
    evse_id = 0 if evse_ref is None else required(evse_ref, "id", int)
    connector_id = None if evse_ref is None else optional(evse_ref, "connectorId", int)
    if evse_id == 0:
        targets = list(station.evses.values())
    elif evse_id in station.evses and connector_id in (None, *station.evses[evse_id].connector_status):
        targets = [station.evses[evse_id]]
    else:
        return {"status": "Rejected"}
    scheduled = False
    for evse in targets:
        if connector_id is not None:
            station.inoperative_connectors.discard((evse.evse_id, connector_id))
            if not operative:
                station.inoperative_connectors.add((evse.evse_id, connector_id))
        elif evse.transaction is not None or evse.claimed:
            evse.inoperative_scheduled = not operative
            scheduled = scheduled or not operative
        else:
            evse.operative = operative
    reports201.show_availability(station, evse_id, connector_id, operative)
    station.spawn(station.announce_statuses(changed_only=True), "availability")
    return {"status": "Scheduled" if scheduled else "Accepted"}


async def get_transaction_status(station: SimulatedStation201, payload: Payload) -> Payload:
    """E14: whether events wait in the queue (of that transaction, or any) and, for a named
    transaction, whether it still runs."""
    transaction_id = optional(payload, "transactionId", str)
    result: Payload = {"messagesInQueue": station.outbox.pending(transaction_id) > 0}
    if transaction_id is not None:
        result["ongoingIndicator"] = station.evse_of(transaction_id) is not None
    return result


async def clear_cache(station: SimulatedStation201, payload: Payload) -> Payload:
    """C11: the simulator keeps no tokens, so there is nothing to refuse unless the cache is off."""
    return {"status": "Accepted" if station.device_model.flag("AuthCacheCtrlr", "Enabled") else "Rejected"}


async def data_transfer(station: SimulatedStation201, payload: Payload) -> Payload:
    """P01: no vendor extensions, so every vendorId is unknown."""
    required(payload, "vendorId", str)
    return {"status": "UnknownVendorId"}


async def set_network_profile(station: SimulatedStation201, payload: Payload) -> Payload:
    """B09: the profile is kept in its slot and used after a reboot once NetworkConfigurationPriority
    puts it first (B10); Rejected for a security profile lower than the current one (A05.FR.02)."""
    slot = required(payload, "configurationSlot", int)
    connection_data = required(payload, "connectionData", dict)
    return {"status": station.set_network_profile(slot, connection_data)}


HANDLERS: dict[str, Handler] = {
    "ChangeAvailability": change_availability,
    "ClearCache": clear_cache,
    "DataTransfer": data_transfer,
    "GetBaseReport": reports201.get_base_report,
    "GetReport": reports201.get_report,
    "GetTransactionStatus": get_transaction_status,
    "GetVariables": reports201.get_variables,
    "RequestStartTransaction": request_start_transaction,
    "RequestStopTransaction": request_stop_transaction,
    "Reset": reset,
    "SetNetworkProfile": set_network_profile,
    "SetVariables": reports201.set_variables,
    "TriggerMessage": trigger_message,
    "UnlockConnector": unlock_connector,
    **security201.HANDLERS,
    **reservations201.HANDLERS,
    **firmware.HANDLERS_201,
    **customer_information201.HANDLERS,
    **HANDLERS_201,
}
