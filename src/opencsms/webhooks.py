"""Webhooks: domain events POSTed to operators' URLs, signed, retried with back-off, logged.

Each matching event becomes a stored delivery (so a restart loses none), then a dispatcher POSTs
it as JSON ``{"id", "kind", "station_id", "data", "created_at"}`` with the headers

- ``X-Opencsms-Event``: the kind, ``X-Opencsms-Delivery``: the delivery id,
- ``X-Opencsms-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>" with the secret>``.

A 2xx answer delivers it; anything else is retried after 1, 2, 4, ... seconds (capped) until
``max_attempts``, then it is marked failed. Every attempt's outcome is kept on the delivery.
"""

from __future__ import annotations

import asyncio
import builtins
import contextlib
import hashlib
import hmac
import logging
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import orjson
from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.engine import Connection, Row

from opencsms.bus import EventBus, EventFilter, Subscription
from opencsms.domain.events import DomainEvent
from opencsms.store import Store
from opencsms.store.schema_operator_api import webhook_deliveries, webhooks

log = logging.getLogger(__name__)

PENDING, DELIVERED, FAILED = "pending", "delivered", "failed"
SIGNATURE_HEADER = "X-Opencsms-Signature"


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """The signature header value for ``body`` sent at ``timestamp``."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={mac}"


def verify(secret: str, header: str, body: bytes, now: float, tolerance: float = 300.0) -> bool:
    """What a receiver does: check the signature and that it is recent."""
    fields = dict(part.split("=", 1) for part in header.split(",") if "=" in part)
    if not fields.get("t", "").isdigit() or "v1" not in fields:
        return False
    timestamp = int(fields["t"])
    expected = sign(secret, timestamp, body).split("v1=", 1)[1]
    return hmac.compare_digest(expected, fields["v1"]) and abs(now - timestamp) <= tolerance


@dataclass(frozen=True, slots=True)
class Webhook:
    id: int
    url: str
    secret: str
    event_kinds: tuple[str, ...]
    station_ids: tuple[str, ...]
    active: bool
    description: str | None
    created_at: datetime

    @property
    def filter(self) -> EventFilter:
        return EventFilter.of(self.event_kinds, self.station_ids)


@dataclass(frozen=True, slots=True)
class Delivery:
    id: int
    webhook_id: int
    event_kind: str
    station_id: str
    payload: dict[str, Any]
    status: str
    attempts: int
    response_status: int | None
    error: str | None
    created_at: datetime
    next_attempt_at: datetime | None
    finished_at: datetime | None


def _webhook(row: Row[Any]) -> Webhook:
    return Webhook(
        row.id,
        row.url,
        row.secret,
        tuple(row.event_kinds or ()),
        tuple(row.station_ids or ()),
        bool(row.active),
        row.description,
        row.created_at,
    )


def _delivery(row: Row[Any]) -> Delivery:
    return Delivery(
        row.id,
        row.webhook_id,
        row.event_kind,
        row.station_id,
        dict(row.payload),
        row.status,
        row.attempts,
        row.response_status,
        row.error,
        row.created_at,
        row.next_attempt_at,
        row.finished_at,
    )


class WebhookService:
    """Registered webhooks and their deliveries. :meth:`start` begins listening and sending."""

    def __init__(
        self,
        store: Store,
        bus: EventBus,
        *,
        max_attempts: int = 8,
        backoff_base: float = 1.0,
        backoff_max: float = 600.0,
        request_timeout: float = 10.0,
        concurrency: int = 8,
        retention: timedelta = timedelta(days=7),
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        hooks_refresh: float = 0.0,
    ) -> None:
        """``hooks_refresh``: seconds after which the webhooks are read again before events are
        matched to them (in a cluster other nodes change them); 0: only after changes made here."""
        self._store = store
        self._bus = bus
        self.max_attempts = max_attempts
        self._backoff_base = backoff_base
        self._backoff_max = backoff_max
        self._timeout = request_timeout
        self._concurrency = concurrency
        self._retention = retention
        self._clock = clock
        self._hooks: list[Webhook] = []
        self._hooks_refresh = hooks_refresh
        self._hooks_read_at = 0.0
        self._wake = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        # Events are taken only while an active webhook wants them: without webhooks the
        # publishers' hot path offers them to no one (see _follow_hooks).
        self._running = False
        self._listener: asyncio.Task[None] | None = None
        self._subscription: Subscription | None = None

    # -- registry ---------------------------------------------------------------------------------

    async def _reload(self) -> None:
        rows = await self._store.read(
            lambda connection: connection.execute(select(webhooks).order_by(webhooks.c.id)).all()
        )
        self._hooks = [_webhook(row) for row in rows]
        self._hooks_read_at = time.monotonic()
        self._follow_hooks()

    @property
    def listening(self) -> bool:
        """Whether events are being taken (the service runs and an active webhook exists)."""
        return self._subscription is not None

    def _follow_hooks(self) -> None:
        wanted = self._running and any(hook.active for hook in self._hooks)
        if wanted and self._subscription is None:
            # In a cluster each node stores the deliveries of the events it published: one each.
            self._subscription = self._bus.subscribe(EventFilter(local_only=True), max_queued=10_000)
            self._listener = asyncio.get_running_loop().create_task(
                self._listen(self._subscription), name="webhooks-listen"
            )
            # Kept for close(): a listener let go by _follow_hooks may still be storing its last batch.
            self._tasks = [task for task in self._tasks if not task.done()] + [self._listener]
        elif not wanted and self._subscription is not None:
            # The listener stores what it already took, then ends.
            self._subscription.close()
            self._subscription = None
            self._listener = None

    async def create(
        self,
        url: str,
        *,
        secret: str | None = None,
        event_kinds: builtins.list[str] | None = None,
        station_ids: builtins.list[str] | None = None,
        description: str | None = None,
        active: bool = True,
    ) -> Webhook:
        values = {
            "url": url,
            "secret": secret or secrets.token_urlsafe(32),
            "event_kinds": list(event_kinds or []),
            "station_ids": list(station_ids or []),
            "active": active,
            "description": description,
            "created_at": self._clock(),
        }

        def job(connection: Connection) -> Row[Any]:
            new_id = connection.execute(
                insert(webhooks).values(**values).returning(webhooks.c.id)
            ).scalar_one()
            return connection.execute(select(webhooks).where(webhooks.c.id == new_id)).one()

        hook = _webhook(await self._store.write(job))
        await self._reload()
        return hook

    async def get(self, webhook_id: int) -> Webhook | None:
        row = await self._store.read(
            lambda connection: connection.execute(select(webhooks).where(webhooks.c.id == webhook_id)).first()
        )
        return _webhook(row) if row is not None else None

    async def list(self) -> builtins.list[Webhook]:
        await self._reload()
        return list(self._hooks)

    async def update(self, webhook_id: int, **changes: Any) -> Webhook | None:
        """Change some of url, secret, event_kinds, station_ids, active, description; None if unknown."""
        changes = {k: (list(v) if isinstance(v, tuple) else v) for k, v in changes.items()}

        def job(connection: Connection) -> Row[Any] | None:
            if changes:
                connection.execute(update(webhooks).where(webhooks.c.id == webhook_id).values(**changes))
            return connection.execute(select(webhooks).where(webhooks.c.id == webhook_id)).first()

        row = await self._store.write(job)
        await self._reload()
        return _webhook(row) if row is not None else None

    async def delete(self, webhook_id: int) -> bool:
        def job(connection: Connection) -> bool:
            connection.execute(
                delete(webhook_deliveries).where(webhook_deliveries.c.webhook_id == webhook_id)
            )
            return bool(connection.execute(delete(webhooks).where(webhooks.c.id == webhook_id)).rowcount)

        deleted = await self._store.write(job)
        await self._reload()
        return deleted

    async def deliveries(
        self,
        webhook_id: int,
        *,
        status: str | None = None,
        limit: int = 50,
        offset: int = 0,
        descending: bool = True,
    ) -> tuple[builtins.list[Delivery], int]:
        conditions = [webhook_deliveries.c.webhook_id == webhook_id]
        if status is not None:
            conditions.append(webhook_deliveries.c.status == status)
        order = webhook_deliveries.c.id.desc() if descending else webhook_deliveries.c.id.asc()

        def job(connection: Connection) -> tuple[builtins.list[Any], int]:
            rows = connection.execute(
                select(webhook_deliveries).where(*conditions).order_by(order).limit(limit).offset(offset)
            ).all()
            total = connection.execute(
                select(func.count()).select_from(webhook_deliveries).where(*conditions)
            ).scalar_one()
            return list(rows), int(total)

        rows, total = await self._store.read(job)
        return [_delivery(r) for r in rows], total

    async def enqueue(
        self, hooks: builtins.list[Webhook], events: builtins.list[DomainEvent], *, match: bool = True
    ) -> int:
        """Store one delivery per (hook, matching event); returns how many. ``match=False``
        skips the filters (a test ping)."""
        now = self._clock()
        rows = [
            {
                "webhook_id": hook.id,
                "event_kind": event.kind,
                "station_id": event.station_id,
                "payload": {"kind": event.kind, "station_id": event.station_id, "data": event.data},
                "status": PENDING,
                "attempts": 0,
                "created_at": now,
                "next_attempt_at": now,
            }
            for event in events
            for hook in hooks
            if not match or (hook.active and hook.filter.matches(event))
        ]
        if rows:

            def job(connection: Connection) -> None:
                connection.execute(insert(webhook_deliveries), rows)

            await self._store.write(job)
            self._wake.set()
        return len(rows)

    # -- running ----------------------------------------------------------------------------------

    async def start(self) -> None:
        self._running = True
        await self._reload()
        loop = asyncio.get_running_loop()
        self._tasks.append(loop.create_task(self._dispatch(), name="webhooks-dispatch"))
        if self._hooks_refresh:
            # Other nodes add and remove webhooks too; with none active here nothing else reads them.
            self._tasks.append(loop.create_task(self._refresh(), name="webhooks-refresh"))

    async def _refresh(self) -> None:
        while True:
            await asyncio.sleep(self._hooks_refresh)
            if time.monotonic() - self._hooks_read_at >= self._hooks_refresh:
                try:
                    await self._reload()
                except Exception:
                    log.exception("webhooks: could not read the webhooks")

    async def close(self) -> None:
        self._running = False
        if self._subscription is not None:
            self._subscription.close()
        self._listener = self._subscription = None
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self._tasks = []

    async def _listen(self, subscription: Subscription) -> None:
        try:
            while True:
                try:
                    first = await subscription.get()
                except EOFError:
                    return
                batch = [first]
                while len(batch) < 500 and (more := subscription.get_nowait()) is not None:
                    batch.append(more)
                if self._hooks_refresh and time.monotonic() - self._hooks_read_at >= self._hooks_refresh:
                    with contextlib.suppress(Exception):
                        await self._reload()
                if self._hooks:
                    try:
                        await self.enqueue(self._hooks, batch)
                    except Exception:
                        log.exception("webhooks: could not store %d deliveries", len(batch))
        finally:
            subscription.close()

    async def _dispatch(self) -> None:
        next_purge = 0.0
        async with httpx.AsyncClient(timeout=self._timeout, follow_redirects=False) as client:
            while True:
                try:
                    if time.monotonic() >= next_purge:
                        await self._purge()
                        next_purge = time.monotonic() + 3600
                    sent = await self._send_due(client)
                except Exception:
                    log.exception("webhooks: dispatch failed")
                    sent = 0
                if sent == 0:
                    self._wake.clear()
                    # The timeout first: a wake-up coroutine created before a cancelled read
                    # would never be awaited (a RuntimeWarning when it is collected).
                    idle = await self._idle_seconds()
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._wake.wait(), idle)

    async def _idle_seconds(self) -> float:
        soonest = await self._store.read(
            lambda connection: connection.execute(
                select(func.min(webhook_deliveries.c.next_attempt_at)).where(
                    webhook_deliveries.c.status == PENDING
                )
            ).scalar_one()
        )
        if soonest is None:
            return 5.0
        wait: float = (soonest - self._clock()).total_seconds()
        return max(0.01, min(5.0, wait))

    async def _send_due(self, client: httpx.AsyncClient) -> int:
        now = self._clock()
        # Nodes sharing the database take turns: a delivery is leased (its next attempt moved past
        # this one's end) by the node whose update still sees the time it read; a node that dies
        # while sending leaves it to be retried when the lease ends.
        lease_until = now + timedelta(seconds=self._timeout + 60)

        def lease(connection: Connection) -> builtins.list[Row[Any]]:
            due = connection.execute(
                select(webhook_deliveries)
                .where(webhook_deliveries.c.status == PENDING, webhook_deliveries.c.next_attempt_at <= now)
                .order_by(webhook_deliveries.c.id)
                .limit(100)
            ).all()
            leased = []
            for row in due:
                taken = connection.execute(
                    update(webhook_deliveries)
                    .where(
                        webhook_deliveries.c.id == row.id,
                        webhook_deliveries.c.status == PENDING,
                        webhook_deliveries.c.next_attempt_at == row.next_attempt_at,
                    )
                    .values(next_attempt_at=lease_until)
                )
                if taken.rowcount == 1:
                    leased.append(row)
            return leased

        rows = await self._store.write(lease)
        hooks = {hook.id: hook for hook in self._hooks}
        if any(row.webhook_id not in hooks for row in rows):  # made by another node, or since
            await self._reload()
            hooks = {hook.id: hook for hook in self._hooks}
        limit = asyncio.Semaphore(self._concurrency)

        async def attempt(delivery: Delivery) -> None:
            async with limit:
                await self._attempt(client, hooks.get(delivery.webhook_id), delivery)

        await asyncio.gather(*(attempt(_delivery(row)) for row in rows))
        return len(rows)

    async def _attempt(self, client: httpx.AsyncClient, hook: Webhook | None, delivery: Delivery) -> None:
        attempts = delivery.attempts + 1
        status_code: int | None = None
        error: str | None = None
        if hook is None:
            error = "the webhook was removed"
            attempts = self.max_attempts
        else:
            body = orjson.dumps(
                {"id": delivery.id, **delivery.payload, "created_at": delivery.created_at.isoformat()}
            )
            stamp = int(time.time())
            headers = {
                "Content-Type": "application/json",
                "User-Agent": "opencsms-webhooks",
                "X-Opencsms-Event": delivery.event_kind,
                "X-Opencsms-Delivery": str(delivery.id),
                SIGNATURE_HEADER: sign(hook.secret, stamp, body),
            }
            try:
                response = await client.post(hook.url, content=body, headers=headers)
                status_code = response.status_code
                if not response.is_success:
                    error = f"HTTP {status_code}"
            except httpx.HTTPError as exc:
                error = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        now = self._clock()
        values: dict[str, Any] = {"attempts": attempts, "response_status": status_code, "error": error}
        if error is None:
            values |= {"status": DELIVERED, "finished_at": now, "next_attempt_at": None}
        elif attempts >= self.max_attempts:
            values |= {"status": FAILED, "finished_at": now, "next_attempt_at": None}
        else:
            delay = min(self._backoff_max, self._backoff_base * 2 ** (attempts - 1))
            values |= {"next_attempt_at": now + timedelta(seconds=delay)}
        await self._store.write(
            lambda connection: connection.execute(
                update(webhook_deliveries).where(webhook_deliveries.c.id == delivery.id).values(**values)
            )
        )

    async def _purge(self) -> None:
        cutoff = self._clock() - self._retention
        await self._store.write(
            lambda connection: connection.execute(
                delete(webhook_deliveries).where(
                    webhook_deliveries.c.status != PENDING, webhook_deliveries.c.finished_at < cutoff
                )
            )
        )
