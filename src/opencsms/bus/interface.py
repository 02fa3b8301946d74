"""The bus interface, independent of how events travel (in process, NATS)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Protocol

from opencsms.domain.events import DomainEvent

# Kinds come from the code, but a cluster's other nodes may run another version: stay bounded.
_MAX_VERDICTS = 256


@dataclass(frozen=True, slots=True)
class EventFilter:
    """Which events a subscriber wants.

    ``kinds`` holds event kinds (``transaction.started``) or prefixes ending in ``*``
    (``transaction.*``); empty means every kind. ``stations`` empty means every station.
    ``local_only``: only events published by this node, not those other nodes of a cluster
    publish; for consumers that act once per event (webhooks, queued commands), which the
    publishing node does.
    """

    kinds: frozenset[str] = frozenset()
    stations: frozenset[str] = frozenset()
    local_only: bool = False
    # Each kind's verdict once judged: every published event meets every subscriber's filter,
    # and a deployment has a few dozen kinds.
    _verdicts: dict[str, bool] = field(
        default_factory=dict, init=False, repr=False, compare=False, hash=False
    )

    @classmethod
    def of(
        cls,
        kinds: Iterable[str] | None = None,
        stations: Iterable[str] | None = None,
        *,
        local_only: bool = False,
    ) -> EventFilter:
        return cls(
            frozenset(k for k in kinds or () if k), frozenset(s for s in stations or () if s), local_only
        )

    def matches(self, event: DomainEvent) -> bool:
        if self.stations and event.station_id not in self.stations:
            return False
        return self.takes_kind(event.kind)

    def takes_kind(self, kind: str) -> bool:
        """Whether events of ``kind`` pass (of the filter's stations, if it names any)."""
        try:
            return self._verdicts[kind]
        except KeyError:
            pass
        verdict = not self.kinds or kind in self.kinds
        verdict = verdict or any(k.endswith("*") and kind.startswith(k[:-1]) for k in self.kinds)
        if len(self._verdicts) < _MAX_VERDICTS:
            self._verdicts[kind] = verdict
        return verdict


class Subscription(Protocol):
    """A subscriber's stream of events; iterate it (``async for``) or call :meth:`get`."""

    @property
    def dropped(self) -> int:
        """Events discarded because this subscriber fell behind."""
        ...

    async def get(self) -> DomainEvent:
        """The next event; waits for one. Raises ``EOFError`` once the subscription is closed."""
        ...

    def get_nowait(self) -> DomainEvent | None:
        """The next event if one is queued, else None."""
        ...

    def close(self) -> None:
        """Stop receiving; a waiting :meth:`get` raises ``EOFError``. Idempotent."""
        ...

    def __aiter__(self) -> Subscription: ...

    async def __anext__(self) -> DomainEvent: ...


class EventBus(Protocol):
    """Publish domain events; subscribe to the ones you want."""

    def publish(self, event: DomainEvent) -> None:
        """Hand ``event`` to every matching subscriber; never blocks and never raises."""
        ...

    def wants(self, kind: str) -> bool:
        """Whether an event of ``kind`` would reach anyone now; when not, a publisher may skip
        building it."""
        ...

    def subscribe(self, event_filter: EventFilter | None = None, *, max_queued: int = 1000) -> Subscription:
        """A new subscription receiving events published from now on."""
        ...

    def close(self) -> None:
        """End every subscription (their consumers see the end of the stream)."""
        ...
