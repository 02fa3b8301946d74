"""OCPP-J RPC core, sans-I/O: frames, error codes, the per-connection RPC state, handshake rules.

Imports no asyncio, no websockets and no database: it is driven by ``transport`` on the CSMS
side and by ``simulate`` on the station side.
"""

from __future__ import annotations

from opencsms.ocppj.endpoint import (
    CallReceived,
    CallTimedOut,
    ErrorReceived,
    Event,
    PeerRejectedResult,
    ProtocolViolation,
    ResultReceived,
    RpcEndpoint,
    SendReceived,
)
from opencsms.ocppj.errors import V16, V21, V201, OcppError, UsageError, error_class
from opencsms.ocppj.frames import (
    Call,
    CallError,
    CallResult,
    CallResultError,
    Frame,
    FrameError,
    Send,
    parse_frame,
    serialize,
    serialize_bytes,
)
from opencsms.ocppj.handshake import (
    SUBPROTOCOLS,
    VERSION_SUBPROTOCOL,
    BadStationPath,
    select_subprotocol,
    station_id_from_path,
)

__all__ = [
    "SUBPROTOCOLS",
    "V16",
    "V21",
    "V201",
    "VERSION_SUBPROTOCOL",
    "BadStationPath",
    "Call",
    "CallError",
    "CallReceived",
    "CallResult",
    "CallResultError",
    "CallTimedOut",
    "ErrorReceived",
    "Event",
    "Frame",
    "FrameError",
    "OcppError",
    "PeerRejectedResult",
    "ProtocolViolation",
    "ResultReceived",
    "RpcEndpoint",
    "Send",
    "SendReceived",
    "UsageError",
    "error_class",
    "parse_frame",
    "select_subprotocol",
    "serialize",
    "serialize_bytes",
    "station_id_from_path",
]
