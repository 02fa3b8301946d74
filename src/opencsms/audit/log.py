"""The audit log: every mutating API call, every command, every login and every change made with
the CLI is one row. Rows are only ever inserted (the database refuses UPDATE and DELETE on the
table, see migration 0015); admins read and export them.

A row names who (the user, and the API key when one was used), what (the action: the route
template such as ``POST /api/v1/stations/{station_id}/commands/reset``, the concrete path and
the station or user it was about), when, from where (the client address as the API sees it)
and the result (the HTTP status; for the CLI 0 done, 1 refused). Request bodies are not
kept: they can hold passwords and secrets.
"""

from __future__ import annotations

import getpass
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Select, func, insert, not_, or_, select
from sqlalchemy.engine import Connection, Row

from opencsms.store import Store
from opencsms.store.schema_accounts import audit_log

#: The client address written for changes made with the CLI on the server's machine.
LOCAL = "local"


@dataclass(frozen=True, slots=True)
class AuditRecord:
    """One thing that happened, as recorded."""

    action: str
    status: int
    auth: str
    user_id: int | None = None
    user_name: str | None = None
    api_key_id: int | None = None
    api_key_name: str | None = None
    method: str | None = None
    path: str | None = None
    target: str | None = None
    details: dict[str, Any] | None = None
    client_address: str | None = None


@dataclass(frozen=True, slots=True)
class AuditEntry:
    id: int
    at: datetime
    user_id: int | None
    user_name: str | None
    api_key_id: int | None
    api_key_name: str | None
    auth: str
    action: str
    method: str | None
    path: str | None
    target: str | None
    details: dict[str, Any] | None
    client_address: str | None
    status: int


@dataclass(frozen=True, slots=True)
class AuditFilter:
    """Which rows: each field set narrows the search (``action`` matches a prefix)."""

    user_name: str | None = None
    api_key_name: str | None = None
    auth: str | None = None
    action: str | None = None
    method: str | None = None
    target: str | None = None
    client_address: str | None = None
    status: int | None = None
    #: True: done (HTTP status below 400, CLI exit code 0); False: refused or failed.
    succeeded: bool | None = None
    at_from: datetime | None = None
    at_to: datetime | None = None

    def apply(self, query: Select[Any]) -> Select[Any]:
        c = audit_log.c
        exact = {
            c.user_name: self.user_name,
            c.api_key_name: self.api_key_name,
            c.auth: self.auth,
            c.method: self.method,
            c.target: self.target,
            c.client_address: self.client_address,
            c.status: self.status,
        }
        for column, value in exact.items():
            if value is not None:
                query = query.where(column == value)
        if self.action is not None:
            query = query.where(c.action.startswith(self.action, autoescape=True))
        if self.succeeded is not None:
            done = or_(c.status == 0, c.status.between(100, 399))
            query = query.where(done if self.succeeded else not_(done))
        if self.at_from is not None:
            query = query.where(c.at >= self.at_from)
        if self.at_to is not None:
            query = query.where(c.at < self.at_to)
        return query


def cli_actor() -> str:
    """Who runs the CLI: the operating system's user name."""
    try:
        return f"os:{getpass.getuser()}"
    except (KeyError, OSError):  # no name for this uid (a container)
        return "os:unknown"


def _all_of(query: Select[Any]) -> Callable[[Connection], Sequence[Row[Any]]]:
    return lambda connection: connection.execute(query).all()


def _entry(row: Row[Any]) -> AuditEntry:
    return AuditEntry(**row._asdict())


class AuditLog:
    """Record and read the audit log."""

    def __init__(self, store: Store, *, clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self._store = store
        self._clock = clock

    async def record(self, record: AuditRecord) -> int:
        """Store one row; returns once it is durable."""
        values = {**asdict(record), "at": self._clock()}
        for name, limit in (("path", 1024), ("target", 255), ("user_name", 255), ("client_address", 64)):
            if isinstance(values[name], str):
                values[name] = values[name][:limit]

        def job(connection: Connection) -> int:
            return int(
                connection.execute(insert(audit_log).values(**values).returning(audit_log.c.id)).scalar_one()
            )

        return await self._store.write(job)

    async def record_cli(self, action: str, status: int, *, target: str | None = None, **details: Any) -> int:
        """A change made with the CLI on the store directly (no API key is involved)."""
        return await self.record(
            AuditRecord(
                action=f"cli {action}",
                status=status,
                auth="cli",
                user_name=cli_actor(),
                target=target,
                details=details or None,
                client_address=LOCAL,
            )
        )

    async def search(
        self, where: AuditFilter, *, limit: int = 50, offset: int = 0, newest_first: bool = True
    ) -> tuple[list[AuditEntry], int]:
        """A page of rows and how many match in all."""
        order = audit_log.c.id.desc() if newest_first else audit_log.c.id.asc()
        page = where.apply(select(audit_log)).order_by(order).limit(limit).offset(offset)
        count = where.apply(select(func.count()).select_from(audit_log))

        def job(connection: Connection) -> tuple[list[AuditEntry], int]:
            return [_entry(row) for row in connection.execute(page)], int(
                connection.execute(count).scalar_one()
            )

        return await self._store.read(job)

    async def export(self, where: AuditFilter, *, batch: int = 1000) -> AsyncIterator[AuditEntry]:
        """Every matching row, oldest first, read in batches."""
        after = 0
        while True:
            query = (
                where.apply(select(audit_log))
                .where(audit_log.c.id > after)
                .order_by(audit_log.c.id)
                .limit(batch)
            )
            rows = await self._store.read(_all_of(query))
            for row in rows:
                yield _entry(row)
            if len(rows) < batch:
                return
            after = rows[-1].id
