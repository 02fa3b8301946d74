"""CSMS -> station calls of OCPP 1.6 (Core and Remote Trigger profiles), as a simulated station
answers them.

One function per action; each answers at once. Work that needs calls of its own (a remote start's
StartTransaction, a reset's reconnection) is spawned, so it runs after the answer has gone out.
Actions the CSMS may send but that have no function here are answered NotSupported.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Coroutine
from typing import TYPE_CHECKING, Any

from opencsms.ocppj import V16, Call, OcppError
from opencsms.ocppj.errors import TypeConstraintViolation
from opencsms.simulate import firmware, reservations16, security16
from opencsms.simulate.received_calls import dispatch, one_of, optional, required, sent_by_csms
from opencsms.simulate.sessions16 import complete_stop, start_session
from opencsms.simulate.smart_charging_calls import HANDLERS_16
from opencsms.transport.connection import CallFailed, Payload

if TYPE_CHECKING:
    from opencsms.simulate.station16 import SimulatedStation16

log = logging.getLogger(__name__)

Handler = Callable[["SimulatedStation16", Payload], Awaitable[Payload]]


async def answer(station: SimulatedStation16, call: Call) -> Payload:
    """The answer to ``call``.

    Raises:
        NotSupportedError: a 1.6 action the simulator does not implement.
        NotImplementedCallError: an unknown action.
        OcppError: the payload lacks what the handler needs.
    """
    return await dispatch(HANDLERS, station, call, is_known=lambda action: sent_by_csms(V16, action))


async def remote_start_transaction(station: SimulatedStation16, payload: Payload) -> Payload:
    """1.6 section 5.11: Accepted when the named connector (or, unnamed, any) is free and the
    station is online; the session then really starts (Preparing, StartTransaction, Charging)."""
    id_tag = required(payload, "idTag", str)
    wanted = optional(payload, "connectorId", int)
    reserved = next((r for r in station.reservations.values() if r.id_tag == id_tag), None)
    if reserved is not None and wanted in (None, reserved.connector_id):
        # The reserving tag may use its reserved connector (5.13); it is free for this session.
        station.connector(reserved.connector_id).status = "Available"
        wanted = reserved.connector_id
    connector_id = station.claim_free_point(wanted)
    if connector_id is None:
        return {"status": "Rejected"}

    def start(planned: float | None) -> Awaitable[int | None]:
        return start_session(
            station,
            connector_id,
            id_tag,
            authorize=station.configuration.flag("AuthorizeRemoteTxRequests"),
            planned_seconds=planned,
            plug_in_seconds=station.config.plug_in_seconds,
        )

    station.spawn(station.remote_session(connector_id, start), "remote start")
    return {"status": "Accepted"}


async def remote_stop_transaction(station: SimulatedStation16, payload: Payload) -> Payload:
    """1.6 section 5.12: Accepted when the transaction runs here; it ends at once (reason
    Remote), then StopTransaction, Finishing, Available."""
    transaction_id = required(payload, "transactionId", int)
    for connector in station.connectors.values():
        if connector.transaction is not None and connector.transaction.transaction_id == transaction_id:
            stop_payload = station.finish_transaction(connector.connector_id, "Remote")
            station.spawn(complete_stop(station, connector.connector_id, stop_payload), "remote stop")
            return {"status": "Accepted"}
    return {"status": "Rejected"}


async def reset(station: SimulatedStation16, payload: Payload) -> Payload:
    """1.6 section 5.14: Accepted; then transactions stop (SoftReset/HardReset), the station
    disconnects, reconnects and boots again."""
    kind = one_of(payload, "type", ("Hard", "Soft"))
    station.spawn(station.reset(kind), "reset")
    return {"status": "Accepted"}


async def change_configuration(station: SimulatedStation16, payload: Payload) -> Payload:
    """1.6 section 5.3: Accepted (applied), Rejected (read-only or bad value), NotSupported (unknown key)."""
    key = required(payload, "key", str)
    value = required(payload, "value", str)
    if key in ("AuthorizationKey", "SecurityProfile"):
        # Security whitepaper § 2.3-2.4: accepted, then the station reconnects with the new setting.
        if key == "AuthorizationKey":
            status = station.security.take_authorization_key(value)
        else:
            status = station.security.upgrade_v16(value)
        if status == "Accepted":
            station.spawn(station.reconnect_with_new_credentials(), "reconnect")
        return {"status": status}
    return {"status": station.configuration.change_configuration(key, value)}


async def get_configuration(station: SimulatedStation16, payload: Payload) -> Payload:
    """1.6 section 5.8: the requested keys (all when none) with readonly flags; unknownKey lists the rest."""
    keys = optional(payload, "key", list)
    if keys is not None and not all(isinstance(key, str) for key in keys):
        raise TypeConstraintViolation("key must be a list of strings")
    return station.configuration.get_configuration(keys)


async def change_availability(station: SimulatedStation16, payload: Payload) -> Payload:
    """1.6 section 5.2: Accepted and the status follows (Available/Unavailable); Scheduled for a
    connector with a transaction (it becomes Unavailable when the transaction ends); connector 0
    is the whole station; Rejected for a connector the station lacks."""
    connector_id = required(payload, "connectorId", int)
    operative = one_of(payload, "type", ("Inoperative", "Operative")) == "Operative"
    if connector_id == 0:
        targets = list(station.connectors.values())
    elif connector_id in station.connectors:
        targets = [station.connectors[connector_id]]
    else:
        return {"status": "Rejected"}
    scheduled = False
    changed: list[int] = []
    for connector in targets:
        if connector.transaction is not None or connector.claimed:
            connector.inoperative_scheduled = not operative
            scheduled = scheduled or not operative
        elif connector.operative != operative:
            connector.operative = operative
            changed.append(connector.connector_id)
    station_status = station.station_status
    if connector_id == 0:
        station_status = "Available" if operative else "Unavailable"
    if changed or station_status != station.station_status:
        station.spawn(_announce_availability(station, station_status, changed), "availability")
    return {"status": "Scheduled" if scheduled else "Accepted"}


async def _announce_availability(
    station: SimulatedStation16, station_status: str, changed: list[int]
) -> None:
    if station_status != station.station_status:
        await station.send_status(0, station_status)
    for connector_id in changed:
        await station.send_status(connector_id, station.connector(connector_id).idle_status)


async def unlock_connector(station: SimulatedStation16, payload: Payload) -> Payload:
    """1.6 section 5.18: Unlocked; a transaction on the connector ends first (reason UnlockCommand)."""
    connector_id = required(payload, "connectorId", int)
    connector = station.connectors.get(connector_id)
    if connector is None:
        return {"status": "NotSupported"}
    if connector.transaction is not None:
        stop_payload = station.finish_transaction(connector_id, "UnlockCommand")
        station.spawn(complete_stop(station, connector_id, stop_payload), "unlock")
    return {"status": "Unlocked"}


async def clear_cache(station: SimulatedStation16, payload: Payload) -> Payload:
    """1.6 section 5.4: the simulator keeps no authorization cache, so there is nothing to refuse."""
    return {"status": "Accepted"}


async def data_transfer(station: SimulatedStation16, payload: Payload) -> Payload:
    """1.6 section 5.6: no vendor extensions, so every vendorId is unknown."""
    required(payload, "vendorId", str)
    return {"status": "UnknownVendorId"}


async def trigger_message(station: SimulatedStation16, payload: Payload) -> Payload:
    """1.6 section 5.17 (Remote Trigger): Accepted, and the requested message follows; Rejected
    for a connector the station lacks."""
    message = required(payload, "requestedMessage", str)
    connector_id = optional(payload, "connectorId", int)
    if connector_id is not None and connector_id != 0 and connector_id not in station.connectors:
        return {"status": "Rejected"}
    named = [connector_id] if connector_id else list(station.connectors)
    follow_up: Coroutine[Any, Any, Any]
    if message == "BootNotification":
        follow_up = station.boot()
    elif message == "Heartbeat":
        follow_up = station.heartbeat()
    elif message == "StatusNotification":
        follow_up = _send_statuses(station, [0, *named] if connector_id is None else named)
    elif message == "MeterValues":
        follow_up = _send_meter_values(station, named)
    elif message in ("DiagnosticsStatusNotification", "FirmwareStatusNotification"):
        follow_up = station.call(message, {"status": "Idle"})
    else:
        return {"status": "NotImplemented"}
    station.spawn(follow_up, f"trigger {message}")
    return {"status": "Accepted"}


async def _send_statuses(station: SimulatedStation16, connector_ids: list[int]) -> None:
    for connector_id in connector_ids:
        status = station.station_status if connector_id == 0 else station.connector(connector_id).status
        await station.send_status(connector_id, status)


async def _send_meter_values(station: SimulatedStation16, connector_ids: list[int]) -> None:
    for connector_id in connector_ids:
        try:
            await station.send_meter_values(connector_id, context="Trigger")
        except (CallFailed, OcppError) as exc:
            log.info("%s: triggered MeterValues failed: %s", station.station_id, exc)


HANDLERS: dict[str, Handler] = {
    "ChangeAvailability": change_availability,
    "ChangeConfiguration": change_configuration,
    "ClearCache": clear_cache,
    "DataTransfer": data_transfer,
    "GetConfiguration": get_configuration,
    "RemoteStartTransaction": remote_start_transaction,
    "RemoteStopTransaction": remote_stop_transaction,
    "Reset": reset,
    "TriggerMessage": trigger_message,
    "UnlockConnector": unlock_connector,
    **security16.HANDLERS,
    **reservations16.HANDLERS,
    **firmware.HANDLERS_16,
    **HANDLERS_16,
}
