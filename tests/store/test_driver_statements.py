"""Driver statements store and read exactly what the same statement through SQLAlchemy does."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import bindparam, select, update
from sqlalchemy.engine import Connection

from opencsms.store import Store
from opencsms.store.driver_statements import DriverStatement
from opencsms.store.engine import SqliteSynchronous, create_sqlite_writer_engine, resolve_url
from opencsms.store.schema import id_tokens

COLUMNS = ("id_token", "status", "expiry_date", "parent_id_token", "created_at", "updated_at")
INSERT = DriverStatement(id_tokens.insert(), columns=COLUMNS)
BY_TOKEN = DriverStatement(select(id_tokens).where(id_tokens.c.id_token == bindparam("token")))
# A literal in the statement (status == "Accepted") is bound by the statement itself.
BLOCK_ACCEPTED = DriverStatement(
    update(id_tokens)
    .where(id_tokens.c.id_token == bindparam("token"), id_tokens.c.status == "Accepted")
    .values(status="Blocked")
)
EXPIRY = datetime(2027, 3, 4, 5, 6, 7, 891000, tzinfo=timezone(timedelta(hours=2)))
NOW = datetime(2026, 1, 1, tzinfo=UTC)


def _row(token: str) -> dict[str, object]:
    return {
        "id_token": token,
        "status": "Accepted",
        "expiry_date": EXPIRY,
        "parent_id_token": None,
        "created_at": NOW,
        "updated_at": NOW,
    }


async def test_rows_written_by_executemany_read_back_through_sqlalchemy(store: Store) -> None:
    await store.write(lambda connection: INSERT.execute_many(connection, [_row("A"), _row("B")]))

    rows = await store.read(lambda connection: connection.execute(select(id_tokens)).all())

    assert sorted(row.id_token for row in rows) == ["A", "B"]
    # The UtcDateTime bind processor ran: an aware time, stored and read back as UTC.
    assert {row.expiry_date for row in rows} == {EXPIRY.astimezone(UTC)}


async def test_a_select_gives_processed_values_by_column_name(store: Store) -> None:
    await store.write(lambda connection: INSERT.execute(connection, _row("A")))

    row = await store.read(lambda connection: BY_TOKEN.execute(connection, {"token": "A"}).first_named())
    missing = await store.read(lambda connection: BY_TOKEN.execute(connection, {"token": "Z"}).first())

    assert row is not None
    assert (row.id_token, row.status, row.expiry_date) == ("A", "Accepted", EXPIRY.astimezone(UTC))
    assert row.expiry_date.tzinfo is not None
    assert missing is None


async def test_literals_of_the_statement_are_bound_and_rowcount_reported(store: Store) -> None:
    await store.write(lambda connection: INSERT.execute(connection, _row("A")))

    def block(connection: Connection) -> int:
        return BLOCK_ACCEPTED.execute(connection, {"token": "A"}).rowcount

    assert await store.write(block) == 1
    assert await store.write(block) == 0  # no longer Accepted


async def test_outside_a_transaction_the_statement_runs_through_sqlalchemy(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/plain.db"
    await (await Store.open(url)).close()
    engine = create_sqlite_writer_engine(resolve_url(url), sqlite_synchronous=SqliteSynchronous.FULL)
    try:
        with engine.connect() as connection:
            assert not connection.in_transaction()
            INSERT.execute(connection, _row("A"))  # autobegins, as Connection.execute does
            connection.commit()
            assert BY_TOKEN.execute(connection, {"token": "A"}).scalar() == "A"
    finally:
        engine.dispose()


def _values(token: str, expiry: datetime | None = EXPIRY) -> tuple[object, ...]:
    return (token, "Accepted", expiry, None, NOW, NOW)


async def test_rows_given_as_tuples_are_stored_as_the_same_mappings_would_be(store: Store) -> None:
    # One datetime object shared by several rows (as a sample's timestamp is by its values),
    # another one equal to it, and a None.
    twin = EXPIRY + timedelta(0)
    rows = [_values("A"), _values("B"), _values("C", twin), _values("D", None), _values("E")]
    await store.write(lambda connection: INSERT.execute_many_tuples(connection, rows))

    stored = await store.read(lambda connection: connection.execute(select(id_tokens)).all())

    assert {row.id_token: row.expiry_date for row in stored} == {
        "A": EXPIRY.astimezone(UTC),
        "B": EXPIRY.astimezone(UTC),
        "C": EXPIRY.astimezone(UTC),
        "D": None,
        "E": EXPIRY.astimezone(UTC),
    }
    assert {(row.status, row.created_at) for row in stored} == {("Accepted", NOW)}


async def test_tuples_outside_a_transaction_go_through_sqlalchemy(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/plain.db"
    await (await Store.open(url)).close()
    engine = create_sqlite_writer_engine(resolve_url(url), sqlite_synchronous=SqliteSynchronous.FULL)
    try:
        with engine.connect() as connection:
            INSERT.execute_many_tuples(connection, [_values("A")])
            connection.commit()
            row = BY_TOKEN.execute(connection, {"token": "A"}).first_named()
            assert row is not None and row.expiry_date == EXPIRY.astimezone(UTC)
    finally:
        engine.dispose()


async def test_tuples_need_a_statement_built_with_every_bind_as_a_column(store: Store) -> None:
    with pytest.raises(TypeError):
        await store.write(lambda connection: BY_TOKEN.execute_many_tuples(connection, [("A",)]))
    literal = DriverStatement(
        update(id_tokens).where(id_tokens.c.status == "Accepted").values(status=bindparam("new")),
        columns=("new",),
    )
    with pytest.raises(KeyError):
        await store.write(lambda connection: literal.execute_many_tuples(connection, [("Blocked",)]))
