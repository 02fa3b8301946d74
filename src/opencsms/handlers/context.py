"""What a handler gets besides the payload: who is calling, and the domain to act on."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from opencsms.domain.services import Domain

Payload = dict[str, Any]


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(slots=True)
class StationContext:
    """One connected station as the handlers see it."""

    station_id: str
    version: str
    domain: Domain
    clock: Callable[[], datetime] = utc_now
    #: Registration status from the last BootNotification answer in this session, if any.
    registration: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


Handler = Callable[[StationContext, Payload], Awaitable[Payload]]


def parse_datetime(value: str | None, default: datetime | None = None) -> datetime:
    """An OCPP timestamp as an aware UTC datetime; naive ones are taken as UTC.

    Schema validation has already checked the format; a value that still fails to parse falls
    back to ``default`` (or now) rather than losing the message.
    """
    if value:
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            parsed = None
        if parsed is not None:
            return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)
    return default or utc_now()


def format_datetime(value: datetime) -> str:
    """RFC 3339 UTC with milliseconds and a Z, as OCPP stations expect."""
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"
