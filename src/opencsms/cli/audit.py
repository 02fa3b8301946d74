"""`opencsms audit`: read the audit log (on the store directly); and the audit of changes the CLI
makes on the store itself (``audited``), which no API call sees."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from opencsms.cli.output import print_table

if TYPE_CHECKING:
    from opencsms.store import Store


class HasStore(Protocol):
    @property
    def store(self) -> Store: ...


S = TypeVar("S", bound=HasStore)


def audited(
    action: str, target: str | None = None
) -> Callable[
    [Callable[[S, argparse.Namespace], Awaitable[int]]], Callable[[S, argparse.Namespace], Awaitable[int]]
]:
    """Record a CLI command that changes the store: ``action`` ("user add"), the argument naming
    what it changed, and its exit code (0 done, else refused)."""

    def wrap(
        work: Callable[[S, argparse.Namespace], Awaitable[int]],
    ) -> Callable[[S, argparse.Namespace], Awaitable[int]]:
        async def job(service: S, args: argparse.Namespace) -> int:
            from opencsms.audit import AuditLog

            code = await work(service, args)
            named = str(getattr(args, target)) if target and getattr(args, target, None) is not None else None
            await AuditLog(service.store).record_cli(action, code, target=named)
            return code

        return job

    return wrap


COLUMNS = ["id", "at", "user_name", "api_key_name", "auth", "action", "target", "client_address", "status"]


async def _show(args: argparse.Namespace) -> int:
    import csv

    from opencsms.audit import AuditFilter, AuditLog
    from opencsms.settings import Settings
    from opencsms.store import Store

    settings = Settings.from_env(database_url=args.database_url)
    store = await Store.open(settings.database_url)
    try:
        where = AuditFilter(
            user_name=args.user,
            action=args.action,
            target=args.target,
            succeeded=False if args.failed else None,
            at_from=datetime.fromisoformat(args.since) if args.since else None,
            at_to=datetime.fromisoformat(args.until) if args.until else None,
        )
        log = AuditLog(store)
        if args.csv:
            writer = csv.writer(sys.stdout)
            writer.writerow(COLUMNS)
            async for entry in log.export(where):
                writer.writerow(
                    ["" if getattr(entry, c) is None else _text(getattr(entry, c)) for c in COLUMNS]
                )
            return 0
        entries, total = await log.search(where, limit=args.limit)
        rows: list[dict[str, Any]] = [
            {c: _text(getattr(e, c)) if getattr(e, c) is not None else None for c in COLUMNS} for e in entries
        ]
        print_table(rows, COLUMNS)
        if total > len(entries):
            print(
                f"({len(entries)} of {total}, newest first; --limit for more, --csv for all)", file=sys.stderr
            )
        return 0
    finally:
        await store.close()


def _text(value: object) -> str:
    if isinstance(value, datetime):
        return value.isoformat(timespec="seconds")
    return str(value)


def add_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    audit = sub.add_parser("audit", help="the audit log: who did what, when, from where, with what result")
    audit.add_argument("--database-url", default=None)
    audit.add_argument("--user", help="only this user's (os:NAME for the CLI's)")
    audit.add_argument(
        "--action", help="only actions starting with this (e.g. 'POST /api/v1/stations', 'login')"
    )
    audit.add_argument("--target", help="only about this station, user, ...")
    audit.add_argument("--failed", action="store_true", help="only refused or failed ones")
    audit.add_argument("--since", help="from this time (ISO 8601)")
    audit.add_argument("--until", help="before this time (ISO 8601)")
    audit.add_argument("--limit", type=int, default=50, help="rows to show, newest first (default 50)")
    audit.add_argument("--csv", action="store_true", help="every matching row as CSV, oldest first")

    def run(args: argparse.Namespace) -> int:
        from opencsms.cli.main import run_async

        return run_async(_show(args))

    audit.set_defaults(func=run)
