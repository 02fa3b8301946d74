"""Webhook retry schedule and signatures (src/opencsms/webhooks.py), without a network."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from opencsms.bus import InProcessBus
from opencsms.domain.events import DomainEvent
from opencsms.store import Store
from opencsms.webhooks import WebhookService, sign, verify
from tests.simulate.csms import poll

NOW = datetime(2026, 1, 1, tzinfo=UTC)


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[Store]:
    s = await Store.open(f"sqlite+aiosqlite:///{tmp_path / 'wh.db'}")
    try:
        yield s
    finally:
        await s.close()


async def test_failed_attempts_back_off_exponentially_up_to_the_cap(store: Store) -> None:
    clock = [NOW]
    service = WebhookService(
        store, InProcessBus(), max_attempts=5, backoff_base=1.0, backoff_max=3.0, clock=lambda: clock[0]
    )
    hook = await service.create("http://receiver.invalid/hook", secret="x" * 16)
    await service.enqueue([hook], [DomainEvent("station.connected", "CP1", {})])
    calls: list[httpx.Request] = []
    client = httpx.AsyncClient(
        transport=httpx.MockTransport(lambda r: calls.append(r) or httpx.Response(502))
    )
    delays = []
    for _ in range(5):
        assert await service._send_due(client) == 1
        (delivery,), _ = await service.deliveries(hook.id)
        if delivery.next_attempt_at is None:
            break
        delays.append((delivery.next_attempt_at - clock[0]).total_seconds())
        assert await service._send_due(client) == 0  # not due yet
        clock[0] = delivery.next_attempt_at
    await client.aclose()
    assert delays == [1.0, 2.0, 3.0, 3.0]
    assert (delivery.status, delivery.attempts, delivery.error) == ("failed", 5, "HTTP 502")
    assert len(calls) == 5


async def test_an_unreachable_receiver_is_an_error_not_a_crash(store: Store) -> None:
    service = WebhookService(store, InProcessBus(), clock=lambda: NOW)
    hook = await service.create("http://127.0.0.1:9/hook")

    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    await service.enqueue([hook], [DomainEvent("x", "CP1", {})])
    async with httpx.AsyncClient(transport=httpx.MockTransport(refuse)) as client:
        await service._send_due(client)
    (delivery,), _ = await service.deliveries(hook.id)
    assert delivery.status == "pending" and delivery.error == "ConnectError: connection refused"
    assert delivery.next_attempt_at == NOW + timedelta(seconds=1)


def test_signatures_cover_the_time_and_the_body() -> None:
    header = sign("secret", 1000, b'{"a":1}')
    assert verify("secret", header, b'{"a":1}', now=1010)
    assert not verify("secret", header, b'{"a":2}', now=1010)
    assert not verify("secret", header, b'{"a":1}', now=2000)  # replayed too late
    assert not verify("secret", "garbage", b"", now=1000)


@pytest.mark.postgres
async def test_two_nodes_on_one_database_send_a_due_delivery_once(request: pytest.FixtureRequest) -> None:
    """Both dispatchers see the same due delivery; only the one whose lease took it sends it."""
    from tests.db_fixtures import _empty_schema, _postgres_database

    url = _postgres_database(request.config)
    _empty_schema(url)
    store_a, store_b = await Store.open(url), await Store.open(url)
    try:
        node_a = WebhookService(store_a, InProcessBus(), clock=lambda: NOW)
        node_b = WebhookService(store_b, InProcessBus(), clock=lambda: NOW)
        hook = await node_a.create("http://receiver.invalid/hook", secret="x" * 16)
        await node_a.enqueue([hook], [DomainEvent("station.connected", "CP1", {})])
        await node_b._reload()
        calls: list[httpx.Request] = []
        client = httpx.AsyncClient(
            transport=httpx.MockTransport(lambda r: calls.append(r) or httpx.Response(204))
        )
        sent = await asyncio.gather(node_a._send_due(client), node_b._send_due(client))
        await client.aclose()
        assert sorted(sent) == [0, 1] and len(calls) == 1
        (delivery,), _ = await node_b.deliveries(hook.id)
        assert delivery.status == "delivered"
    finally:
        await store_a.close()
        await store_b.close()


async def test_events_are_taken_only_while_an_active_webhook_exists(store: Store) -> None:
    bus = InProcessBus()
    service = WebhookService(store, bus, clock=lambda: NOW)
    await service.start()
    try:
        assert not service.listening and bus.subscriber_count == 0
        hook = await service.create("http://receiver.invalid/hook", secret="x" * 16)
        assert service.listening and bus.subscriber_count == 1
        bus.publish(DomainEvent("station.connected", "CP1", {}))
        for _ in range(500):
            deliveries, _ = await service.deliveries(hook.id)
            if deliveries:
                break
            await asyncio.sleep(0.01)
        assert [d.event_kind for d in deliveries] == ["station.connected"]
        await service.update(hook.id, active=False)
        assert not service.listening and bus.subscriber_count == 0
        bus.publish(DomainEvent("station.connected", "CP2", {}))
        await service.update(hook.id, active=True)
        assert service.listening
    finally:
        await service.close()
    assert bus.subscriber_count == 0
    deliveries, _ = await service.deliveries(hook.id)
    assert len(deliveries) == 1  # nothing was taken while no webhook was active


async def test_a_webhook_added_by_another_node_is_followed_without_events(store: Store) -> None:
    bus = InProcessBus()
    here = WebhookService(store, bus, clock=lambda: NOW, hooks_refresh=0.05)
    elsewhere = WebhookService(store, InProcessBus(), clock=lambda: NOW)
    await here.start()
    try:
        assert not here.listening
        await elsewhere.create("http://receiver.invalid/hook", secret="x" * 16)
        await poll(lambda: here.listening)
        assert bus.subscriber_count == 1
    finally:
        await here.close()
