"""Where the group-commit writer runs a transaction: on the async engine, or in a thread.

PostgreSQL uses the async engine (asyncpg is fast as it is). SQLite runs each batch on a
blocking pysqlite connection in one dedicated thread, because aiosqlite's thread hop per
statement would cost more than the statements (see ``engine.create_sqlite_writer_engine``).
"""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from sqlalchemy.engine import Connection, Engine
from sqlalchemy.ext.asyncio import AsyncEngine

from opencsms.store.engine import WRITER_OPTION
from opencsms.store.group_commit import WriteJob


class AsyncEngineRunner:
    """Runs each transaction on a fresh pooled connection of an async engine."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def run(self, jobs: list[WriteJob[Any]]) -> list[Any]:
        # A fresh pooled connection per transaction: after a failure (a dropped PostgreSQL
        # connection, say) the next transaction must not inherit a broken one.
        async with self._engine.connect() as connection:
            writer = await connection.execution_options(**{WRITER_OPTION: True})
            async with writer.begin():
                return await writer.run_sync(_run_jobs, jobs)

    async def close(self) -> None:
        """Nothing to do: the engine belongs to the store."""


class ThreadRunner:
    """Runs each transaction on a blocking engine in one dedicated thread, which owns it."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._thread = ThreadPoolExecutor(1, thread_name_prefix="opencsms-writer")

    async def run(self, jobs: list[WriteJob[Any]]) -> list[Any]:
        return await asyncio.get_running_loop().run_in_executor(self._thread, self._transaction, jobs)

    def _transaction(self, jobs: list[WriteJob[Any]]) -> list[Any]:
        with self._engine.connect() as connection:
            writer = connection.execution_options(**{WRITER_OPTION: True})
            with writer.begin():
                return _run_jobs(writer, jobs)

    async def close(self) -> None:
        # SQLite connections are closed by the thread that opened them.
        await asyncio.get_running_loop().run_in_executor(self._thread, self._engine.dispose)
        self._thread.shutdown()


def _run_jobs(connection: Connection, jobs: list[WriteJob[Any]]) -> list[Any]:
    return [job(connection) for job in jobs]
