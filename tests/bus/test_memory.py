"""The in-process bus: filtering, per-subscriber bounded queues, closing."""

from __future__ import annotations

import asyncio

import pytest

from opencsms.bus import EventFilter, InProcessBus
from opencsms.domain.events import DomainEvent


def ev(kind: str, station: str = "CP1", **data: object) -> DomainEvent:
    return DomainEvent(kind, station, dict(data))


async def test_every_subscriber_gets_what_matches_its_filter_in_order() -> None:
    bus = InProcessBus()
    everything = bus.subscribe()
    transactions = bus.subscribe(EventFilter.of(["transaction.*"]))
    cp2_status = bus.subscribe(EventFilter.of(["connector.status"], ["CP2"]))
    published = [ev("transaction.started"), ev("connector.status", "CP2"), ev("transaction.ended", "CP2")]
    for event in published:
        bus.publish(event)
    assert [await everything.get() for _ in range(3)] == published
    assert [await transactions.get() for _ in range(2)] == [published[0], published[2]]
    assert await cp2_status.get() == published[1]


def test_a_filter_with_exact_kinds_does_not_match_prefixes() -> None:
    only_started = EventFilter.of(["transaction.started"])
    assert only_started.matches(ev("transaction.started"))
    assert not only_started.matches(ev("transaction.started.more"))
    assert EventFilter.of([], []).matches(ev("anything"))


async def test_a_slow_subscriber_loses_its_oldest_events_and_never_blocks_the_publisher() -> None:
    bus = InProcessBus()
    slow = bus.subscribe(max_queued=3)
    fast = bus.subscribe(max_queued=100)
    for i in range(10):
        bus.publish(ev("x", n=i))  # returns at once: publish is synchronous and never waits
    assert slow.dropped == 7 and fast.dropped == 0
    assert [(await slow.get()).data["n"] for _ in range(3)] == [7, 8, 9]
    assert [(await fast.get()).data["n"] for _ in range(10)] == list(range(10))


async def test_a_waiting_subscriber_wakes_on_publish_and_ends_when_closed() -> None:
    bus = InProcessBus()
    sub = bus.subscribe()
    waiter = asyncio.create_task(sub.get())
    await asyncio.sleep(0)
    bus.publish(ev("a"))
    assert (await waiter).kind == "a"
    received = []

    async def consume() -> None:
        async for event in sub:
            received.append(event.kind)

    task = asyncio.create_task(consume())
    bus.publish(ev("b"))
    await asyncio.sleep(0)
    sub.close()
    await asyncio.wait_for(task, 1)
    assert received == ["b"] and bus.subscriber_count == 0
    bus.publish(ev("c"))  # nobody left: nothing queued, nothing raised
    with pytest.raises(EOFError):
        await sub.get()


def test_a_queue_must_hold_at_least_one_event() -> None:
    with pytest.raises(ValueError, match="max_queued"):
        InProcessBus().subscribe(max_queued=0)


def test_a_kind_judged_once_is_still_filtered_by_station() -> None:
    cp2_transactions = EventFilter.of(["transaction.*"], ["CP2"])
    assert cp2_transactions.matches(ev("transaction.started", "CP2"))
    assert not cp2_transactions.matches(ev("transaction.started", "CP1"))
    assert cp2_transactions.matches(ev("transaction.started", "CP2"))
    assert not cp2_transactions.matches(ev("connector.status", "CP2"))


def test_judged_kinds_kept_are_bounded_and_verdicts_stay_right_beyond() -> None:
    prefixed = EventFilter.of(["site.*"])
    for n in range(1000):
        assert prefixed.matches(ev(f"site.k{n}"))
        assert not prefixed.matches(ev(f"other.k{n}"))
    assert len(prefixed._verdicts) <= 256


def test_the_bus_wants_a_kind_while_a_subscriber_takes_it() -> None:
    bus = InProcessBus()
    assert not bus.wants("transaction.meter")
    booted = bus.subscribe(EventFilter.of(["station.booted"], ["CP1"]))
    assert bus.wants("station.booted") and not bus.wants("transaction.meter")
    transactions = bus.subscribe(EventFilter.of(["transaction.*"]))
    assert bus.wants("transaction.meter")
    transactions.close()
    booted.close()
    assert not bus.wants("station.booted")
