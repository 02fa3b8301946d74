"""One OCPP-J connection's RPC state, sans-I/O.

The same class serves the CSMS and the simulated station. It takes received text and the current
time, and hands back events; the frames it wants sent collect in :meth:`RpcEndpoint.data_to_send`.

Rules it keeps:

* One outgoing CALL in flight; further calls wait in a FIFO and go out, in order, when the one in
  flight is answered or times out (OCPP-J 4.1.1).
* Every received CALL is answered, in the order received, even when the peer sends a new CALL
  before its previous one was answered (real stations do, with two busy connectors). Answers
  given out of order are held back until the earlier ones are given.
* Results are matched by message id; late (after timeout) and unknown results are dropped and
  counted.
* Malformed input never raises: it becomes a CALLERROR (when the id could be read, or with id
  "-1" in OCPP 2.x) and a :class:`ProtocolViolation` event.
"""

from __future__ import annotations

import itertools
import os
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from opencsms.ocppj.errors import V16, V21, MessageTypeNotSupported, OcppError, UsageError
from opencsms.ocppj.frames import (
    CALLERROR,
    CALLRESULT,
    CALLRESULTERROR,
    DEFAULT_MAX_FRAME_BYTES,
    SEND,
    Call,
    CallError,
    CallResult,
    CallResultError,
    Frame,
    FrameError,
    Send,
    parse_frame,
    serialize_bytes,
)

MAX_ERROR_DESCRIPTION = 255
_RECENTLY_EXPIRED_KEPT = 64
_NEVER_ANSWERED = frozenset({CALLRESULT, CALLERROR, CALLRESULTERROR, SEND})


@dataclass(frozen=True, slots=True)
class CallReceived:
    """The peer sent a CALL; answer it with :meth:`RpcEndpoint.answer` or ``answer_error``."""

    call: Call


@dataclass(frozen=True, slots=True)
class SendReceived:
    """The peer sent an OCPP 2.1 SEND; it gets no answer."""

    send: Send


@dataclass(frozen=True, slots=True)
class ResultReceived:
    call: Call
    result: CallResult


@dataclass(frozen=True, slots=True)
class ErrorReceived:
    call: Call
    error: CallError


@dataclass(frozen=True, slots=True)
class CallTimedOut:
    call: Call


@dataclass(frozen=True, slots=True)
class PeerRejectedResult:
    """OCPP 2.1 CALLRESULTERROR: the peer could not process a CALLRESULT we sent."""

    error: CallResultError


@dataclass(frozen=True, slots=True)
class ProtocolViolation:
    """The peer broke the protocol; logged, and answered where an answer is possible."""

    description: str
    message_id: str | None = None


Event = (
    CallReceived
    | SendReceived
    | ResultReceived
    | ErrorReceived
    | CallTimedOut
    | PeerRejectedResult
    | ProtocolViolation
)


def _default_id_factory() -> Callable[[], str]:
    prefix = os.urandom(6).hex()
    counter = itertools.count(1)
    return lambda: f"{prefix}-{next(counter)}"


@dataclass(slots=True)
class _Outgoing:
    call: Call
    timeout: float
    deadline: float = 0.0


