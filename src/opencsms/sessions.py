"""Station sessions: ties a connection to the handlers of its version and to the domain.

Also the local station gateway: a command for a station connected to this process goes straight
to its session, which turns it into the call of the station's OCPP version.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from opencsms.domain import commands as c
from opencsms.domain.model import Station
from opencsms.domain.services import Domain
from opencsms.handlers import v16, v201
from opencsms.handlers.context import Handler, Payload, StationContext
from opencsms.handlers.registration import check_call
from opencsms.handlers.v16 import commands as v16_commands
from opencsms.handlers.v16 import configuration as v16_configuration
from opencsms.handlers.v16 import reservation as v16_reservation
from opencsms.handlers.v16 import smart_charging as v16_smart_charging
from opencsms.handlers.v201 import commands as v201_commands
from opencsms.handlers.v201 import message_limits
from opencsms.handlers.v201 import reservation as v201_reservation
from opencsms.handlers.v201 import smart_charging as v201_smart_charging
from opencsms.handlers.v201 import variables as v201_variables
from opencsms.messages import get_validator
from opencsms.metrics import OcppMetrics
from opencsms.ocppj import V16, V21, V201, Call
from opencsms.ocppj.errors import NotSupportedError, OcppError
from opencsms.security.handshake import SecurityEvent
from opencsms.security.limits import TokenBucket
from opencsms.transport.connection import (
    CallErrorReceived,
    CallTimeout,
    ConnectionLost,
    OcppConnection,
    StopSession,
    WebSocketLike,
)

log = logging.getLogger(__name__)

# OCPP 2.1 is a superset of 2.0.1: its stations get the 2.0.1 handlers; 2.1-only actions come on top.
HANDLERS: dict[str, dict[str, Handler]] = {V16: v16.HANDLERS, V201: v201.HANDLERS, V21: v201.HANDLERS}
COMMAND_TRANSLATORS = {V16: v16_commands.to_call, V201: v201_commands.to_call, V21: v201_commands.to_call}
# What a command's answer teaches about the station (configuration keys, device model variables,
# the charging profiles it holds), kept whoever sent the call.
_V16_RECORDERS = (
    v16_configuration.record_result,
    v16_smart_charging.record_outcome,
    v16_reservation.record_result,
    v16_commands.record_result,
)
_V201_RECORDERS = (
    v201_variables.record_result,
    v201_smart_charging.record_outcome,
    v201_reservation.record_result,
    v201_commands.record_result,
)
RESULT_RECORDERS = {V16: _V16_RECORDERS, V201: _V201_RECORDERS, V21: _V201_RECORDERS}
# What a call that got no CALLRESULT (a CALLERROR, no answer, not sent) leaves behind: a
# reservation or remote start recorded before its call went out must not stay Requested.
FAILURE_RECORDERS = {
    V16: (v16_reservation.record_failure, v16_commands.record_failure),
    V201: (v201_reservation.record_failure, v201_commands.record_failure),
    V21: (v201_reservation.record_failure, v201_commands.record_failure),
}


@dataclass
class SessionStats:
    """Counters for /metrics and the benchmark."""

    messages_in: int = 0
    messages_out: int = 0
    by_action: dict[str, int] = field(default_factory=dict)


class OtherNodes(Protocol):
    """The other nodes of a cluster, as the sessions of this one see them (``NatsStationRouter``)."""

    async def claim(self, station_id: str) -> bool:
        """Take the station for this node; False when another node holds a live connection of it."""
        ...

    async def release(self, station_id: str) -> None:
        """The station's connection to this node ended."""
        ...

    async def execute(
        self, station_id: str, command: c.Command, timeout: float | None = None
    ) -> c.CommandResult:
        """Send ``command`` through the node holding the station."""
        ...


@dataclass(slots=True)
class MessageBudget:
    """A station's message budget across its connections."""

    bucket: TokenBucket
    #: Times the station went over it in a row (forgotten after a quiet ``cooldown`` x 10).
    trips: int = 0
    refused_until: float = 0.0

    def tripped(self, now: float, cooldown: float, max_cooldown: float) -> float:
        """The station went over: returns the seconds its reconnects are refused for."""
        if now - self.refused_until > 10 * max(cooldown, 1.0):
            self.trips = 0
        self.trips += 1
        seconds = min(max_cooldown, cooldown * 2.0 ** min(self.trips - 1, 32))
        self.refused_until = now + seconds
        return seconds


