"""The :class:`Store`: one database, migrated on open, written through group commit."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import TypeVar

from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from opencsms.sqlite_backup import hold_in_use_lock, release_in_use_lock
from opencsms.store import migrate
from opencsms.store.batched_reads import BatchedReader
from opencsms.store.engine import (
    DEFAULT_URL,
    SqliteSynchronous,
    create_engine,
    create_sqlite_writer_engine,
    resolve_url,
)
from opencsms.store.errors import StoreClosedError
from opencsms.store.group_commit import GroupCommitStats, GroupCommitWriter, TransactionRunner, WriteJob
from opencsms.store.transaction_runners import AsyncEngineRunner, SqliteRunner

T = TypeVar("T")
ReadJob = Callable[[Connection], T]


class Store:
    """Access to the database: durable writes through group commit, reads straight through.

    Create it with :meth:`open`; close it with :meth:`close` (or ``async with``).
    """

    def __init__(
        self, engine: AsyncEngine, writer: GroupCommitWriter, reader: BatchedReader | None = None
    ) -> None:
        """Use :meth:`open`; this only wires already-built parts together."""
        self._engine = engine
        self._writer = writer
        self._reader = reader
        self._closed = False
        #: The shared "in use" lock of a SQLite file (opencsms.sqlite_backup), closed with the store.
        self.in_use_lock: int | None = None

    @classmethod
    async def open(
        cls,
        url: str = DEFAULT_URL,
        *,
        migrate_to_head: bool = True,
        sqlite_synchronous: SqliteSynchronous = SqliteSynchronous.FULL,
        max_batch: int = 5000,
        batch_window: float = 0.0,
    ) -> Store:
        """Connect to ``url``, migrate the schema to head and start the writer.

        ``url`` is ``sqlite+aiosqlite:///path`` or ``postgresql+asyncpg://...``; a bare
        ``sqlite:`` or ``postgresql:`` scheme gets the async driver. A SQLite file's folder is
        created. See :class:`~opencsms.store.group_commit.GroupCommitWriter` for the batch
        settings.

        Raises:
            ValueError: the URL is unsupported (in-memory SQLite, another backend).
            OSError: the SQLite folder cannot be created.
            sqlalchemy.exc.SQLAlchemyError: the database is unreachable or a migration failed.
        """
        resolved = resolve_url(url)
        engine = create_engine(resolved, sqlite_synchronous=sqlite_synchronous)
        try:
            if migrate_to_head:
                await migrate.upgrade(engine)
        except BaseException:
            await engine.dispose()
            raise
        runner: TransactionRunner
        reader = None
        if engine.dialect.name == "sqlite":
            runner = SqliteRunner(
                create_sqlite_writer_engine(resolved, sqlite_synchronous=sqlite_synchronous)
            )
            reader = BatchedReader(
                create_sqlite_writer_engine(resolved, sqlite_synchronous=sqlite_synchronous)
            )
        else:
            runner = AsyncEngineRunner(engine)
        writer = GroupCommitWriter(runner, max_batch=max_batch, batch_window=batch_window)
        writer.start()
        store = cls(engine, writer, reader)
        if engine.dialect.name == "sqlite" and resolved.database and not resolved.query.get("uri"):
            store.in_use_lock = hold_in_use_lock(Path(resolved.database))
        return store

    @property
    def engine(self) -> AsyncEngine:
        """The SQLAlchemy engine, for tools (benchmarks, admin commands) that need it."""
        return self._engine

    @property
    def dialect(self) -> str:
        """``"sqlite"`` or ``"postgresql"``."""
        return self._engine.dialect.name

    @property
    def write_stats(self) -> GroupCommitStats:
        """Group-commit counters since open."""
        return self._writer.stats

    async def write(self, job: WriteJob[T]) -> T:
        """Run ``job`` in a write transaction; return its result once it is committed.

        The job may share its transaction with other callers' jobs and may run twice (see
        :mod:`opencsms.store.group_commit`).

        Raises:
            StoreClosedError: the store is closed.
            Exception: whatever the job (or the database, at commit) raised; nothing of this
                job is written then.
        """
        return await self._writer.submit(job)

    def write_behind(self, job: WriteJob[T]) -> asyncio.Future[T]:
        """Queue ``job`` without waiting; for data that may be lost on a crash (last seen).

        :meth:`close` still commits it. The caller should watch the future for failures.

        Raises:
            StoreClosedError: the store is closed.
        """
        return self._writer.submit(job)

    async def read(self, job: ReadJob[T]) -> T:
        """Run ``job`` on a pooled connection and return its result.

        Raises:
            StoreClosedError: the store is closed.
            sqlalchemy.exc.SQLAlchemyError: the query failed.
        """
        if self._closed:
            raise StoreClosedError("the store is closed")
        if self._reader is not None:
            return await self._reader.read(job)
        async with self._engine.connect() as connection:
            return await connection.run_sync(job)

    async def close(self) -> None:
        """Commit queued writes, stop the writer and close every connection. Idempotent."""
        if self._closed:
            return
        self._closed = True
        try:
            await self._writer.close()
            if self._reader is not None:
                await self._reader.close()
        finally:
            await self._engine.dispose()
            if self.in_use_lock is not None:
                release_in_use_lock(self.in_use_lock)
                self.in_use_lock = None

    async def __aenter__(self) -> Store:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.close()
