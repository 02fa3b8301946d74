"""SQLite reads run in batches in the reader thread: each gets its own result or error."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest
from sqlalchemy import select
from sqlalchemy.engine import Connection

from opencsms.store import Store, StoreClosedError
from opencsms.store import tokens as token_rows
from opencsms.store.batched_reads import BatchedReader
from opencsms.store.engine import SqliteSynchronous, create_sqlite_writer_engine, resolve_url
from opencsms.store.schema import id_tokens

READERS = 100


def _put(connection: Connection, name: str) -> None:
    token_rows.put(
        connection,
        name,
        status="Accepted",
        expiry_date=None,
        parent_id_token=None,
        token_type=None,
        now=datetime.now(UTC),
    )


@pytest.fixture
async def sqlite_store(tmp_path: object) -> Store:
    store = await Store.open(f"sqlite+aiosqlite:///{tmp_path}/reads.db")
    yield store  # type: ignore[misc]
    await store.close()


async def test_concurrent_reads_share_batches_and_each_gets_its_own_result(sqlite_store: Store) -> None:
    for index in range(5):
        await sqlite_store.write(lambda connection, index=index: _put(connection, f"T{index}"))

    results = await asyncio.gather(
        *(
            sqlite_store.read(lambda connection, index=index: token_rows.get(connection, f"T{index % 7}"))
            for index in range(READERS)
        )
    )

    for index, row in enumerate(results):
        if index % 7 < 5:
            assert row is not None and row.id_token == f"T{index % 7}"
        else:
            assert row is None
    reader = sqlite_store._reader
    assert reader is not None and reader.batches < READERS


async def test_a_failing_read_fails_alone(sqlite_store: Store) -> None:
    await sqlite_store.write(lambda connection: _put(connection, "KNOWN"))

    def broken(connection: Connection) -> None:
        raise LookupError("broken read")

    outcomes = await asyncio.gather(
        sqlite_store.read(lambda connection: token_rows.get(connection, "KNOWN")),
        sqlite_store.read(broken),
        sqlite_store.read(lambda connection: connection.execute(select(id_tokens.c.id_token)).all()),
        return_exceptions=True,
    )

    assert outcomes[0] is not None and outcomes[0].status == "Accepted"
    assert isinstance(outcomes[1], LookupError)
    assert [tuple(row) for row in outcomes[2]] == [("KNOWN",)]


async def test_a_read_sees_every_write_acknowledged_before_it(sqlite_store: Store) -> None:
    for index in range(20):
        await sqlite_store.write(lambda connection, index=index: _put(connection, f"W{index}"))
        row = await sqlite_store.read(lambda connection, index=index: token_rows.get(connection, f"W{index}"))
        assert row is not None


async def test_a_closed_reader_refuses_reads_after_finishing_queued_ones(tmp_path: object) -> None:
    store = await Store.open(f"sqlite+aiosqlite:///{tmp_path}/closing.db")
    await store.close()
    engine = create_sqlite_writer_engine(
        resolve_url(f"sqlite:///{tmp_path}/closing.db"), sqlite_synchronous=SqliteSynchronous.FULL
    )
    reader = BatchedReader(engine)
    queued = asyncio.ensure_future(
        reader.read(lambda connection: connection.exec_driver_sql("SELECT 7").scalar())
    )
    await asyncio.sleep(0)

    await reader.close()

    assert await queued == 7
    with pytest.raises(StoreClosedError):
        await reader.read(lambda connection: None)
