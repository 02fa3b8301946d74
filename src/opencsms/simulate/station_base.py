"""What every simulated station shares, whatever its OCPP version: the WebSocket client on the same
OCPP-J core and connection as the CSMS, background work, Heartbeat, the boot answer, metering a
running session, and running on its own (``autopilot``).

A handler never awaits a call of its own: OCPP wants the answer first (a remote start's answer
before the transaction message), and the connection handles received calls one at a time, so the
follow-up work runs in a background task that :meth:`SimulatedStationBase.spawn` keeps track of
and :meth:`SimulatedStationBase.disconnect` cancels.

Version-specific stations fill in the abstract methods. A "charging point" is where one vehicle
charges at a time: a connector in 1.6, an EVSE in 2.x; ``point_ids`` numbers them from 1.
"""

from __future__ import annotations

import asyncio
import logging
import random
from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, ClassVar
from urllib.parse import quote

from websockets.asyncio.client import connect as ws_connect
from websockets.typing import Subprotocol

from opencsms.ocppj import VERSION_SUBPROTOCOL, Call, OcppError, UsageError
from opencsms.simulate.autopilot import run_autonomously
from opencsms.simulate.charging_limits import StationProfiles
from opencsms.simulate.ev import ChargingSession, ElectricVehicle, ocpp_timestamp
from opencsms.simulate.security import StationSecurity
from opencsms.simulate.smart_charging_calls import apply_charging_limits
from opencsms.simulate.state import ChargingPoint, StationConfig, StationStats
from opencsms.transport.connection import CallFailed, ConnectionLost, OcppConnection, Payload, Validator

log = logging.getLogger(__name__)


