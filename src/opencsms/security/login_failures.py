"""Failed logins are answered late, never banned.

A lock-out keyed on an address or a station id is a weapon: behind a proxy, a load balancer or a
carrier NAT one address is the whole fleet, and anyone who knows a station id could keep that
station out. So nothing here ever refuses a handshake. Failures are counted per (station id,
source address) pair and per source address, in windows of ``window`` seconds; past a number of
free failures, the answer to each further failure is delayed, doubling per failure up to a
ceiling. A correct password is checked and admitted at once, whatever others have failed.

The counts live in the store when there is one (:class:`StoredFailureCounts`): they survive a
restart and every node of a cluster adds to the same rows. They are read and written only when a
login fails; a successful handshake never touches them.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from opencsms.security.limits import WindowCounter


@dataclass(frozen=True, slots=True)
class ThrottleLimits:
    #: Failures of one (station id, address) pair, and of one address, answered without delay.
    free_failures_per_pair: int = 10
    free_failures_per_source: int = 30
    #: Seconds a count lasts from its first failure.
    window: float = 300.0
    #: The first delay (seconds), doubled for each further failure, never above ``max_delay``.
    first_delay: float = 1.0
    max_delay: float = 5.0


def answer_delay(pair_failures: int, source_failures: int, limits: ThrottleLimits) -> float:
    """Seconds to hold the answer to a failed login, given the counts with this failure included."""
    over = max(
        pair_failures - limits.free_failures_per_pair,
        source_failures - limits.free_failures_per_source,
    )
    if over <= 0 or limits.first_delay <= 0:
        return 0.0
    return min(limits.max_delay, limits.first_delay * 2.0 ** min(over - 1, 32))


class FailureCounts(Protocol):
    """Where failures are counted: adds one to each key and returns the keys' counts."""

    async def add(self, keys: Sequence[str]) -> list[int]: ...


class MemoryFailureCounts:
    """Counts in this process only (no store): lost on restart, not shared."""

    def __init__(self, window: float, clock: Callable[[], float] = time.monotonic) -> None:
        self._counter = WindowCounter(window)
        self._clock = clock

    async def add(self, keys: Sequence[str]) -> list[int]:
        now = self._clock()
        return [self._counter.add(key, now) for key in keys]


def pair_key(station_id: str, source: str) -> str:
    return f"pair\x1f{source}\x1f{station_id}"


def source_key(source: str) -> str:
    return f"source\x1f{source}"


class LoginThrottle:
    """Counts a failed login and says how long to hold its answer."""

    def __init__(self, limits: ThrottleLimits, counts: FailureCounts | None = None) -> None:
        self.limits = limits
        self.counts = counts or MemoryFailureCounts(limits.window)
        #: Failed logins answered late, for /metrics and the tests.
        self.delayed = 0

    async def failed(self, station_id: str, source: str) -> float:
        """Count the failure; returns the seconds its answer should wait (0: answer now)."""
        pair, per_source = await self.counts.add([pair_key(station_id, source), source_key(source)])
        delay = answer_delay(pair, per_source, self.limits)
        if delay > 0:
            self.delayed += 1
        return delay
