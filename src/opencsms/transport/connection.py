"""The asyncio driver of one OCPP-J connection: a thin shell around :class:`RpcEndpoint`.

Used on both sides: the CSMS session of a station and the simulated station's client. It reads
messages, feeds the sans-I/O endpoint, runs received CALLs one at a time in arrival order (in a
worker task, so the reader never blocks and a handler may itself await an outgoing CALL), and
sends what the endpoint produces. Schema validation happens here, at the edge: inbound requests
before the handler, outbound requests before they are queued, answers both ways.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from opencsms.logs import message_id_var, station_id_var
from opencsms.ocppj import (
    Call,
    CallReceived,
    CallTimedOut,
    ErrorReceived,
    OcppError,
    PeerRejectedResult,
    ProtocolViolation,
    ResultReceived,
    RpcEndpoint,
    SendReceived,
    error_class,
)
from opencsms.ocppj.errors import InternalError

log = logging.getLogger(__name__)

Payload = dict[str, Any]
CallHandler = Callable[[Call], Awaitable[Payload]]


class Validator(Protocol):
    """What the connection needs of ``messages.Validator``."""

    def validate_request(self, action: str, payload: object) -> None: ...
    def validate_response(self, action: str, payload: object) -> None: ...


class WebSocketLike(Protocol):
    """The subset of a websockets connection used here; other transports can provide it."""

    async def send(self, message: Any, *, text: bool | None = None) -> None: ...
    async def recv(self, decode: bool | None = None) -> str | bytes: ...
    async def close(self, code: int = 1000, reason: str = "") -> None: ...


class HandlerFailureLog:
    """Logs an unexpected handler failure with its traceback once per kind (exception type and
    action) per ``interval`` seconds, for all connections together; the repeats in between are
    counted and mentioned with the next one logged. A database outage fails every message of
    every station the same way: one traceback says it, thousands would fill the disk."""

    def __init__(self, interval: float = 60.0) -> None:
        self.interval = interval
        #: (exception type, action) -> [when last logged, repeats not logged since]
        self._kinds: dict[tuple[str, str], list[float]] = {}
        self.suppressed = 0

    def failed(self, name: str, action: str, exc: BaseException, now: float) -> None:
        key = (type(exc).__qualname__, action)
        entry = self._kinds.get(key)
        if entry is not None and now - entry[0] < self.interval:
            entry[1] += 1
            self.suppressed += 1
            return
        repeats = int(entry[1]) if entry is not None else 0
        if len(self._kinds) >= 1000:  # bounded: kinds are few, but never let them grow unchecked
            self._kinds.clear()
        self._kinds[key] = [now, 0]
        more = f" ({repeats} more failures like it since, not logged)" if repeats else ""
        log.error("%s: handler for %s failed%s", name, action, more, exc_info=exc)


#: Shared by every connection of the process.
handler_failures = HandlerFailureLog()


class StopSession(Exception):
    """Raised by an ``on_frame`` hook to end the session at once: the frame it saw and any
    received after it are not handled (e.g. a station over its message budget)."""


class CallFailed(Exception):
    """An outgoing CALL did not get a CALLRESULT."""


class CallTimeout(CallFailed):
    """The peer did not answer in time."""


class ConnectionLost(CallFailed):
    """The connection closed before the answer came.

    ``sent``: the CALL had gone out (it was in flight), so the peer may have acted on it; False
    when it never left this side.
    """

    def __init__(self, message: str, *, sent: bool = False) -> None:
        super().__init__(message)
        self.sent = sent


class CallErrorReceived(CallFailed):
    """The peer answered with a CALLERROR; ``error`` is the matching OcppError."""

    def __init__(self, error: OcppError) -> None:
        super().__init__(f"{error.code}: {error.description}")
        self.error = error


class OcppConnection:
    """One OCPP-J connection. Call :meth:`run` to serve it; :meth:`call` to send a CALL."""

    def __init__(
        self,
        websocket: WebSocketLike,
        version: str,
        handler: CallHandler,
        *,
        validator: Validator | None = None,
        call_timeout: float = 30.0,
        max_frame_bytes: int = 256 * 1024,
        name: str = "",
        on_frame: Callable[[str, str | bytes], None] | None = None,
    ) -> None:
        self.websocket = websocket
        self.version = version
        self.name = name
        self.endpoint = RpcEndpoint(version, call_timeout=call_timeout, max_frame_bytes=max_frame_bytes)
        self._handler = handler
        self._validator = validator
        self._on_frame = on_frame
        self._loop = asyncio.get_running_loop()
        self._waiters: dict[str, asyncio.Future[Payload]] = {}
        self._incoming: deque[Call] = deque()
        self._worker: asyncio.Task[None] | None = None
        self._timer: asyncio.TimerHandle | None = None
        self._send_lock = asyncio.Lock()
        self.closed = asyncio.Event()

    # -- outgoing ---------------------------------------------------------------------------------

    async def call(self, action: str, payload: Payload, timeout: float | None = None) -> Payload:
        """Send a CALL and wait for its CALLRESULT payload.

        Raises:
            OcppError: the payload we were asked to send is invalid (nothing is sent).
            CallTimeout, CallErrorReceived, ConnectionLost: the peer did not give a valid result.
        """
        if self.closed.is_set():
            raise ConnectionLost(f"{self.name}: connection closed")
        if self._validator is not None:
            self._validator.validate_request(action, payload)
        call = self.endpoint.send_call(action, payload, self._loop.time(), timeout)
        waiter: asyncio.Future[Payload] = self._loop.create_future()
        self._waiters[call.message_id] = waiter
        await self._flush()
        return await waiter

    def _arm_timer(self) -> None:
        deadline = self.endpoint.next_deadline()
        if self._timer is not None:
            if deadline is not None and self._timer.when() == deadline:
                return
            self._timer.cancel()
            self._timer = None
        if deadline is not None:
            self._timer = self._loop.call_at(deadline, self._on_deadline)

    def _on_deadline(self) -> None:
        self._timer = None
        self._handle(self.endpoint.expire(self._loop.time()))
        self._loop.create_task(self._flush())

    # -- incoming ---------------------------------------------------------------------------------

    async def run(self) -> None:
        """Serve the connection until it closes. Never raises for the peer's misbehaviour."""
        station_id_var.set(self.name)  # this task's log lines, and its worker's, name the station
        try:
            while True:
                try:
                    data = await self.websocket.recv(decode=False)
                except Exception:  # any close or transport failure ends the session
                    break
                if self._on_frame is not None:
                    self._on_frame("in", data)
                self._handle(self.endpoint.receive(data, self._loop.time()))
                await self._flush()
        except StopSession:
            pass
        finally:
            await self._shutdown()

    def _handle(self, events: list[Any]) -> None:
        for event in events:
            if isinstance(event, CallReceived):
                self._incoming.append(event.call)
                if self._worker is None:
                    self._worker = self._loop.create_task(self._work())
            elif isinstance(event, ResultReceived):
                self._settle_result(event.call, event.result.payload)
            elif isinstance(event, ErrorReceived):
                err = error_class(event.error.error_code)(event.error.description, event.error.details)
                self._settle(event.call.message_id, CallErrorReceived(err))
            elif isinstance(event, CallTimedOut):
                self._settle(
                    event.call.message_id, CallTimeout(f"{self.name}: {event.call.action} timed out")
                )
            elif isinstance(event, ProtocolViolation):
                log.warning("%s: protocol violation: %s", self.name, event.description)
            elif isinstance(event, SendReceived | PeerRejectedResult):
                log.info("%s: %s", self.name, event)
        self._arm_timer()

    def _settle_result(self, call: Call, payload: Payload) -> None:
        if self._validator is not None:
            try:
                self._validator.validate_response(call.action, payload)
            except OcppError as exc:
                self._settle(call.message_id, CallErrorReceived(exc))
                return
        waiter = self._waiters.pop(call.message_id, None)
        if waiter is not None and not waiter.done():
            waiter.set_result(payload)

    def _settle(self, message_id: str, exc: Exception) -> None:
        waiter = self._waiters.pop(message_id, None)
        if waiter is not None and not waiter.done():
            waiter.set_exception(exc)

    async def _work(self) -> None:
        # Received CALLs are handled one at a time, in arrival order.
        try:
            while self._incoming:
                call = self._incoming.popleft()
                await self._answer(call)
                await self._flush()
        finally:
            self._worker = None

    async def _answer(self, call: Call) -> None:
        token = message_id_var.set(call.message_id)
        try:
            await self._answer_call(call)
        finally:
            message_id_var.reset(token)

    async def _answer_call(self, call: Call) -> None:
        try:
            if self._validator is not None:
                self._validator.validate_request(call.action, call.payload)
            result = await self._handler(call)
            if self._validator is not None:
                try:
                    self._validator.validate_response(call.action, result)
                except OcppError as exc:
                    log.error("%s: our %s answer is invalid: %s", self.name, call.action, exc)
                    raise InternalError("the CSMS produced an invalid answer") from exc
        except OcppError as exc:
            self.endpoint.answer_error(call.message_id, exc)
        except Exception as exc:
            handler_failures.failed(self.name, call.action, exc, self._loop.time())
            self.endpoint.answer_error(call.message_id, InternalError("internal error"))
        else:
            self.endpoint.answer(call.message_id, result)

    # -- output -----------------------------------------------------------------------------------

    async def _flush(self) -> None:
        frames = self.endpoint.data_to_send()
        if not frames:
            return
        self._arm_timer()
        async with self._send_lock:
            for frame in frames:
                if self._on_frame is not None:
                    self._on_frame("out", frame)
                try:
                    await self.websocket.send(frame, text=True)
                except Exception:
                    return  # the reader sees the close and shuts the session down

    async def _shutdown(self) -> None:
        self.closed.set()
        if self._timer is not None:
            self._timer.cancel()
        in_flight = self.endpoint.in_flight
        self.endpoint.cancel_all()
        for message_id in list(self._waiters):
            # The CALL in flight was handed to the socket (or about to be): the peer may have it.
            # The ones queued behind it never left.
            sent = in_flight is not None and in_flight.message_id == message_id
            self._settle(message_id, ConnectionLost(f"{self.name}: connection closed", sent=sent))
        # CALLs not yet started are dropped (unanswered, so the station sends them again); the one
        # being handled may finish storing its data rather than be cut off half-way.
        self._incoming.clear()
        if self._worker is not None:
            worker = self._worker
            with contextlib.suppress(asyncio.CancelledError, TimeoutError):
                await asyncio.wait_for(asyncio.shield(worker), 5.0)
            worker.cancel()

    async def close(self, code: int = 1000, reason: str = "") -> None:
        """Close the WebSocket; :meth:`run` then returns."""
        with contextlib.suppress(Exception):
            await self.websocket.close(code, reason)
