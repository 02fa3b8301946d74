"""Group commit: durable on return, batched, and a bad job fails alone."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from sqlalchemy import select
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from opencsms.store import Store, StoreClosedError
from opencsms.store import tokens as token_rows
from opencsms.store.schema import id_tokens

WRITERS = 200


def _put(name: str) -> Callable[[Connection], str]:
    def job(connection: Connection) -> str:
        token_rows.put(
            connection,
            name,
            status="Accepted",
            expiry_date=None,
            parent_id_token=None,
            token_type=None,
            now=datetime.now(UTC),
        )
        return name

    return job


def _insert_twice(name: str) -> Callable[[Connection], None]:
    def job(connection: Connection) -> None:
        row = {"id_token": name, "status": "Accepted", "created_at": datetime.now(UTC)}
        row["updated_at"] = row["created_at"]
        connection.execute(id_tokens.insert(), [row, row])

    return job


async def _names(store: Store) -> set[str]:
    return await store.read(
        lambda connection: set(connection.execute(select(id_tokens.c.id_token)).scalars())
    )


async def test_concurrent_writes_are_batched_and_all_durable_after_return(
    store: Store, database_url: str
) -> None:
    names = [f"T{i}" for i in range(WRITERS)]
    results = await asyncio.gather(*(store.write(_put(name)) for name in names))
    assert results == names
    assert store.write_stats.jobs == WRITERS
    assert store.write_stats.batches < WRITERS / 4
    await store.close()
    async with await Store.open(database_url) as reopened:
        assert await _names(reopened) == set(names)


CRASHING_WRITER = """
import asyncio, os, sys
from datetime import UTC, datetime
from opencsms.store import Store
from opencsms.store import tokens

async def main(url, writers, crash_after):
    store = await Store.open(url)
    acknowledged = 0
    async def one(name):
        nonlocal acknowledged
        await store.write(lambda c: tokens.put(c, name, status="Accepted", expiry_date=None,
                                               parent_id_token=None, token_type=None, now=datetime.now(UTC)))
        print(name, flush=True)
        acknowledged += 1
        if acknowledged == crash_after:
            os._exit(9)  # no close, no checkpoint: a crash with writes still in flight
    await asyncio.gather(*(one(f"T{i}") for i in range(writers)))

asyncio.run(main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3])))
"""


async def test_nothing_acknowledged_is_lost_when_the_process_dies(store: Store, database_url: str) -> None:
    await store.close()
    child = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        CRASHING_WRITER,
        database_url,
        str(WRITERS),
        str(WRITERS * 3 // 4),
        stdout=asyncio.subprocess.PIPE,
    )
    output, _ = await child.communicate()
    assert child.returncode == 9
    acknowledged = set(output.decode().split())
    assert len(acknowledged) == WRITERS * 3 // 4
    async with await Store.open(database_url) as reopened:
        assert acknowledged <= await _names(reopened)


async def test_a_failing_job_fails_alone_and_the_rest_of_its_batch_commits(store: Store) -> None:
    jobs: list[Callable[[Connection], object]] = [_put(f"OK{i}") for i in range(10)]
    jobs.insert(5, _insert_twice("DUP"))
    outcomes = await asyncio.gather(*(store.write(job) for job in jobs), return_exceptions=True)
    assert isinstance(outcomes[5], IntegrityError)
    assert [outcome for i, outcome in enumerate(outcomes) if i != 5] == [f"OK{i}" for i in range(10)]
    assert store.write_stats.failed_batches == 1
    assert await _names(store) == {f"OK{i}" for i in range(10)}


async def test_a_job_raising_gets_its_own_exception(store: Store) -> None:
    def boom(connection: Connection) -> None:
        raise LookupError("nope")

    with pytest.raises(LookupError, match="nope"):
        await store.write(boom)


async def test_a_cancelled_caller_does_not_cancel_the_write(store: Store) -> None:
    task = asyncio.ensure_future(store.write(_put("LATE")))
    await asyncio.sleep(0)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    await store.write(_put("AFTER"))
    assert await _names(store) == {"LATE", "AFTER"}


async def test_close_commits_queued_write_behind_jobs(store: Store, database_url: str) -> None:
    futures = [store.write_behind(_put(f"B{i}")) for i in range(20)]
    await store.close()
    assert all(future.done() and future.exception() is None for future in futures)
    async with await Store.open(database_url) as reopened:
        assert await _names(reopened) == {f"B{i}" for i in range(20)}


async def test_a_closed_store_refuses_reads_and_writes(store: Store) -> None:
    await store.close()
    await store.close()
    with pytest.raises(StoreClosedError):
        await store.write(_put("X"))
    with pytest.raises(StoreClosedError):
        store.write_behind(_put("X"))
    with pytest.raises(StoreClosedError):
        await store.read(lambda connection: None)
