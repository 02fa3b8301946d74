"""Where the group-commit writer runs a transaction: on the async engine, or on SQLite directly.

PostgreSQL uses the async engine (asyncpg is fast as it is). SQLite runs each batch on a
blocking pysqlite connection, because aiosqlite's thread hop per statement would cost more than
the statements (see ``engine.create_sqlite_writer_engine``); only the COMMIT goes to a
dedicated thread (see :class:`SqliteRunner`).
"""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from sqlalchemy.engine import Connection, Engine, RootTransaction
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine

from opencsms.store.engine import BUSY_TIMEOUT_MS, WRITER_OPTION
from opencsms.store.group_commit import WriteJob

_BUSY_RETRY_SECONDS = 0.01


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


class SqliteRunner:
    """Runs each transaction on one blocking SQLite connection: BEGIN and the statements on the
    event loop, the COMMIT (the fsync) in a dedicated thread.

    The statements of a batch are quick (SQLite works in its page cache until the commit), but
    each one releases and retakes the GIL: run in a thread, every statement waited for the event
    loop to hand the GIL back (up to the 5 ms switch interval), so the writer sat idle most of
    the time and capped throughput. The commit's fsync is the one slow call; it alone leaves
    the loop. The connection's busy timeout is 0, so a BEGIN IMMEDIATE that meets another
    process's write lock fails at once and is retried here with ``await asyncio.sleep`` rather
    than blocking the loop.
    """

    def __init__(self, engine: Engine, *, busy_timeout: float = BUSY_TIMEOUT_MS / 1000) -> None:
        self._engine = engine
        self._busy_timeout = busy_timeout
        self._thread = ThreadPoolExecutor(1, thread_name_prefix="opencsms-writer")
        self._connection: Connection | None = None

    async def run(self, jobs: list[WriteJob[Any]]) -> list[Any]:
        connection, transaction = await self._begin()
        try:
            results = _run_jobs(connection, jobs)
            # The fsync, off the loop: only the driver's commit, not SQLAlchemy's bookkeeping,
            # which follows on the loop (the driver's commit then finds nothing left to do).
            driver_connection = connection.connection.dbapi_connection
            assert driver_connection is not None
            committing = asyncio.get_running_loop().run_in_executor(self._thread, driver_connection.commit)
        except BaseException:
            self._discard(connection, transaction)
            raise
        try:
            await asyncio.shield(committing)
        except asyncio.CancelledError:
            # The commit goes on in the thread; the connection must not be touched before it ends.
            self._connection = None
            committing.add_done_callback(lambda _: self._discard(connection, transaction))
            raise
        except BaseException:
            self._discard(connection, transaction)
            raise
        transaction.commit()
        return results

    async def _begin(self) -> tuple[Connection, RootTransaction]:
        if self._connection is None:
            connection = self._engine.connect()
            connection.exec_driver_sql("PRAGMA busy_timeout=0")
            connection.commit()
            self._connection = connection.execution_options(**{WRITER_OPTION: True})
        deadline = time.monotonic() + self._busy_timeout
        while True:
            try:
                return self._connection, self._connection.begin()
            except OperationalError as error:
                if not _is_busy(error) or time.monotonic() >= deadline:
                    self._discard(self._connection, None)
                    raise
                self._connection.rollback()
            await asyncio.sleep(_BUSY_RETRY_SECONDS)

    def _discard(self, connection: Connection, transaction: RootTransaction | None) -> None:
        # After a failure the next transaction starts on a fresh connection.
        with contextlib.suppress(Exception):
            if transaction is not None and transaction.is_active:
                transaction.rollback()
        with contextlib.suppress(Exception):
            connection.close()
        if self._connection is connection:
            self._connection = None

    async def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None
        self._engine.dispose()
        self._thread.shutdown()


def _is_busy(error: OperationalError) -> bool:
    return isinstance(error.orig, sqlite3.OperationalError) and "locked" in str(error.orig)


def _run_jobs(connection: Connection, jobs: list[WriteJob[Any]]) -> list[Any]:
    return [job(connection) for job in jobs]
