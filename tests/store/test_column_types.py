"""Timestamps come back timezone-aware UTC on every backend."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from sqlalchemy import select

from opencsms.store import Store
from opencsms.store import tokens as token_rows
from opencsms.store.schema import id_tokens

PARIS = timezone(timedelta(hours=1))


async def _expiry_after_storing(store: Store, expiry: datetime) -> datetime:
    await store.write(
        lambda connection: token_rows.put(
            connection,
            "T",
            status="Accepted",
            expiry_date=expiry,
            parent_id_token=None,
            token_type=None,
            now=datetime.now(UTC),
        )
    )
    stored: datetime = await store.read(
        lambda connection: connection.execute(select(id_tokens.c.expiry_date)).scalar_one()
    )
    return stored


async def test_an_offset_time_comes_back_as_the_same_instant_in_utc(store: Store) -> None:
    stored = await _expiry_after_storing(store, datetime(2025, 3, 1, 13, 30, 0, 123456, tzinfo=PARIS))
    assert stored == datetime(2025, 3, 1, 12, 30, 0, 123456, tzinfo=UTC)
    assert stored.tzinfo == UTC


async def test_a_naive_time_is_taken_as_utc(store: Store) -> None:
    stored = await _expiry_after_storing(store, datetime(2025, 3, 1, 12, 30))
    assert stored == datetime(2025, 3, 1, 12, 30, tzinfo=UTC)


def test_sqlite_text_is_what_sqlalchemy_stores_for_the_same_instant() -> None:
    from sqlalchemy.dialects import sqlite

    from opencsms.store.column_types import UtcDateTime, sqlite_utc_text

    reference = UtcDateTime().impl.dialect_impl(sqlite.dialect()).bind_processor(sqlite.dialect())
    assert reference is not None
    for value in (
        datetime(2026, 12, 3, 12, 0, 0, tzinfo=UTC),
        datetime(2026, 12, 3, 12, 0, 0, 7, tzinfo=UTC),
        datetime(999, 1, 2, 3, 4, 5, 600000, tzinfo=UTC),
        datetime(2025, 3, 1, 13, 30, 0, 123456, tzinfo=PARIS),
        datetime(2025, 3, 1, 0, 30, tzinfo=timezone(timedelta(hours=-9, minutes=-30))),
        datetime(2025, 3, 1, 13, 30),
    ):
        as_utc = (value if value.tzinfo else value.replace(tzinfo=UTC)).astimezone(UTC).replace(tzinfo=None)
        assert sqlite_utc_text(value) == reference(as_utc)
    assert sqlite_utc_text(None) is None
    assert UtcDateTime().bind_processor(sqlite.dialect()) is sqlite_utc_text
