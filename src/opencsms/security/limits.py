"""Rate limits, all O(1) per check and with time passed in (so they are tested without a clock).

- :class:`TokenBucket`: a station's message rate (one per session, on the message path).
- :class:`KeyedBuckets`: new connections per IP address.
- :class:`FailureLimiter`: failed logins per station id and per IP address.

Keyed tables are bounded: when full, the oldest key is forgotten (an attacker cycling through
keys costs memory only up to the bound).
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass


class TokenBucket:
    """``rate`` tokens per second, at most ``burst`` saved up."""

    __slots__ = ("_stamp", "_tokens", "burst", "rate")

    def __init__(self, rate: float, burst: float, now: float) -> None:
        self.rate = rate
        self.burst = burst
        self._tokens = burst
        self._stamp = now

    def take(self, now: float, tokens: float = 1.0) -> bool:
        """Take ``tokens`` if there are that many; False (and nothing taken) if not."""
        elapsed = now - self._stamp
        if elapsed > 0:
            self._tokens = min(self.burst, self._tokens + elapsed * self.rate)
            self._stamp = now
        if self._tokens >= tokens:
            self._tokens -= tokens
            return True
        return False


class KeyedBuckets:
    """One :class:`TokenBucket` per key (e.g. an IP address), at most ``max_keys`` remembered."""

    def __init__(self, rate: float, burst: float, max_keys: int = 100_000) -> None:
        self.rate = rate
        self.burst = burst
        self.max_keys = max_keys
        self._buckets: OrderedDict[str, TokenBucket] = OrderedDict()

    def take(self, key: str, now: float) -> bool:
        bucket = self._buckets.get(key)
        if bucket is None:
            if len(self._buckets) >= self.max_keys:
                self._buckets.popitem(last=False)
            bucket = self._buckets[key] = TokenBucket(self.rate, self.burst, now)
        return bucket.take(now)


@dataclass(slots=True)
class _Failures:
    count: int
    first: float


class FailureLimiter:
    """After ``max_failures`` failures of a key within ``window`` seconds, the key is blocked
    until ``window`` seconds after its first failure. A success clears the key."""

    def __init__(self, max_failures: int, window: float, max_keys: int = 100_000) -> None:
        self.max_failures = max_failures
        self.window = window
        self.max_keys = max_keys
        self._failures: OrderedDict[str, _Failures] = OrderedDict()

    def blocked(self, key: str, now: float) -> bool:
        entry = self._failures.get(key)
        if entry is None:
            return False
        if now - entry.first >= self.window:
            del self._failures[key]
            return False
        return entry.count >= self.max_failures

    def failed(self, key: str, now: float) -> None:
        entry = self._failures.get(key)
        if entry is None or now - entry.first >= self.window:
            if entry is None and len(self._failures) >= self.max_keys:
                self._failures.popitem(last=False)
            self._failures[key] = _Failures(1, now)
        else:
            entry.count += 1

    def succeeded(self, key: str) -> None:
        self._failures.pop(key, None)