@dataclass(slots=True)
class Session:
    context: StationContext
    connection: OcppConnection
    connected_at: float


class SessionManager:
    """Serves station sessions and carries commands to them (implements ``StationGateway``)."""

    def __init__(
        self,
        domain: Domain,
        *,
        call_timeout: float = 30.0,
        max_frame_bytes: int = 256 * 1024,
        takeover_ping_timeout: float = 5.0,
        message_rate: float = 0.0,
        message_burst: float = 0.0,
        message_cooldown: float = 10.0,
        message_max_cooldown: float = 300.0,
    ) -> None:
        self.domain = domain
        self.call_timeout = call_timeout
        self.max_frame_bytes = max_frame_bytes
        self.takeover_ping_timeout = takeover_ping_timeout
        #: Frames a second a station may send (0: no limit), and how many it may save up.
        self.message_rate = message_rate
        self.message_burst = message_burst or message_rate
        #: Seconds a station that went over its budget is refused, doubling each time, at most the max.
        self.message_cooldown = message_cooldown
        self.message_max_cooldown = message_max_cooldown
        #: Budgets by station id, least recently connected first; at most ``max_budgets`` kept.
        self._budgets: OrderedDict[str, MessageBudget] = OrderedDict()
        self.max_budgets = 100_000
        self.sessions: dict[str, Session] = {}
        self.stats = SessionStats()
        self._claims: dict[str, asyncio.Lock] = {}
        self._background: set[asyncio.Task[None]] = set()
        self.metrics = OcppMetrics()
        #: Given a station id, a callback seeing each frame in and out (the message log); optional.
        self.frame_recorder: Callable[[str], Callable[[str, str | bytes], None]] | None = None
        #: In a cluster, the other nodes: commands for stations connected there go through them.
        self.other_nodes: OtherNodes | None = None
        #: Set when the node drains before it stops: /ready answers 503, the load balancer sends
        #: new connections elsewhere (see :meth:`drain`).
        self.draining = False

    # -- sessions ---------------------------------------------------------------------------------

    def is_connected(self, station: Station) -> bool:
        """Whether ``station`` is connected: to this node, or in a cluster to the node that last
        recorded its connection in the shared store."""
        return station.id in self.sessions or (self.other_nodes is not None and station.connected)

    async def admit(self, station_id: str) -> str | None:
        """None when the station may connect, else the reason it may not."""
        return await self.domain.stations.admission(station_id)

    async def serve(self, station_id: str, version: str, websocket: WebSocketLike) -> None:
        """Serve one station until its connection closes.

        The handshake has authenticated the connection already. When the station id is already
        connected, the new connection takes over only if the old one fails a ping (a dead socket
        never blocks a real reconnect); a live one is kept and the newcomer closed with 1008.
        Both outcomes are security events.
        """
        ctx = StationContext(station_id, version, self.domain)
        handlers = HANDLERS.get(version, {})

        async def handle(call: Call) -> Payload:
            self.stats.messages_in += 1
            self.stats.by_action[call.action] = self.stats.by_action.get(call.action, 0) + 1
            handler = handlers.get(call.action)
            started = time.perf_counter()
            try:
                if handler is None:
                    # Unknown actions got NotImplemented from the validator already: this one is
                    # an OCPP action, recognized but not supported here.
                    raise NotSupportedError(f"{call.action} is not supported by this CSMS (OCPP {version})")
                result = await handler(ctx, call.payload)
            except OcppError as exc:
                self.metrics.message(call.action, "in", exc.code, time.perf_counter() - started)
                raise
            except Exception:
                self.metrics.message(call.action, "in", "InternalError", time.perf_counter() - started)
                raise
            self.metrics.message(call.action, "in", "ok", time.perf_counter() - started)
            return result

        connection = OcppConnection(
            websocket,
            version,
            handle,
            validator=get_validator(version),
            call_timeout=self.call_timeout,
            max_frame_bytes=self.max_frame_bytes,
            name=station_id,
            on_frame=self._frame_observer(station_id, websocket),
        )
        session = Session(ctx, connection, time.monotonic())
        if not await self._claim(station_id, session, websocket):
            await connection.close(1008, "station already connected")
            return
        await self.domain.stations.connected(station_id, version, ctx.clock())
        log.info("%s connected (OCPP %s)", station_id, version)
        try:
            await connection.run()
        finally:
            if self.sessions.get(station_id) is session:
                del self.sessions[station_id]
                if self.other_nodes is not None:
                    await self.other_nodes.release(station_id)
                await self.domain.stations.disconnected(station_id, ctx.clock())
            log.info("%s disconnected", station_id)

    async def _claim(self, station_id: str, session: Session, websocket: WebSocketLike) -> bool:
        """Make ``session`` the station's session unless a live one holds the id."""
        lock = self._claims.setdefault(station_id, asyncio.Lock())
        try:
            async with lock:
                previous = self.sessions.get(station_id)
                if previous is not None:
                    peer = _peer_address(websocket)
                    if await _answers_ping(previous.connection.websocket, self.takeover_ping_timeout):
                        self.domain.security.record(
                            station_id,
                            SecurityEvent.DUPLICATE_CONNECTION_REFUSED,
                            "a second connection claimed the id of a live session",
                            peer,
                        )
                        return False
                    self.domain.security.record(
                        station_id,
                        SecurityEvent.CONNECTION_TAKEOVER,
                        "the previous connection did not answer a ping and was replaced",
                        peer,
                    )
                    _abort(previous.connection.websocket)
                    await previous.connection.close(1000, "replaced by a new connection")
                elif self.other_nodes is not None and not await self.other_nodes.claim(station_id):
                    self.domain.security.record(
                        station_id,
                        SecurityEvent.DUPLICATE_CONNECTION_REFUSED,
                        "a second connection claimed the id of a live session on another node",
                        _peer_address(websocket),
                    )
                    return False
                self.sessions[station_id] = session
                return True
        finally:
            if not lock.locked() and self._claims.get(station_id) is lock:
                del self._claims[station_id]

    def cooling_down(self, station_id: str) -> float:
        """Seconds the station must still wait before it may connect again, after it last went
        over its message budget (0: it may connect). For the handshake, after authentication."""
        budget = self._budgets.get(station_id)
        if budget is None:
            return 0.0
        return max(0.0, budget.refused_until - asyncio.get_running_loop().time())

    def _budget(self, station_id: str, now: float) -> MessageBudget:
        """The station's budget, kept across its connections (a reconnect gets no fresh burst)."""
        budget = self._budgets.get(station_id)
        if budget is None:
            if len(self._budgets) >= self.max_budgets:
                self._budgets.popitem(last=False)
            budget = self._budgets[station_id] = MessageBudget(
                TokenBucket(self.message_rate, self.message_burst, now)
            )
        else:
            self._budgets.move_to_end(station_id)
        return budget

    def _rate_limiter(self, station_id: str, websocket: WebSocketLike) -> Callable[[str, str | bytes], None]:
        """An ``on_frame`` hook: the station's token bucket; over it, close with 1008 and refuse
        the station's reconnects for a while, longer each time it happens again."""
        loop = asyncio.get_running_loop()
        budget = self._budget(station_id, loop.time())
        bucket = budget.bucket
        tripped = False

        def on_frame(direction: str, data: str | bytes) -> None:
            nonlocal tripped
            if direction != "in" or bucket.take(loop.time()):
                return
            if tripped:
                raise StopSession
            tripped = True
            cooldown = budget.tripped(loop.time(), self.message_cooldown, self.message_max_cooldown)
            self.domain.security.record(
                station_id,
                SecurityEvent.MESSAGE_RATE_EXCEEDED,
                f"more than {self.message_rate:g} messages a second; reconnects refused for {cooldown:g} s",
                _peer_address(websocket),
            )
            closing = loop.create_task(websocket.close(1008, "message rate exceeded"))
            self._background.add(closing)
            closing.add_done_callback(self._background.discard)
            raise StopSession  # nothing more of this connection is handled

        return on_frame

    def _frame_observer(
        self, station_id: str, websocket: WebSocketLike
    ) -> Callable[[str, str | bytes], None]:
        """The ``on_frame`` hook: the rate limit, the schema violation count, the message log, the
        station's last_seen (every frame it sends)."""
        limit = self._rate_limiter(station_id, websocket) if self.message_rate > 0 else None
        record = self.frame_recorder(station_id) if self.frame_recorder is not None else None
        frame_sent = self.metrics.frame_sent
        seen = self.domain.stations.seen

        def on_frame(direction: str, frame: str | bytes) -> None:
            if limit is not None:
                limit(direction, frame)
            if direction == "out":
                frame_sent(frame)
            else:
                seen(station_id)
            if record is not None:
                record(direction, frame)

        return on_frame

    # -- commands ---------------------------------------------------------------------------------

    def connected_version(self, station_id: str) -> str | None:
        """The OCPP version of the station's connection to this process, or None."""
        session = self.sessions.get(station_id)
        return None if session is None else session.context.version

    async def execute(
        self, station_id: str, command: c.Command, timeout: float | None = None
    ) -> c.CommandResult:
        """Send ``command`` to the station, connected here or (in a cluster) to another node.

        Raises:
            StationOffline, SentNoAnswer, CommandTimeout, CommandRejected, InvalidCommand,
            UnknownCommand.
        """
        if self.other_nodes is not None and station_id not in self.sessions:
            return await self.other_nodes.execute(station_id, command, timeout)
        return await self.execute_local(station_id, command, timeout)

    async def keep_or_yield(self, station_id: str) -> bool:
        """Another node has a new connection of the station: keep ours if it answers a ping (True),
        else drop it without recording a disconnect, the station being the other node's now."""
        session = self.sessions.get(station_id)
        if session is None:
            return False
        if await _answers_ping(session.connection.websocket, self.takeover_ping_timeout):
            return True
        if self.sessions.get(station_id) is session:  # not replaced while it was pinged
            del self.sessions[station_id]
            self.domain.stations.forget_seen(station_id)
        self.domain.security.record(
            station_id,
            SecurityEvent.CONNECTION_TAKEOVER,
            "the connection did not answer a ping and was replaced by one to another node",
            _peer_address(session.connection.websocket),
        )
        _abort(session.connection.websocket)
        await session.connection.close(1000, "replaced by a connection to another node")
        return False

    async def execute_local(
        self, station_id: str, command: c.Command, timeout: float | None = None
    ) -> c.CommandResult:
        """Send ``command`` to a station connected to this process and return its answer.

        Raises:
            StationOffline, SentNoAnswer, CommandTimeout, CommandRejected, InvalidCommand,
            UnknownCommand.
        """
        session = self.sessions.get(station_id)
        if session is None:
            raise c.StationOffline(f"station {station_id} is not connected")
        translate = COMMAND_TRANSLATORS.get(session.context.version)
        if translate is None:
            raise c.UnknownCommand(f"no commands for OCPP {session.context.version} yet")
        action, payload = await translate(session.context, command)
        if (
            action in message_limits.SPLIT_ACTIONS
            and session.context.version != V16
            and not isinstance(command, c.RawCall)
        ):
            return await self._execute_split(session, action, payload, timeout)
        try:
            response = await self._call(session, action, payload, timeout)
        except c.CommandError as exc:
            await self._record_failure(session.context, action, payload, exc)
            raise
        self.stats.messages_out += 1
        await self._record(session.context, action, payload, response)
        status = response.get("status")
        return c.CommandResult(action, status if isinstance(status, str) else None, response, payload)

    async def _execute_split(
        self, session: Session, action: str, payload: Payload, timeout: float | None
    ) -> c.CommandResult:
        """A GetVariables / SetVariables sent as the requests the station's ItemsPerMessage and
        BytesPerMessage allow, one after another, answered as one. A part the station does not
        answer has its items Rejected with the error as their attributeStatusInfo; when no part is
        answered, the first part's error is raised. Once the station is gone, the parts left are
        not sent.

        Raises:
            StationOffline, SentNoAnswer, CommandTimeout, CommandRejected, InvalidCommand.
        """
        ctx = session.context
        stored = await self.domain.device_model.configuration(ctx.station_id)
        parts = message_limits.split(action, payload, message_limits.limits_for(stored, action))
        answers: list[Payload] = []
        errors: list[c.CommandError] = []
        for part in parts:
            offline = next((e for e in errors if isinstance(e, c.StationOffline | c.SentNoAnswer)), None)
            if offline is not None:
                answers.append(self._unanswered(action, part, offline))
                continue
            try:
                response = await self._call(session, action, part, timeout)
            except c.CommandError as exc:
                await self._record_failure(ctx, action, part, exc)
                if len(parts) == 1:
                    raise
                errors.append(exc)
                answers.append(self._unanswered(action, part, exc))
                continue
            self.stats.messages_out += 1
            await self._record(ctx, action, part, response)
            answers.append(response)
        if len(errors) == len(parts):
            raise errors[0]
        return c.CommandResult(action, None, message_limits.merge(action, answers), payload)

    @staticmethod
    def _unanswered(action: str, part: Payload, error: c.CommandError) -> Payload:
        reason = error.code if isinstance(error, c.CommandRejected) else type(error).__name__
        _, result_key = message_limits.SPLIT_ACTIONS[action]
        return {result_key: message_limits.failed_results(action, part, reason, str(error))}

    async def _call(self, session: Session, action: str, payload: Payload, timeout: float | None) -> Payload:
        """Send the CALL; its CALLRESULT payload, or the command error its failure is."""
        station_id = session.context.station_id
        check_call(session.context, action, payload)
        started = time.perf_counter()
        try:
            response = await session.connection.call(action, payload, timeout or self.call_timeout)
        except CallTimeout as exc:
            self.metrics.message(action, "out", "timeout", time.perf_counter() - started)
            raise c.CommandTimeout(f"{station_id} did not answer {action} in time") from exc
        except ConnectionLost as exc:
            self.metrics.message(action, "out", "offline", time.perf_counter() - started)
            if exc.sent:
                raise c.SentNoAnswer(
                    f"{station_id} disconnected after {action} was sent, before answering: "
                    "it may have carried it out"
                ) from exc
            raise c.StationOffline(f"{station_id} disconnected before {action} was sent") from exc
        except CallErrorReceived as exc:
            code = exc.error.code_for(session.context.version)
            self.metrics.message(action, "out", code, time.perf_counter() - started)
            raise c.CommandRejected(code, exc.error.description) from exc
        except OcppError as exc:
            raise c.InvalidCommand(f"{action} payload is invalid: {exc}") from exc
        self.metrics.message(action, "out", "ok", time.perf_counter() - started)
        return response

    async def _record_failure(
        self, ctx: StationContext, action: str, request: Payload, error: c.CommandError
    ) -> None:
        for recorder in FAILURE_RECORDERS.get(ctx.version, ()):
            try:
                await recorder(ctx, action, request, error)
            except Exception:
                log.exception("%s: could not note the failed %s", ctx.station_id, action)

    async def _record(self, ctx: StationContext, action: str, request: Payload, response: Payload) -> None:
        for recorder in RESULT_RECORDERS.get(ctx.version, ()):
            try:
                await recorder(ctx, action, request, response)
            except Exception:
                # The station has acted on the call; failing to note it must not hide its answer.
                log.exception("%s: could not store the answer to %s", ctx.station_id, action)

    async def drain(self, window: float) -> None:
        """Close every station's socket with 1001 (going away), spread evenly over ``window``
        seconds, so the stations reconnect to the other nodes a few at a time, not all at once.

        Each close lets the CALL being handled finish storing what it carries (the connection's
        shutdown waits for it); CALLs not yet answered are unacknowledged, and the station sends
        them again to the node it reconnects to.
        """
        self.draining = True
        sessions = list(self.sessions.items())
        if not sessions:
            return
        loop = asyncio.get_running_loop()
        start = loop.time()
        step = window / len(sessions) if window > 0 else 0.0
        closing: list[asyncio.Task[None]] = []
        for index, (station_id, session) in enumerate(sessions):
            delay = start + index * step - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
            if self.sessions.get(station_id) is session:
                closing.append(asyncio.create_task(session.connection.close(1001, "node draining")))
        await asyncio.gather(*closing, return_exceptions=True)

    async def close_all(self) -> None:
        await asyncio.gather(
            *(s.connection.close(1001, "server shutting down") for s in self.sessions.values())
        )


async def _answers_ping(websocket: Any, timeout: float) -> bool:
    """Whether the peer answers a WebSocket ping within ``timeout`` (False without ping support)."""
    ping = getattr(websocket, "ping", None)
    if ping is None:
        return False
    try:
        pong = await asyncio.wait_for(ping(), timeout)
        await asyncio.wait_for(pong, timeout)
    except Exception:
        return False
    return True


def _abort(websocket: Any) -> None:
    """Drop a dead connection's socket now rather than wait for its closing handshake."""
    transport = getattr(websocket, "transport", None)
    if transport is not None:
        transport.abort()


def _peer_address(websocket: Any) -> str | None:
    """The client's address: the one a trusted proxy named, else the socket's peer."""
    client = getattr(websocket, "client_address", None)
    if isinstance(client, str):
        return client
    address = getattr(websocket, "remote_address", None)
    return str(address[0]) if isinstance(address, tuple) and address else None
