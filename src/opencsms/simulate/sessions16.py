"""The messages a simulated 1.6 station sends around a transaction (1.6 sections 4.8-4.10).

A real station does not only send StartTransaction and StopTransaction: the connector goes
Preparing, Charging, Finishing, Available, and the EV is metered while it charges. These flows are
shared by the autopilot (driver-initiated sessions) and the RemoteStart/RemoteStop handlers.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

from opencsms.ocppj import OcppError
from opencsms.transport.connection import CallFailed, Payload

if TYPE_CHECKING:
    from opencsms.simulate.station16 import SimulatedStation16

log = logging.getLogger(__name__)


async def start_session(
    station: SimulatedStation16,
    connector_id: int,
    id_tag: str,
    *,
    authorize: bool = True,
    planned_seconds: float | None = None,
    plug_in_seconds: float = 0.0,
) -> int | None:
    """Preparing, (wait for the plug,) Authorize, StartTransaction, Charging.

    Returns the transactionId, or None when the driver did not plug in within
    ConnectionTimeOut or the tag was refused (the connector is back to its idle status). A tag
    refused only by StartTransaction ends the transaction at once (reason DeAuthorized) when
    StopTransactionOnInvalidId is true, else leaves it SuspendedEVSE.

    Raises:
        UsageError: no such connector, or it already has a transaction.
        CallFailed, OcppError: a message failed; no transaction was left running.
    """
    connector = station.connector(connector_id)
    connector.claimed = True
    try:
        await station.send_status(connector_id, "Preparing")
        if plug_in_seconds > 0:
            timeout = station.configuration.number("ConnectionTimeOut")
            await asyncio.sleep(min(plug_in_seconds, timeout))
            if plug_in_seconds > timeout:
                await station.send_status(connector_id, connector.idle_status)
                return None
        if authorize and await station.authorize(id_tag) != "Accepted":
            station.stats.auth_rejected += 1
            await station.send_status(connector_id, connector.idle_status)
            return None
        transaction_id = await station.start_transaction(
            connector_id, id_tag, planned_seconds=planned_seconds
        )
    except BaseException:
        if connector.transaction is None:
            connector.status = connector.idle_status
        raise
    finally:
        connector.claimed = False
    transaction = connector.transaction
    assert transaction is not None
    if transaction.id_tag_status != "Accepted":
        station.stats.auth_rejected += 1
        if station.configuration.flag("StopTransactionOnInvalidId"):
            await end_session(station, connector_id, "DeAuthorized")
            return None
        transaction.session.max_power_w = 0.0
        await station.send_status(connector_id, "SuspendedEVSE")
        return transaction_id
    await station.send_status(connector_id, "Charging")
    return transaction_id


async def end_session(station: SimulatedStation16, connector_id: int, reason: str = "Local") -> None:
    """End the transaction, then StopTransaction, Finishing, unplug, Available (or Unavailable).

    Raises:
        UsageError: no such connector, or it has no transaction.
        CallFailed, OcppError: a message failed.
    """
    await complete_stop(station, connector_id, station.finish_transaction(connector_id, reason))


async def complete_stop(station: SimulatedStation16, connector_id: int, stop_payload: Payload) -> None:
    """Send the StopTransaction of a transaction already finished, then the statuses after it;
    a scheduled ChangeAvailability to Inoperative takes effect here. The statuses follow even when
    StopTransaction failed, so the connector does not stay Charging for ever.

    Raises:
        CallFailed, OcppError: StopTransaction failed (after its retries).
    """
    connector = station.connector(connector_id)
    stop_error: CallFailed | OcppError | None = None
    try:
        await station.send_transaction_message("StopTransaction", stop_payload)
    except (CallFailed, OcppError) as exc:
        stop_error = exc
    await _show_status(station, connector_id, "Finishing")
    if station.config.unplug_seconds > 0:
        await asyncio.sleep(station.config.unplug_seconds)
    if connector.transaction is None and not connector.claimed:  # else a new session began meanwhile
        if connector.inoperative_scheduled:
            connector.operative = connector.inoperative_scheduled = False
        await _show_status(station, connector_id, connector.idle_status)
    if stop_error is not None:
        raise stop_error


async def _show_status(station: SimulatedStation16, connector_id: int, status: str) -> None:
    """Set the status and tell the CSMS if it can be told; the connector's state moves on regardless."""
    try:
        await station.send_status(connector_id, status)
    except (CallFailed, OcppError) as exc:
        log.info("%s: StatusNotification %s failed: %s", station.station_id, status, exc)