class SimulatedStationBase(ABC):
    """A virtual charging station of OCPP ``version``, configured by a :class:`StationConfig`."""

    #: 2.x stations keep transaction messages while offline and send them later; 1.6 ones meter
    #: only while online.
    meters_while_offline: ClassVar[bool] = False

    def __init__(self, config: StationConfig, version: str, *, validator: Validator | None = None) -> None:
        """Raises UsageError: ``version`` is not an OCPP version."""
        if version not in VERSION_SUBPROTOCOL:
            raise UsageError(f"unknown OCPP version {version!r}")
        self.version = version
        self.subprotocol = Subprotocol(VERSION_SUBPROTOCOL[version])
        self.config = config
        self.station_id = config.station_id
        self.validator = validator
        self.rng = random.Random(config.seed)
        self.stats = StationStats()
        self.registration: str | None = None  # the last BootNotification status
        self.boot_interval = 0.0  # and its interval
        self.heartbeat_interval = config.heartbeat_interval
        self.interval_changed = asyncio.Event()  # wakes the heartbeat loop
        self.online = asyncio.Event()  # connected and booted (Accepted)
        self.autonomous = False  # run() owns reconnecting and booting
        self.reconnect_now = False  # the connection was dropped on purpose (Reset)
        self.charging_profiles = StationProfiles()  # what the CSMS installed (Smart Charging)
        self._connection: OcppConnection | None = None
        self._reader: asyncio.Task[None] | None = None
        self._tasks: set[asyncio.Task[Any]] = set()
        self.security = StationSecurity.from_config(config)

    # -- what each version provides ----------------------------------------------------------------

    @property
    @abstractmethod
    def point_ids(self) -> list[int]:
        """The charging points, numbered from 1."""

    @abstractmethod
    def point(self, point_id: int) -> ChargingPoint[Any]:
        """Raises UsageError: the station has no such charging point."""

    @property
    @abstractmethod
    def meter_interval(self) -> float:
        """Seconds between periodic samples of a running transaction; 0: none."""

    @property
    def needs_boot(self) -> bool:
        """Whether a new connection starts with a BootNotification (1.6: always)."""
        return True

    @abstractmethod
    async def boot(self) -> str:
        """Send BootNotification; returns its status."""

    @abstractmethod
    async def resume(self) -> None:
        """What the station sends once registered on a new connection (statuses, queued messages)."""

    @abstractmethod
    async def begin_session(self, point_id: int, id_token: str, *, planned_seconds: float) -> None:
        """A driver arrives at a free point and starts charging with ``id_token`` (autopilot)."""

    @abstractmethod
    async def end_session(self, point_id: int, reason: str = "Local") -> None:
        """End the point's transaction and send what follows."""

    @abstractmethod
    async def send_meter_values(self, point_id: int) -> None:
        """Send one periodic sample of the point."""

    @abstractmethod
    async def stop_transaction(self, point_id: int, reason: str = "Local") -> Payload | None:
        """End the point's transaction and send its transaction message; returns the answer."""

    @abstractmethod
    async def answer(self, call: Call) -> Payload:
        """The answer to a CSMS -> station CALL."""

    def store_heartbeat_interval(self, seconds: float) -> None:
        """Use ``seconds`` between heartbeats from now on (versions also keep it in their settings)."""
        self.heartbeat_interval = seconds
        self.interval_changed.set()

    # -- state ------------------------------------------------------------------------------------

    @property
    def connected(self) -> bool:
        return self._connection is not None and not self._connection.closed.is_set()

    @property
    def connection(self) -> OcppConnection | None:
        return self._connection

    @property
    def charging(self) -> int:
        """How many points have a running transaction."""
        return sum(1 for n in self.point_ids if self.point(n).transaction is not None)

    @property
    def power_w(self) -> float:
        """What the station draws now, all points together."""
        return sum(self.point(n).power_w for n in self.point_ids)

    def new_charging_session(
        self, point: ChargingPoint[Any], planned_seconds: float | None
    ) -> ChargingSession:
        """A vehicle arriving now at ``point``, for the EV model."""
        return ChargingSession(
            ElectricVehicle.arriving(self.rng),
            point.max_power_w,
            asyncio.get_running_loop().time(),
            self.rng,
            ramp_seconds=self.config.ramp_seconds,
            planned_seconds=planned_seconds,
        )

    # -- connection -------------------------------------------------------------------------------

    @property
    def endpoint_url(self) -> str:
        base = self.security.url or self.config.url
        return f"{base.rstrip('/')}/{quote(self.station_id, safe='')}"

    def handshake_headers(self) -> dict[str, str]:
        """Extra handshake headers: Basic auth (security profiles 1 and 2) when a password is set."""
        return self.security.handshake_headers()

    async def connect(self) -> None:
        """Open the WebSocket and start serving it; does nothing when already connected.

        Raises:
            OSError: the CSMS is unreachable, or (ConnectionError) did not accept the subprotocol.
            websockets.exceptions.InvalidHandshake: the CSMS refused the handshake (e.g. 404).
            TimeoutError: the handshake took too long.
        """
        if self.connected:
            return
        try:
            websocket = await ws_connect(
                self.endpoint_url,
                subprotocols=[self.subprotocol],
                additional_headers=self.handshake_headers(),
                ssl=self.security.ssl_context() if self.endpoint_url.startswith("wss:") else None,
                ping_interval=self.config.ping_interval,
                open_timeout=10.0,
                close_timeout=2.0,
                proxy=None,
            )
        except Exception:
            self.stats.connect_failures += 1
            raise
        if websocket.subprotocol != self.subprotocol:
            self.stats.connect_failures += 1
            await websocket.close(1002, f"{self.subprotocol} required")
            raise ConnectionError(f"{self.endpoint_url} did not accept the {self.subprotocol} subprotocol")
        self.stats.connects += 1
        connection = OcppConnection(
            websocket,
            self.version,
            self.handle_call,
            validator=self.validator,
            call_timeout=self.config.call_timeout,
            name=self.station_id,
        )
        self._connection = connection
        self._reader = asyncio.create_task(connection.run(), name=f"{self.station_id} reader")
        self._reader.add_done_callback(lambda _: self._connection_ended(connection))

    def _connection_ended(self, connection: OcppConnection) -> None:
        if self._connection is connection:
            self.online.clear()

    async def drop_connection(self) -> None:
        """Close the WebSocket and wait until it is served no more; background work goes on."""
        connection, reader = self._connection, self._reader
        self._connection = self._reader = None
        self.online.clear()
        if connection is not None:
            await connection.close()
        if reader is not None:
            await reader

    async def disconnect(self) -> None:
        """Close the connection and stop all background work; transactions stay as they are."""
        await self.cancel_background_tasks()
        await self.drop_connection()

    def spawn(self, coro: Coroutine[Any, Any, Any], name: str = "") -> asyncio.Task[Any]:
        """Run ``coro`` in the background until it ends or :meth:`disconnect` cancels it."""
        task = asyncio.create_task(coro, name=f"{self.station_id} {name}".strip())
        self._tasks.add(task)
        task.add_done_callback(self._background_task_done)
        return task

    def _background_task_done(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if task.cancelled():
            return
        exc = task.exception()
        if isinstance(exc, CallFailed | OcppError):
            log.info("%s: %s gave up: %s", self.station_id, task.get_name(), exc)
        elif exc is not None:
            log.error("%s: %s failed", self.station_id, task.get_name(), exc_info=exc)

    async def cancel_background_tasks(self) -> None:
        """Cancel every spawned task but the calling one and wait for them to end."""
        current = asyncio.current_task()
        tasks = [task for task in self._tasks if task is not current]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    async def handle_call(self, call: Call) -> Payload:
        """Answer a CSMS -> station CALL (the connection's handler).

        Raises:
            OcppError: NotImplemented for an unknown action, NotSupported for an action of this
                version the simulator does not implement, or what the payload lacks.
        """
        self.stats.calls_received += 1
        return await self.answer(call)

    # -- station -> CSMS --------------------------------------------------------------------------

    async def call(self, action: str, payload: Payload, timeout: float | None = None) -> Payload:
        """Send a CALL and return the CALLRESULT payload.

        Raises:
            ConnectionLost: not connected, or the connection closed before the answer.
            CallTimeout, CallErrorReceived: the CSMS did not answer in time, or with a CALLERROR.
            OcppError: a validator is set and ``payload`` is invalid (nothing was sent).
        """
        connection = self._connection
        if connection is None:
            raise ConnectionLost(f"{self.station_id}: not connected")
        self.stats.calls_sent += 1
        try:
            return await connection.call(action, payload, timeout)
        except CallFailed:
            self.stats.call_errors += 1
            raise
        except OcppError as exc:  # only our own validator raises it: a simulator bug
            self.stats.call_errors += 1
            log.error("%s: our %s request is invalid: %s", self.station_id, action, exc)
            raise

    def registered(self, result: Payload) -> str:
        """Take in a BootNotification answer: Accepted applies ``interval`` as the heartbeat
        interval and puts the station :attr:`online`. Returns the status."""
        self.registration = str(result["status"])
        self.boot_interval = float(result.get("interval", 0))
        if self.registration == "Accepted":
            self.stats.boots_accepted += 1
            if self.boot_interval > 0:
                self.store_heartbeat_interval(self.boot_interval)
            self.online.set()
        return self.registration

    async def security_event(self, event_type: str, tech_info: str | None = None) -> None:
        """Send SecurityEventNotification (2.0.1 A04, 1.6 whitepaper § 5). Raises what :meth:`call` raises."""
        payload: Payload = {"type": event_type, "timestamp": ocpp_timestamp()}
        if tech_info is not None:
            payload["techInfo"] = tech_info
        await self.call("SecurityEventNotification", payload)

    async def heartbeat(self) -> str:
        """Send Heartbeat; returns the CSMS's currentTime. Raises what :meth:`call` raises."""
        result = await self.call("Heartbeat", {})
        return str(result["currentTime"])

    # -- running on its own -------------------------------------------------------------------------

    async def meter_until_stopped(self, point_id: int, deadline: float | None = None) -> None:
        """Send a sample every :attr:`meter_interval` until the point's transaction ends; at
        ``deadline`` (loop time) the driver ends it (:meth:`end_session`, reason Local).

        Raises:
            CallFailed, OcppError: ending the session at the deadline failed.
        """
        point = self.point(point_id)
        transaction = point.transaction
        if transaction is None:
            return
        loop = asyncio.get_running_loop()
        apply_charging_limits(self)
        while True:
            waits = [self.meter_interval] if self.meter_interval > 0 else []
            if deadline is not None:
                waits.append(deadline - loop.time())
            try:
                await asyncio.wait_for(transaction.stopped.wait(), max(0.0, min(waits)) if waits else None)
                return
            except TimeoutError:
                pass
            if deadline is not None and loop.time() >= deadline:
                if point.transaction is transaction:
                    await self.end_session(point_id, "Local")
                return
            apply_charging_limits(self)  # schedules change with time
            if self.online.is_set() or self.meters_while_offline:
                try:
                    await self.send_meter_values(point_id)
                except (CallFailed, OcppError) as exc:
                    log.info("%s: meter values failed: %s", self.station_id, exc)

    def claim_free_point(self, point_id: int | None) -> int | None:
        """For a remote start: the named point (or, unnamed, any) when it is free and the station
        online, claimed at once so that a second request cannot pick it too; else None."""
        if point_id is not None and point_id not in self.point_ids:
            return None
        candidates = [point_id] if point_id is not None else self.point_ids
        chosen = next((n for n in candidates if self.point(n).is_free), None)
        if chosen is None or not self.online.is_set():
            return None
        self.point(chosen).claimed = True
        return chosen

    async def remote_session(
        self, point_id: int, start: Callable[[float | None], Awaitable[object | None]]
    ) -> None:
        """A session the CSMS started on a point it reserved (``claimed``): ``start(planned_seconds)``
        sets it up and returns None when no transaction came of it. Running autonomously, the
        driver leaves after a while; step by step, a remote stop ends it.

        Raises:
            CallFailed, OcppError: starting or ending the session failed.
        """
        planned: float | None = None
        if self.autonomous:
            planned = self.config.session_seconds * self.rng.uniform(0.8, 1.2)
        try:
            started = await start(planned)
        finally:
            self.point(point_id).claimed = False
        if started is None:
            return
        deadline = None if planned is None else asyncio.get_running_loop().time() + planned
        await self.meter_until_stopped(point_id, deadline)

    async def stop_all_transactions(self, reason: str) -> None:
        """End every transaction, as before a reset; a failed message is logged and the rest go on."""
        for point_id in self.point_ids:
            if self.point(point_id).transaction is not None:
                try:
                    await self.stop_transaction(point_id, reason)
                except (CallFailed, OcppError) as exc:
                    log.info("%s: stopping the transaction at %d failed: %s", self.station_id, point_id, exc)

    async def reboot(self) -> None:
        """Come back as after a power cycle: drop the connection, reconnect, boot, :meth:`resume`.
        Running autonomously, run() reconnects and boots.

        Raises:
            OSError, websockets.exceptions.InvalidHandshake, TimeoutError: reconnecting failed.
            CallFailed, OcppError: booting or resuming failed.
        """
        self.online.clear()
        if self.autonomous:
            self.reconnect_now = True
            await self.drop_connection()
            return
        await self.drop_connection()
        await self.connect()
        if await self.boot() == "Accepted":
            await self.resume()

    async def reconnect_with_new_credentials(self) -> None:
        """After a password or security profile change: let the answer go out, close the
        connection and connect again with the new credentials (1.6 whitepaper § 2.3-2.4, 2.0.1
        A01/A05). Running autonomously, run() reconnects.

        Raises:
            OSError, websockets.exceptions.InvalidHandshake, TimeoutError: reconnecting failed.
            CallFailed, OcppError: booting or resuming failed.
        """
        await asyncio.sleep(0.2)  # the answer to the change goes out on the old connection first
        self.security.apply_next_connection()
        await self.reboot()

    async def run(self, duration: float | None = None) -> None:
        """Run autonomously until cancelled, or for ``duration`` seconds, then disconnect: connect
        (again, with back-off, when the connection drops), boot, heartbeats, charging sessions.

        Raises:
            UsageError: the station is already running autonomously.
        """
        if self.autonomous:
            raise UsageError(f"{self.station_id} is already running")
        self.autonomous = True
        try:
            await asyncio.wait_for(run_autonomously(self), duration)
        except TimeoutError:
            pass
        finally:
            self.autonomous = False
            await self.disconnect()
