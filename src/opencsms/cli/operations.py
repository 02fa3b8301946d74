"""`opencsms backup` and `opencsms restore`: a SQLite deployment's files, copied with SQLite's
online backup while the server runs, and put back while it does not (docs/operations.md)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def _database(args: argparse.Namespace) -> Path:
    from opencsms.settings import Settings
    from opencsms.sqlite_backup import sqlite_file_of

    return sqlite_file_of(Settings.from_env(database_url=args.database_url).database_url)


def _backup(args: argparse.Namespace) -> int:
    from opencsms.sqlite_backup import BackupError, backup

    try:
        written = backup(_database(args), Path(args.path))
    except (BackupError, OSError, ValueError) as exc:
        print(f"backup failed: {exc}", file=sys.stderr)
        return 1
    for path in written:
        print(f"wrote {path}")
    return 0


def _restore(args: argparse.Namespace) -> int:
    from opencsms.sqlite_backup import BackupError, restore

    try:
        database = _database(args)
        written = restore(Path(args.path), database)
    except (BackupError, OSError, ValueError) as exc:
        print(f"restore failed: {exc}", file=sys.stderr)
        return 1
    for path in written:
        print(f"restored {path}")
    return 0


def add_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    database = argparse.ArgumentParser(add_help=False)
    database.add_argument(
        "--database-url", default=None, help="the deployment's database (default: OPENCSMS_DATABASE_URL)"
    )
    backup = sub.add_parser(
        "backup",
        parents=[database],
        help="copy a SQLite deployment (store and message log) while it runs",
        description="Writes PATH and, when the deployment has a message log, <PATH stem>-messages.db "
        "beside it. The server may keep running. PostgreSQL: use pg_dump (docs/operations.md).",
    )
    backup.add_argument("path", help="the backup file to write, e.g. backups/opencsms-2026-12-07.db")
    backup.set_defaults(func=_backup)
    restore = sub.add_parser(
        "restore",
        parents=[database],
        help="put a backup back (the server must be stopped)",
        description="Replaces the deployment's store (and message log) with the backup at PATH. "
        "Refuses while a server has the database open.",
    )
    restore.add_argument("path", help="a file written by `opencsms backup`")
    restore.set_defaults(func=_restore)
