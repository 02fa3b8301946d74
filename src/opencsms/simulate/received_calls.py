"""What the handlers of every simulated station share: routing a received CALL to its handler,
and reading the fields of its payload.

Payloads are checked only as far as the simulator relies on them; the connection's validator,
when one is set, has already checked them against the schemas. Without one, a missing or
mistyped field still gets the precise OCPP error rather than an InternalError.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import TypeVar

from opencsms.messages import is_csms_initiated
from opencsms.ocppj import Call
from opencsms.ocppj.errors import (
    NotImplementedCallError,
    NotSupportedError,
    OccurrenceConstraintViolation,
    PropertyConstraintViolation,
    TypeConstraintViolation,
)
from opencsms.transport.connection import Payload

StationT = TypeVar("StationT")
T = TypeVar("T")


async def dispatch(
    handlers: Mapping[str, Callable[[StationT, Payload], Awaitable[Payload]]],
    station: StationT,
    call: Call,
    *,
    is_known: Callable[[str], bool],
) -> Payload:
    """The answer of ``handlers[call.action]`` to ``call``.

    Raises:
        NotSupportedError: an action the CSMS may send (``is_known``) that has no handler.
        NotImplementedCallError: an unknown action.
        OcppError: the payload lacks what the handler needs.
    """
    handler = handlers.get(call.action)
    if handler is None:
        if is_known(call.action):
            raise NotSupportedError(f"{call.action} is not supported by this simulated station")
        raise NotImplementedCallError(f"unknown action {call.action!r}")
    return await handler(station, call.payload)


def sent_by_csms(version: str, action: str) -> bool:
    """Whether ``action`` is one the CSMS may send in ``version`` (False for unknown actions)."""
    try:
        return is_csms_initiated(version, action)
    except NotImplementedCallError:
        return False


def required(payload: Payload, name: str, kind: type[T]) -> T:
    """Raises OccurrenceConstraintViolation (missing) or TypeConstraintViolation (wrong type)."""
    if name not in payload:
        raise OccurrenceConstraintViolation(f"{name} is required")
    return _typed(payload, name, kind)


def optional(payload: Payload, name: str, kind: type[T]) -> T | None:
    """Raises TypeConstraintViolation: the field is there with the wrong type."""
    return _typed(payload, name, kind) if name in payload else None


def _typed(payload: Payload, name: str, kind: type[T]) -> T:
    value = payload[name]
    # bool is an int in Python but not in JSON
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise TypeConstraintViolation(f"{name} must be {kind.__name__}")
    return value


def one_of(payload: Payload, name: str, allowed: tuple[str, ...]) -> str:
    """Raises OccurrenceConstraintViolation, TypeConstraintViolation or PropertyConstraintViolation."""
    value = required(payload, name, str)
    if value not in allowed:
        raise PropertyConstraintViolation(f"{name} must be one of {', '.join(allowed)}")
    return value
