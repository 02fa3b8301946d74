"""A simulated station on its own, any version: stays connected, boots, beats, and drivers come
and charge.

* Connection: connect; when that fails or the connection drops, wait (exponential back-off from
  ``reconnect_min_seconds`` to ``reconnect_max_seconds``, with jitter so a fleet does not come
  back all at once) and connect again; after a Reset, reconnect at once.
* Boot: BootNotification until Accepted (1.6: on every connection; 2.x: after power-up and
  reboots only); Pending and Rejected wait ``interval`` (1.6 section 4.2, 2.0.1 B02/B03) or
  ``boot_retry_seconds`` when the CSMS gave none. Then :meth:`resume` (statuses; 2.x first replays
  the transaction events queued while offline) and Heartbeats every heartbeat interval.
* Drivers: per charging point (1.6 connector, 2.x EVSE), an idle gap, then a session
  (:meth:`begin_session`), samples every meter interval, and the end of the session. Gaps and
  durations vary by +-50 % and +-20 % around the configured values.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

from websockets.exceptions import InvalidHandshake

from opencsms.ocppj import OcppError
from opencsms.transport.connection import CallFailed, ConnectionLost, OcppConnection

if TYPE_CHECKING:
    from opencsms.simulate.station_base import SimulatedStationBase

log = logging.getLogger(__name__)


async def run_autonomously(station: SimulatedStationBase) -> None:
    """Run ``station`` until cancelled (it is left connected; the caller disconnects it)."""
    drivers = [
        asyncio.create_task(_drive(station, point_id), name=f"{station.station_id} driver {point_id}")
        for point_id in station.point_ids
    ]
    try:
        await _stay_connected(station)
    finally:
        for task in drivers:
            task.cancel()
        await asyncio.gather(*drivers, return_exceptions=True)


async def _stay_connected(station: SimulatedStationBase) -> None:
    config = station.config
    delay = config.reconnect_min_seconds
    while True:
        try:
            await station.connect()
        except (OSError, InvalidHandshake, TimeoutError) as exc:
            log.info("%s: cannot connect (%s); again in ~%.1f s", station.station_id, exc, delay)
            await asyncio.sleep(delay * station.rng.uniform(0.5, 1.0))
            delay = min(delay * 2, config.reconnect_max_seconds)
            continue
        delay = config.reconnect_min_seconds
        station.reconnect_now = False
        connection = station.connection
        assert connection is not None
        # Cancelled, run() disconnects, once the drivers have stopped: not before, or their last
        # messages would fail and be retried for nothing.
        await _serve(station, connection)
        if station.connection is connection:
            await station.drop_connection()
        if not station.reconnect_now:
            await asyncio.sleep(delay * station.rng.uniform(0.5, 1.0))


async def _serve(station: SimulatedStationBase, connection: OcppConnection) -> None:
    """Boot (when needed), resume and beat until ``connection`` closes."""
    if station.needs_boot and not await _boot_until_accepted(station, connection):
        return
    try:
        await station.resume()
    except ConnectionLost:
        return
    except (CallFailed, OcppError) as exc:
        log.info("%s: resuming after boot failed: %s", station.station_id, exc)
    heartbeats = asyncio.create_task(_beat(station), name=f"{station.station_id} heartbeats")
    try:
        await connection.closed.wait()
    finally:
        heartbeats.cancel()
        await asyncio.gather(heartbeats, return_exceptions=True)


async def _boot_until_accepted(station: SimulatedStationBase, connection: OcppConnection) -> bool:
    """True once Accepted; False when the connection closed first."""
    while not connection.closed.is_set():
        try:
            status: str | None = await station.boot()
        except ConnectionLost:
            return False
        except (CallFailed, OcppError) as exc:
            log.info("%s: BootNotification failed: %s", station.station_id, exc)
            status = None
        if status == "Accepted":
            return True
        wait = station.boot_interval if status is not None and station.boot_interval > 0 else 0.0
        try:
            # a TriggerMessage(BootNotification) from the CSMS may get us Accepted meanwhile
            await asyncio.wait_for(station.online.wait(), wait or station.config.boot_retry_seconds)
            return True
        except TimeoutError:
            pass
    return False


async def _beat(station: SimulatedStationBase) -> None:
    while True:
        station.interval_changed.clear()
        interval = station.heartbeat_interval
        try:
            # a new HeartbeatInterval restarts the wait with the new value
            await asyncio.wait_for(station.interval_changed.wait(), interval if interval > 0 else None)
            continue
        except TimeoutError:
            pass
        try:
            await station.heartbeat()
        except (CallFailed, OcppError) as exc:
            log.info("%s: Heartbeat failed: %s", station.station_id, exc)


async def _drive(station: SimulatedStationBase, point_id: int) -> None:
    """Drivers arriving at one charging point, one after the other."""
    config = station.config
    point = station.point(point_id)
    loop = asyncio.get_running_loop()
    while True:
        await asyncio.sleep(config.idle_seconds * station.rng.uniform(0.5, 1.5))
        await station.online.wait()
        if not point.is_free or not config.id_tags:
            continue
        planned = config.session_seconds * station.rng.uniform(0.8, 1.2)
        try:
            await station.begin_session(point_id, station.rng.choice(config.id_tags), planned_seconds=planned)
        except (CallFailed, OcppError) as exc:
            log.info("%s: session start at %d failed: %s", station.station_id, point_id, exc)
        if point.transaction is None:
            continue
        # also after a failed status notification: the transaction runs and must end
        try:
            await station.meter_until_stopped(point_id, loop.time() + planned)
        except (CallFailed, OcppError) as exc:
            log.info("%s: session end at %d failed: %s", station.station_id, point_id, exc)
