"""OCPP-J frames: parse and serialize CALL, CALLRESULT, CALLERROR, CALLRESULTERROR and SEND.

Parsing is tolerant of what is harmless and strict about structure. Any malformed input raises
:class:`FrameError`, which carries the message id when one could be recovered, so the caller can
answer with a CALLERROR, or log a protocol violation when it cannot.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import orjson

from opencsms.ocppj.errors import (
    FormatViolation,
    MessageTypeNotSupported,
    OcppError,
    RpcFrameworkError,
)

CALL = 2
CALLRESULT = 3
CALLERROR = 4
CALLRESULTERROR = 5  # OCPP 2.1: the answer to a CALLRESULT that could not be processed
SEND = 6  # OCPP 2.1: unconfirmed message, never answered

MAX_MESSAGE_ID_LENGTH = 36
DEFAULT_MAX_FRAME_BYTES = 256 * 1024
MAX_ACTION_LENGTH = 64


@dataclass(frozen=True, slots=True)
class Call:
    message_id: str
    action: str
    payload: dict[str, Any]


@dataclass(frozen=True, slots=True)
class CallResult:
    message_id: str
    payload: dict[str, Any]


@dataclass(frozen=True, slots=True)
class CallError:
    message_id: str
    error_code: str
    description: str = ""
    details: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class CallResultError:
    """OCPP 2.1 type 5: same shape as CALLERROR, answers a CALLRESULT."""

    message_id: str
    error_code: str
    description: str = ""
    details: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Send:
    """OCPP 2.1 type 6: a CALL that is never answered."""

    message_id: str
    action: str
    payload: dict[str, Any]


Frame = Call | CallResult | CallError | CallResultError | Send


class FrameError(Exception):
    """The input is not a valid OCPP-J frame.

    ``message_id`` is the id when it could be read (answer with a CALLERROR), else ``None``
    (log a protocol violation; 2.x answers with message id "-1"). ``message_type`` is the type id
    when it could be read; a CALLERROR is only ever sent in reply to a (possible) CALL.
    """

    def __init__(self, error: OcppError, message_id: str | None, message_type: int | None = None) -> None:
        super().__init__(str(error))
        self.error = error
        self.message_id = message_id
        self.message_type = message_type


# The start of a CALL, read from the head of a frame too large to parse: its message id lets the
# FormatViolation be answered, so the station does not wait for a timeout (1.6 answers only known ids).
_CALL_HEAD = re.compile(rb'\s*\[\s*(\d)\s*,\s*"([^"\\]{1,%d})"' % MAX_MESSAGE_ID_LENGTH)
_HEAD_BYTES = 128


def _oversized(data: str | bytes, size: int, max_frame_bytes: int) -> FrameError:
    head = data[:_HEAD_BYTES]
    match = _CALL_HEAD.match(head.encode("utf-8", "surrogatepass") if isinstance(head, str) else head)
    error = FormatViolation(f"frame of {size} bytes exceeds {max_frame_bytes}")
    if match is None:
        return FrameError(error, None)
    try:
        message_id = match.group(2).decode("utf-8")
    except UnicodeDecodeError:
        return FrameError(error, None)
    return FrameError(error, message_id, int(match.group(1)))


def _valid_id(value: object, max_len: int) -> str | None:
    if isinstance(value, str) and 0 < len(value) <= max_len:
        return value
    return None


def parse_frame(
    data: str | bytes,
    *,
    max_frame_bytes: int = DEFAULT_MAX_FRAME_BYTES,
    max_id_length: int = MAX_MESSAGE_ID_LENGTH,
) -> Frame:
    """Parse one WebSocket text message into a frame.

    Raises:
        FrameError: the data is too large, not JSON, not an OCPP-J array, or has the wrong types.
    """
    size = len(data)
    if isinstance(data, str) and size <= max_frame_bytes:
        # The limit is in bytes; a str counts characters, up to 4 bytes each in UTF-8.
        size = len(data.encode("utf-8", "surrogatepass"))
    if size > max_frame_bytes:
        raise _oversized(data, size, max_frame_bytes)
    try:
        msg = orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        raise FrameError(RpcFrameworkError(f"not valid JSON: {exc}"), None) from None
    if not isinstance(msg, list) or not msg:
        raise FrameError(RpcFrameworkError("frame is not a non-empty JSON array"), None)
    message_type = msg[0]
    if type(message_type) is not int:
        raise FrameError(RpcFrameworkError("message type id is not an integer"), None)
    raw_id = msg[1] if len(msg) > 1 else None
    message_id = _valid_id(raw_id, max_id_length)
    if message_id is None:
        if isinstance(raw_id, str) and len(raw_id) > max_id_length:
            reason = f"message id longer than {max_id_length} characters"
        else:
            reason = "message id is missing or not a non-empty string"
        raise FrameError(RpcFrameworkError(reason), None, message_type)

    if message_type in (CALL, SEND):
        if len(msg) != 4:
            raise FrameError(
                RpcFrameworkError(f"CALL must have 4 elements, got {len(msg)}"), message_id, message_type
            )
        action, payload = msg[2], msg[3]
        if not isinstance(action, str) or not 0 < len(action) <= MAX_ACTION_LENGTH:
            raise FrameError(RpcFrameworkError("action is not a short string"), message_id, message_type)
        if not isinstance(payload, dict):
            raise FrameError(FormatViolation("payload is not a JSON object"), message_id, message_type)
        return (
            Call(message_id, action, payload) if message_type == CALL else Send(message_id, action, payload)
        )
    if message_type == CALLRESULT:
        if len(msg) != 3 or not isinstance(msg[2], dict):
            raise FrameError(
                FormatViolation("CALLRESULT must be [3, id, {payload}]"), message_id, message_type
            )
        return CallResult(message_id, msg[2])
    if message_type in (CALLERROR, CALLRESULTERROR):
        if len(msg) not in (4, 5):
            raise FrameError(FormatViolation("CALLERROR must have 5 elements"), message_id, message_type)
        code = msg[2]
        description = msg[3]
        details = msg[4] if len(msg) == 5 else {}
        if not isinstance(code, str) or not isinstance(description, str) or not isinstance(details, dict):
            raise FrameError(FormatViolation("CALLERROR has wrong element types"), message_id, message_type)
        cls = CallError if message_type == CALLERROR else CallResultError
        return cls(message_id, code, description, details)
    raise FrameError(
        MessageTypeNotSupported(f"message type id {message_type} is not supported"), message_id, message_type
    )


def serialize(frame: Frame) -> str:
    """Serialize a frame to the text of one WebSocket message."""
    return serialize_bytes(frame).decode()


def serialize_bytes(frame: Frame) -> bytes:
    """Serialize a frame to UTF-8 bytes (what the transport sends as a text message)."""
    if isinstance(frame, Call):
        return orjson.dumps([CALL, frame.message_id, frame.action, frame.payload])
    if isinstance(frame, CallResult):
        return orjson.dumps([CALLRESULT, frame.message_id, frame.payload])
    if isinstance(frame, CallError):
        return orjson.dumps([CALLERROR, frame.message_id, frame.error_code, frame.description, frame.details])
    if isinstance(frame, CallResultError):
        return orjson.dumps(
            [CALLRESULTERROR, frame.message_id, frame.error_code, frame.description, frame.details]
        )
    return orjson.dumps([SEND, frame.message_id, frame.action, frame.payload])
