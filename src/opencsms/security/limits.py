"""Rate limits, all O(1) per check and with time passed in (so they are tested without a clock).

- :class:`TokenBucket`: a station's message rate (one per session, on the message path).
- :class:`KeyedBuckets`: new connections per IP address.
- :class:`WindowCounter`: failed logins per (station id, address) and per address, when no
  store keeps them (see :mod:`opencsms.security.login_failures`).

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
class _Window:
    count: int
    first: float


class WindowCounter:
    """Counts events per key in fixed windows of ``window`` seconds from a key's first event."""

    def __init__(self, window: float, max_keys: int = 100_000) -> None:
        self.window = window
        self.max_keys = max_keys
        self._windows: OrderedDict[str, _Window] = OrderedDict()

    def add(self, key: str, now: float) -> int:
        """Count one event of ``key``; returns how many it had in its current window, this one included."""
        entry = self._windows.get(key)
        if entry is None or now - entry.first >= self.window:
            if entry is None and len(self._windows) >= self.max_keys:
                self._windows.popitem(last=False)
            self._windows[key] = _Window(1, now)
            return 1
        entry.count += 1
        return entry.count
