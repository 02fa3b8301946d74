"""Column types that behave the same on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import BigInteger, Integer
from sqlalchemy.engine import Dialect
from sqlalchemy.types import DateTime, TypeDecorator

# SQLite only auto-increments a column declared exactly INTEGER PRIMARY KEY.
BigIntegerId = BigInteger().with_variant(Integer(), "sqlite")


class UtcDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC ``datetime`` in and out, on every backend.

    PostgreSQL stores ``timestamptz``; SQLite stores naive UTC text, so the zone is put back on
    read. A naive value given to it is taken as UTC rather than refused: a station's clock
    quirk must not cost a transaction record.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def bind_processor(self, dialect: Dialect) -> Callable[[Any], Any] | None:
        # On SQLite, straight to the text SQLAlchemy's DATETIME stores ("2026-12-03
        # 12:00:00.000000"): one C call instead of two Python steps, for the timestamp of every
        # stored sample and frame.
        if dialect.name == "sqlite":
            return sqlite_utc_text
        return super().bind_processor(dialect)

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        assert isinstance(value, datetime)
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def sqlite_utc_text(value: datetime | None) -> str | None:
    """``value`` (naive: taken as UTC) as the naive UTC text SQLite columns hold."""
    if value is None:
        return None
    zone = value.tzinfo
    if zone is not None and zone is not UTC:
        value = value.astimezone(UTC)
    # Always six fractional digits; an aware value's "+00:00" is cut off.
    return value.isoformat(" ", "microseconds")[:26]
