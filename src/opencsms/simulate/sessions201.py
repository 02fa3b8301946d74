"""The messages a simulated 2.0.1/2.1 station sends around a transaction (blocks C, E, F).

A driver's session: the cable goes in (StatusNotification Occupied), the driver presents a token
(Authorize), the transaction starts (TransactionEvent Started, triggerReason Authorized), the EV
is metered (Updated), the driver ends it (Ended, StopAuthorized), unplugs (Available). A remote
start (F01/F02) authorizes first when AuthCtrlr.AuthorizeRemoteStart is true, waits for the
cable (at most TxCtrlr.EVConnectionTimeOut) and starts with triggerReason RemoteStart. These flows
are shared by the autopilot and the RequestStart/RequestStopTransaction handlers.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

from opencsms.ocppj import OcppError
from opencsms.transport.connection import CallFailed, Payload

if TYPE_CHECKING:
    from opencsms.simulate.station201 import SimulatedStation201

log = logging.getLogger(__name__)

_CONNECTOR = 1  # the connector a session uses on its EVSE


async def start_session(
    station: SimulatedStation201,
    evse_id: int,
    id_token: str,
    *,
    token_type: str = "ISO14443",
    remote_start_id: int | None = None,
    authorize: bool = True,
    planned_seconds: float | None = None,
    plug_in_seconds: float = 0.0,
) -> str | None:
    """Plug in, Authorize and TransactionEvent Started, in the order of a local or (with
    ``remote_start_id``) a remote start.

    Returns the transactionId, or None when the token was refused or the driver did not plug in
    within EVConnectionTimeOut (the connector is back to its idle status). A token refused only
    by the Started answer ends the transaction at once (Deauthorized) when StopTxOnInvalidId is
    true, else leaves it SuspendedEVSE.

    Raises:
        UsageError: no such EVSE, or it already has a transaction.
        CallFailed, OcppError: a message failed.
    """
    evse = station.evse(evse_id)
    evse.claimed = True
    try:
        if remote_start_id is None:
            await station.send_status(evse_id, _CONNECTOR, "Occupied")
            authorized = not authorize or await _authorized(station, id_token, token_type)
        else:
            authorized = not authorize or await _authorized(station, id_token, token_type)
            if authorized:
                if not await _plugged_in(station, plug_in_seconds):
                    return None
                await station.send_status(evse_id, _CONNECTOR, "Occupied")
        if not authorized:
            if remote_start_id is None:  # the driver unplugs again
                await _show_status(station, evse_id, station.idle_status(evse_id, _CONNECTOR))
            return None
        transaction_id = await station.start_transaction(
            evse_id,
            id_token,
            token_type=token_type,
            trigger_reason="Authorized" if remote_start_id is None else "RemoteStart",
            remote_start_id=remote_start_id,
            planned_seconds=planned_seconds,
        )
    except BaseException:
        if evse.transaction is None:
            evse.set_connector_status(_CONNECTOR, station.idle_status(evse_id, _CONNECTOR))
        raise
    finally:
        evse.claimed = False
    transaction = evse.transaction
    assert transaction is not None
    if transaction.id_token_status != "Accepted":
        station.stats.auth_rejected += 1
        if station.device_model.flag("TxCtrlr", "StopTxOnInvalidId"):
            await end_session(station, evse_id, "DeAuthorized")
            return None
        transaction.session.max_power_w = 0.0
        transaction.charging_state = "SuspendedEVSE"
    return transaction_id


async def _authorized(station: SimulatedStation201, id_token: str, token_type: str) -> bool:
    if await station.authorize(id_token, token_type) == "Accepted":
        return True
    station.stats.auth_rejected += 1
    return False


async def _plugged_in(station: SimulatedStation201, plug_in_seconds: float) -> bool:
    """Wait for the driver to plug in; False when that takes longer than EVConnectionTimeOut."""
    if plug_in_seconds <= 0:
        return True
    timeout = station.device_model.number("TxCtrlr", "EVConnectionTimeOut")
    await asyncio.sleep(min(plug_in_seconds, timeout))
    return plug_in_seconds <= timeout


async def end_session(station: SimulatedStation201, evse_id: int, reason: str = "Local") -> None:
    """End the transaction, then TransactionEvent Ended, unplug, Available (or Unavailable).

    Raises:
        UsageError: no such EVSE, or it has no transaction.
        CallFailed, OcppError: the Ended event was not accepted.
    """
    await complete_stop(station, evse_id, station.finish_transaction(evse_id, reason))


async def complete_stop(station: SimulatedStation201, evse_id: int, ended: Payload) -> None:
    """Send the Ended event of a transaction already finished, then the status after the driver
    unplugged; a scheduled ChangeAvailability to Inoperative takes effect here. The status follows
    even when the event failed, so the connector does not stay Occupied for ever.

    Raises:
        CallFailed, OcppError: the Ended event was not accepted (after its attempts).
    """
    evse = station.evse(evse_id)
    stop_error: CallFailed | OcppError | None = None
    try:
        await station.send_ended(ended)
    except (CallFailed, OcppError) as exc:
        stop_error = exc
    if station.config.unplug_seconds > 0:
        await asyncio.sleep(station.config.unplug_seconds)
    if evse.transaction is None and not evse.claimed:  # else a new session began meanwhile
        if evse.inoperative_scheduled:
            evse.operative = evse.inoperative_scheduled = False
        await _show_status(station, evse_id, station.idle_status(evse_id, _CONNECTOR))
    if stop_error is not None:
        raise stop_error


async def _show_status(station: SimulatedStation201, evse_id: int, status: str) -> None:
    """Set the status and tell the CSMS if it can be told; the connector's state moves on regardless."""
    try:
        await station.send_status(evse_id, _CONNECTOR, status)
    except (CallFailed, OcppError) as exc:
        log.info("%s: StatusNotification %s failed: %s", station.station_id, status, exc)
