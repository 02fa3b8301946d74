"""Engine creation: URL defaults, SQLite pragmas and SQLite transaction control."""

from __future__ import annotations

import contextlib
import itertools
import os
import sqlite3
import stat
import time
from enum import StrEnum
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine as create_sync_engine
from sqlalchemy import event
from sqlalchemy.engine import URL, Connection, Engine, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

DEFAULT_URL = "sqlite+aiosqlite:///var/opencsms.db"

# Execution option: a connection that will write (SQLite takes the write lock at BEGIN).
WRITER_OPTION = "opencsms_writer"

BUSY_TIMEOUT_MS = 10_000
_WAL_RETRY_SECONDS = 0.02

_ASYNC_DRIVERS = {
    "sqlite": "sqlite+aiosqlite",
    "postgresql": "postgresql+asyncpg",
    "postgres": "postgresql+asyncpg",
}


class SqliteSynchronous(StrEnum):
    """SQLite ``PRAGMA synchronous`` levels that are safe to choose with WAL.

    FULL: a commit survives power loss. NORMAL: a commit survives a crash of the process (the
    WAL is in the OS page cache), but the last commits may roll back after power loss or an
    OS crash.
    """

    FULL = "FULL"
    NORMAL = "NORMAL"


def resolve_url(url: str) -> URL:
    """Parse ``url``, picking the async driver when none is named.

    Raises:
        ValueError: the URL names an in-memory SQLite database (each pooled connection would
            see a different, empty database) or a backend other than SQLite or PostgreSQL.
    """
    parsed = make_url(url)
    backend = parsed.get_backend_name()
    if parsed.drivername in _ASYNC_DRIVERS:
        parsed = parsed.set(drivername=_ASYNC_DRIVERS[parsed.drivername])
    if backend == "sqlite":
        if parsed.database in (None, "", ":memory:"):
            raise ValueError(f"in-memory SQLite is not supported, give a file path: {url!r}")
    elif backend not in ("postgresql", "postgres"):
        raise ValueError(f"unsupported database backend {backend!r} in {url!r}")
    return parsed


def create_engine(url: URL, *, sqlite_synchronous: SqliteSynchronous) -> AsyncEngine:
    """Create the async engine for ``url`` (from :func:`resolve_url`).

    For a SQLite file, creates its folder and sets up every new connection with WAL, foreign
    keys, a busy timeout and the ``synchronous`` level.

    Raises:
        OSError: the SQLite database folder cannot be created.
    """
    if url.get_backend_name() != "sqlite":
        return create_async_engine(url)
    assert url.database is not None
    if not url.query.get("uri"):
        Path(url.database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_async_engine(url)
    _configure_sqlite(engine.sync_engine, sqlite_synchronous)
    return engine


def create_sqlite_writer_engine(url: URL, *, sqlite_synchronous: SqliteSynchronous) -> Engine:
    """A blocking (pysqlite) engine on the SQLite file of ``url``, set up like :func:`create_engine`.

    For the group-commit writer and the batched reader, which each run a whole batch in one
    worker thread: aiosqlite hands every statement to its own thread and back, which costs
    about four times the statement itself.
    """
    # Used from the event loop and from a worker thread, one after the other, never at once.
    engine = create_sync_engine(
        url.set(drivername="sqlite"), pool_size=1, connect_args={"check_same_thread": False}
    )
    _configure_sqlite(engine, sqlite_synchronous)
    return engine


def _use_wal(cursor: Any) -> None:
    # WAL mode is stored in the file, so only a new database needs the switch, and the switch
    # needs every other connection gone: SQLite then answers "database is locked" at once,
    # without the busy timeout, when several processes open a new file together. Retry.
    cursor.execute("PRAGMA journal_mode")
    if cursor.fetchone()[0] == "wal":
        return
    for attempt in itertools.count():
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError:
            if attempt * _WAL_RETRY_SECONDS * 1000 >= BUSY_TIMEOUT_MS:
                raise
            time.sleep(_WAL_RETRY_SECONDS)


def _owner_only(cursor: Any) -> None:
    # The database holds password hashes and every station's data: readable by its owner only.
    # SQLite creates the -wal and -shm files with the database file's mode, so they follow.
    cursor.execute("PRAGMA database_list")
    for _, name, path in cursor.fetchall():
        if name != "main" or not path:
            continue
        for file in (path, f"{path}-wal", f"{path}-shm"):
            with contextlib.suppress(OSError):  # not there (yet), or not ours to change
                if stat.S_IMODE(os.stat(file).st_mode) & 0o077:
                    os.chmod(file, 0o600)


def _configure_sqlite(engine: Engine, synchronous: SqliteSynchronous) -> None:
    @event.listens_for(engine, "connect")
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        # sqlite3's own transaction handling skips BEGIN before SELECT and DDL; take it over
        # (the SQLAlchemy-documented recipe) so transactions and migrations are really atomic.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            # Another process (the CLI, a second server) may hold the write lock for a moment.
            cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
            _owner_only(cursor)
            _use_wal(cursor)
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute(f"PRAGMA synchronous={synchronous.value}")
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def on_begin(connection: Connection) -> None:
        # A writer takes the write lock up front (BEGIN IMMEDIATE): a deferred transaction that
        # reads first and then writes fails at once with SQLITE_BUSY when another process wrote
        # in between, without waiting for the busy timeout.
        writer = connection.get_execution_options().get(WRITER_OPTION, False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if writer else "BEGIN")