class RpcEndpoint:
    """RPC state of one OCPP-J connection. Not thread-safe; drive it from one task."""

    def __init__(
        self,
        version: str,
        *,
        call_timeout: float = 30.0,
        max_frame_bytes: int = DEFAULT_MAX_FRAME_BYTES,
        id_factory: Callable[[], str] | None = None,
    ) -> None:
        self.version = version
        self.call_timeout = call_timeout
        self.max_frame_bytes = max_frame_bytes
        self._new_id = id_factory or _default_id_factory()
        self._outbox: list[bytes] = []
        self._in_flight: _Outgoing | None = None
        self._queued: deque[_Outgoing] = deque()
        # Received CALLs awaiting an answer, in arrival order: [message_id, encoded answer or None].
        self._unanswered: deque[list[object]] = deque()
        self._recently_expired: deque[str] = deque(maxlen=_RECENTLY_EXPIRED_KEPT)
        self.late_results = 0
        self.unknown_results = 0
        self.protocol_violations = 0

    # -- outgoing calls -------------------------------------------------------------------------

    def send_call(
        self, action: str, payload: dict[str, object], now: float, timeout: float | None = None
    ) -> Call:
        """Queue a CALL; it is sent at once when no other CALL is in flight.

        Returns the Call (its ``message_id`` identifies the later ResultReceived, ErrorReceived or
        CallTimedOut event). Then send what :meth:`data_to_send` returns.
        """
        call = Call(self._new_id(), action, payload)
        self._queued.append(_Outgoing(call, self.call_timeout if timeout is None else timeout))
        self._start_next(now)
        return call

    def _start_next(self, now: float) -> None:
        if self._in_flight is None and self._queued:
            outgoing = self._queued.popleft()
            outgoing.deadline = now + outgoing.timeout
            self._in_flight = outgoing
            self._outbox.append(serialize_bytes(outgoing.call))

    @property
    def in_flight(self) -> Call | None:
        return self._in_flight.call if self._in_flight else None

    @property
    def queued_calls(self) -> int:
        return len(self._queued)

    def next_deadline(self) -> float | None:
        """When :meth:`expire` must next be called, or None when nothing is in flight."""
        return self._in_flight.deadline if self._in_flight else None

    def expire(self, now: float) -> list[Event]:
        """Time out the CALL in flight if its deadline passed; the next queued CALL goes out."""
        events: list[Event] = []
        while self._in_flight is not None and now >= self._in_flight.deadline:
            call = self._in_flight.call
            self._recently_expired.append(call.message_id)
            self._in_flight = None
            events.append(CallTimedOut(call))
            self._start_next(now)
        return events

    def cancel_all(self) -> list[Call]:
        """Forget every outgoing call (the connection closed); returns them so callers can fail them."""
        calls = [o.call for o in self._queued]
        if self._in_flight is not None:
            calls.insert(0, self._in_flight.call)
        self._in_flight = None
        self._queued.clear()
        return calls

    # -- answers to received calls ----------------------------------------------------------------

    def answer(self, message_id: str, payload: dict[str, object]) -> None:
        """Answer a received CALL with a CALLRESULT (sent once every earlier CALL is answered).

        Raises:
            UsageError: no unanswered CALL has this id.
        """
        self._set_answer(message_id, serialize_bytes(CallResult(message_id, payload)))

    def answer_error(self, message_id: str, error: OcppError) -> None:
        """Answer a received CALL with a CALLERROR spelled for this connection's version.

        Raises:
            UsageError: no unanswered CALL has this id.
        """
        self._set_answer(message_id, self._encode_error(message_id, error))

    def _encode_error(self, message_id: str, error: OcppError) -> bytes:
        description = (error.description or error.code_for(self.version))[:MAX_ERROR_DESCRIPTION]
        return serialize_bytes(
            CallError(message_id, error.code_for(self.version), description, error.details)
        )

    def _set_answer(self, message_id: str, encoded: bytes) -> None:
        for entry in self._unanswered:
            if entry[0] == message_id and entry[1] is None:
                entry[1] = encoded
                break
        else:
            raise UsageError(f"no unanswered CALL with id {message_id!r}")
        while self._unanswered and self._unanswered[0][1] is not None:
            self._outbox.append(self._unanswered.popleft()[1])  # type: ignore[arg-type]

    @property
    def unanswered_calls(self) -> int:
        return len(self._unanswered)

    # -- input ------------------------------------------------------------------------------------

    def receive(self, data: str | bytes, now: float) -> list[Event]:
        """Feed one received WebSocket message; returns what happened. Never raises on bad input."""
        try:
            frame = parse_frame(data, max_frame_bytes=self.max_frame_bytes)
        except FrameError as exc:
            return [self._violation(exc)]
        return self._dispatch(frame, now)

    def _violation(self, exc: FrameError) -> ProtocolViolation:
        self.protocol_violations += 1
        # Answers, errors and SENDs are never answered; a CALL or an unknown message type is.
        answerable = exc.message_type not in _NEVER_ANSWERED
        if exc.message_id is not None and answerable:
            # The id is known: answer in order like any other CALL.
            self._unanswered.append([exc.message_id, self._encode_error(exc.message_id, exc.error)])
            while self._unanswered and self._unanswered[0][1] is not None:
                self._outbox.append(self._unanswered.popleft()[1])  # type: ignore[arg-type]
        elif self.version != V16 and answerable:
            # OCPP 2.x: an unreadable message id is answered with id "-1" (OCPP-J 2.0.1 4.2.3).
            self._outbox.append(self._encode_error("-1", exc.error))
        return ProtocolViolation(str(exc), exc.message_id)

    def _dispatch(self, frame: Frame, now: float) -> list[Event]:
        if isinstance(frame, Call):
            self._unanswered.append([frame.message_id, None])
            return [CallReceived(frame)]
        if isinstance(frame, Send | CallResultError) and self.version != V21:
            # Types 5 and 6 exist only in OCPP 2.1; older versions treat them as unknown types.
            unsupported = MessageTypeNotSupported(f"message type of {type(frame).__name__} needs OCPP 2.1")
            return [self._violation(FrameError(unsupported, frame.message_id))]
        if isinstance(frame, Send):
            return [SendReceived(frame)]
        if isinstance(frame, CallResultError):
            return [PeerRejectedResult(frame)]
        outgoing = self._in_flight
        if outgoing is None or outgoing.call.message_id != frame.message_id:
            if frame.message_id in self._recently_expired:
                self.late_results += 1
                return [ProtocolViolation("late answer to a timed-out CALL", frame.message_id)]
            self.unknown_results += 1
            return [ProtocolViolation("answer to an unknown CALL", frame.message_id)]
        self._in_flight = None
        self._start_next(now)
        if isinstance(frame, CallResult):
            return [ResultReceived(outgoing.call, frame)]
        return [ErrorReceived(outgoing.call, frame)]

    # -- output -----------------------------------------------------------------------------------

    def data_to_send(self) -> list[bytes]:
        """The frames to send now, in order (each one WebSocket text message); clears the outbox."""
        out, self._outbox = self._outbox, []
        return out
