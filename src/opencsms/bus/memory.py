"""The in-process bus: one bounded queue per subscriber, filled synchronously by the publisher."""

from __future__ import annotations

import asyncio
import collections

from opencsms.bus.interface import EventFilter
from opencsms.domain.events import DomainEvent


class MemorySubscription:
    """Bounded FIFO of events for one subscriber; the oldest event goes when it is full."""

    def __init__(self, bus: InProcessBus, event_filter: EventFilter, max_queued: int) -> None:
        if max_queued < 1:
            raise ValueError("max_queued must be at least 1")
        self._bus = bus
        self.filter = event_filter
        self._events: collections.deque[DomainEvent] = collections.deque(maxlen=max_queued)
        self._ready = asyncio.Event()
        self._closed = False
        self._dropped = 0

    @property
    def dropped(self) -> int:
        return self._dropped

    @property
    def closed(self) -> bool:
        return self._closed

    def offer(self, event: DomainEvent) -> None:
        """Queue ``event`` (called by the bus, on the publisher's task)."""
        if len(self._events) == self._events.maxlen:
            self._dropped += 1  # the deque drops the oldest on append
        self._events.append(event)
        self._ready.set()

    async def get(self) -> DomainEvent:
        while not self._events:
            if self._closed:
                raise EOFError("subscription closed")
            self._ready.clear()
            await self._ready.wait()
        return self._events.popleft()

    def get_nowait(self) -> DomainEvent | None:
        return self._events.popleft() if self._events else None

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            self._bus.unsubscribe(self)
            self._ready.set()

    def __aiter__(self) -> MemorySubscription:
        return self

    async def __anext__(self) -> DomainEvent:
        try:
            return await self.get()
        except EOFError:
            raise StopAsyncIteration from None


class InProcessBus:
    """An :class:`~opencsms.bus.EventBus` for one process.

    ``publish`` must be called on the event loop's thread (the domain does).
    """

    def __init__(self) -> None:
        self._subscribers: list[MemorySubscription] = []
        self.published = 0

    @property
    def subscriber_count(self) -> int:
        return len(self._subscribers)

    def publish(self, event: DomainEvent) -> None:
        self.published += 1
        for subscriber in self._subscribers:
            if subscriber.filter.matches(event):
                subscriber.offer(event)

    def wants(self, kind: str) -> bool:
        return any(subscriber.filter.takes_kind(kind) for subscriber in self._subscribers)

    def deliver_remote(self, event: DomainEvent) -> None:
        """Hand ``event``, published by another node, to the subscribers that take such events."""
        for subscriber in self._subscribers:
            if not subscriber.filter.local_only and subscriber.filter.matches(event):
                subscriber.offer(event)

    def subscribe(
        self, event_filter: EventFilter | None = None, *, max_queued: int = 1000
    ) -> MemorySubscription:
        subscription = MemorySubscription(self, event_filter or EventFilter(), max_queued)
        # Copy on write: publish iterates the list without a lock.
        self._subscribers = [*self._subscribers, subscription]
        return subscription

    def unsubscribe(self, subscription: MemorySubscription) -> None:
        self._subscribers = [s for s in self._subscribers if s is not subscription]

    def close(self) -> None:
        for subscription in self._subscribers:
            subscription.close()
