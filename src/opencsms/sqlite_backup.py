"""Backup and restore of a SQLite deployment with SQLite's online backup API.

A deployment on SQLite is two files: the store (``opencsms.db``) and the OCPP message log beside
it (``opencsms-messages.db``, ADR 0013). :func:`backup` copies both while the server runs: each
copy is one read transaction on its source, so it is the database as of one commit (WAL lets the
server keep writing meanwhile). Whatever the server acknowledged before the backup began was
committed before it, so it is in the copy.

A store holds a shared lock on ``<database>.lock`` while it is open (:func:`hold_in_use_lock`);
:func:`restore` takes it exclusively and so refuses while a server (or any other store user) has
the database open.

Standard library only: the CLI's ``backup`` and ``restore`` load no database layer.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import sqlite3
from pathlib import Path

#: Seconds a copy waits for a lock held by the server's writer before giving up.
BUSY_TIMEOUT_MS = 30_000


class BackupError(Exception):
    """A backup or restore cannot be done; the message says why in words."""


def message_log_file(database: Path) -> Path:
    """``<name>-messages<suffix>`` next to ``database``: where its message log lives."""
    return database.with_name(f"{database.stem}-messages{database.suffix or '.db'}")


def lock_file(database: Path) -> Path:
    return database.with_name(database.name + ".lock")


def sqlite_file_of(database_url: str) -> Path:
    """The file of a SQLite URL (``sqlite+aiosqlite:///var/opencsms.db``).

    Raises:
        BackupError: the URL is not a SQLite file (PostgreSQL is backed up with its own tools).
    """
    scheme, separator, rest = database_url.partition(":///")
    if not separator or not scheme.startswith("sqlite"):
        raise BackupError(
            f"{_masked(database_url)} is not a SQLite database; back up PostgreSQL with pg_dump "
            "(docs/operations.md)"
        )
    path = rest.partition("?")[0]
    if path in ("", ":memory:"):
        raise BackupError(f"{database_url!r} names no database file")
    return Path(path)


def _masked(url: str) -> str:
    scheme, separator, rest = url.partition("://")
    credentials, at, host = rest.rpartition("@")
    if not separator or not at:
        return url
    return f"{scheme}://{credentials.partition(':')[0]}:***@{host}"


def hold_in_use_lock(database: Path) -> int:
    """Take a shared lock saying "this database is open"; returns the descriptor to close.

    Several stores may hold it at once; :func:`restore` cannot while any does.
    """
    database.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(lock_file(database), os.O_RDWR | os.O_CREAT, 0o600)
    fcntl.flock(descriptor, fcntl.LOCK_SH)
    return descriptor


def release_in_use_lock(descriptor: int) -> None:
    os.close(descriptor)  # closing drops the lock


def _copy(source: Path, destination: Path) -> None:
    """Copy ``source`` into ``destination`` (replacing its content) in one read transaction."""
    timeout = BUSY_TIMEOUT_MS / 1000
    with (
        contextlib.closing(sqlite3.connect(source, timeout=timeout)) as reader,
        contextlib.closing(sqlite3.connect(destination, timeout=timeout)) as writer,
    ):
        reader.backup(writer)  # pages=-1: everything in one step, a snapshot of one commit
        writer.execute("PRAGMA journal_mode=DELETE")  # a self-contained file, no -wal beside it


def _check(path: Path) -> None:
    """Raises BackupError when ``path`` is not a sound SQLite database."""
    try:
        with contextlib.closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as connection:
            result = connection.execute("PRAGMA quick_check").fetchone()
    except sqlite3.Error as exc:
        raise BackupError(f"{path} is not a SQLite database: {exc}") from None
    if result is None or result[0] != "ok":
        raise BackupError(f"{path} is damaged: {result[0] if result else 'no answer'}")


def backup(database: Path, target: Path) -> list[Path]:
    """Copy the store at ``database`` and its message log (when there is one) to ``target`` and
    ``<target stem>-messages.db``; returns the files written. The server may be running.

    Each file is written under a temporary name and renamed when complete, so an interrupted
    backup leaves no half copy behind.

    Raises:
        BackupError: there is no database at ``database``, or a copy failed.
    """
    if not database.is_file():
        raise BackupError(f"there is no database at {database}")
    target.parent.mkdir(parents=True, exist_ok=True)
    pairs = [(database, target)]
    if message_log_file(database).is_file():
        pairs.append((message_log_file(database), message_log_file(target)))
    written: list[Path] = []
    for source, destination in pairs:
        partial = destination.with_name(destination.name + ".partial")
        partial.unlink(missing_ok=True)
        try:
            _copy(source, partial)
            _check(partial)
        except sqlite3.Error as exc:
            partial.unlink(missing_ok=True)
            raise BackupError(f"copying {source} failed: {exc}") from None
        except BaseException:
            partial.unlink(missing_ok=True)
            raise
        os.replace(partial, destination)
        written.append(destination)
    return written


def restore(source: Path, database: Path) -> list[Path]:
    """Put the backup at ``source`` (and its ``-messages`` file, if any) back as ``database``;
    returns the files written. Without a message log in the backup, the log at ``database`` is
    removed (its frames belong to the replaced store).

    Raises:
        BackupError: the backup is missing or damaged, or a server has ``database`` open.
    """
    if not source.is_file():
        raise BackupError(f"there is no backup at {source}")
    _check(source)
    log_backup = message_log_file(source)
    if log_backup.is_file():
        _check(log_backup)
    database.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(lock_file(database), os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise BackupError(
                f"{database} is in use (a server is running on it); stop it, then restore"
            ) from None
        written = [database]
        _copy(source, database)
        log = message_log_file(database)
        if log_backup.is_file():
            _copy(log_backup, log)
            written.append(log)
        else:
            for stale in (log, Path(f"{log}-wal"), Path(f"{log}-shm")):
                stale.unlink(missing_ok=True)
        return written
    except sqlite3.Error as exc:
        raise BackupError(f"restoring {database} failed: {exc}") from None
    finally:
        os.close(descriptor)
