"""The SQLite runner: statements on the loop, commit in its thread, another process's lock waited
for without blocking the loop."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.engine import Connection
from sqlalchemy.exc import OperationalError

from opencsms.store import Store
from opencsms.store.engine import SqliteSynchronous, create_sqlite_writer_engine, resolve_url
from opencsms.store.schema import id_tokens
from opencsms.store.transaction_runners import SqliteRunner

NOW = datetime(2026, 1, 1, tzinfo=UTC)


def _insert(name: str) -> Callable[[Connection], str]:
    def job(connection: Connection) -> str:
        connection.execute(
            id_tokens.insert(), {"id_token": name, "status": "Accepted", "created_at": NOW, "updated_at": NOW}
        )
        return name

    return job


def _names(path: Path) -> set[str]:
    with sqlite3.connect(path) as plain:
        return {row[0] for row in plain.execute("SELECT id_token FROM id_tokens")}


@pytest.fixture
async def database(tmp_path: Path) -> Path:
    path = tmp_path / "runner.db"
    await (await Store.open(f"sqlite:///{path}")).close()  # creates the schema
    return path


def _runner(path: Path, busy_timeout: float = 10.0) -> SqliteRunner:
    engine = create_sqlite_writer_engine(
        resolve_url(f"sqlite:///{path}"), sqlite_synchronous=SqliteSynchronous.FULL
    )
    return SqliteRunner(engine, busy_timeout=busy_timeout)


async def test_a_batch_is_committed_when_run_returns(database: Path) -> None:
    runner = _runner(database)
    try:
        assert await runner.run([_insert("A"), _insert("B")]) == ["A", "B"]
        assert _names(database) == {"A", "B"}
    finally:
        await runner.close()


async def test_a_failing_job_rolls_back_its_batch_and_the_next_batch_commits(database: Path) -> None:
    runner = _runner(database)
    try:
        with pytest.raises(Exception, match="UNIQUE"):
            await runner.run([_insert("A"), _insert("A")])
        assert _names(database) == set()
        await runner.run([_insert("B")])
        assert _names(database) == {"B"}
    finally:
        await runner.close()


async def test_another_process_write_lock_is_waited_for_while_the_loop_runs(database: Path) -> None:
    other = sqlite3.connect(database, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    runner = _runner(database)
    try:
        batch = asyncio.ensure_future(runner.run([_insert("A")]))
        ticks = 0
        while ticks < 5:  # the loop keeps running while the batch waits for the lock
            await asyncio.sleep(0.01)
            ticks += 1
        assert not batch.done()
        other.execute("COMMIT")
        assert await batch == ["A"]
        assert _names(database) == {"A"}
    finally:
        other.close()
        await runner.close()


async def test_a_write_lock_held_past_the_busy_timeout_fails_the_batch(database: Path) -> None:
    other = sqlite3.connect(database, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    runner = _runner(database, busy_timeout=0.05)
    try:
        with pytest.raises(OperationalError, match="locked"):
            await runner.run([_insert("A")])
        other.execute("COMMIT")
        assert await runner.run([_insert("B")]) == ["B"]
    finally:
        other.close()
        await runner.close()


async def test_reads_in_a_job_see_the_batch_own_writes(database: Path) -> None:
    runner = _runner(database)

    def count(connection: Connection) -> int:
        return len(connection.execute(select(id_tokens.c.id_token)).all())

    try:
        assert await runner.run([_insert("A"), count, _insert("B"), count]) == ["A", 1, "B", 2]
    finally:
        await runner.close()
