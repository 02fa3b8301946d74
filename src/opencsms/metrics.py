"""Counters for /metrics, cheap enough for the message path: dict increments, no locks, no labels API.

The exposition (Prometheus text format) is built at scrape time from these counters, the live
sessions and a few store queries; see ``opencsms.api.metrics``.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field

import orjson

#: Seconds; the last bucket is +Inf.
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
# CALLERROR codes that mean the peer's message broke the schema or the framing.
SCHEMA_ERROR_CODES = frozenset(
    {
        "FormatViolation",
        "FormationViolation",
        "PropertyConstraintViolation",
        "OccurrenceConstraintViolation",
        "OccurenceConstraintViolation",
        "TypeConstraintViolation",
        "ProtocolError",
    }
)


@dataclass
class Histogram:
    buckets: list[int] = field(default_factory=lambda: [0] * (len(LATENCY_BUCKETS) + 1))
    total: float = 0.0
    count: int = 0

    def observe(self, seconds: float) -> None:
        self.buckets[bisect.bisect_left(LATENCY_BUCKETS, seconds)] += 1
        self.total += seconds
        self.count += 1


class OcppMetrics:
    """Messages by (action, direction, result), call latency by (action, direction), schema violations.

    ``direction`` is ``in`` (a station's CALL to us) or ``out`` (our CALL to a station); ``result``
    is ``ok`` or what went wrong (the CALLERROR code, ``timeout``, ``offline``).
    """

    def __init__(self) -> None:
        self.messages: dict[tuple[str, str, str], int] = {}
        self.latency: dict[tuple[str, str], Histogram] = {}
        self.schema_violations: dict[str, int] = {}

    def message(self, action: str, direction: str, result: str, seconds: float) -> None:
        key = (action, direction, result)
        self.messages[key] = self.messages.get(key, 0) + 1
        histogram = self.latency.get((action, direction))
        if histogram is None:
            histogram = self.latency[(action, direction)] = Histogram()
        histogram.observe(seconds)

    def frame_sent(self, frame: str | bytes) -> None:
        """Look at an outgoing frame: a CALLERROR for a schema violation is counted."""
        if frame[1:2] not in ("4", b"4"):  # our frames start "[<type>,"; 4 is CALLERROR
            return
        try:
            message = orjson.loads(frame)
        except orjson.JSONDecodeError:
            return
        if isinstance(message, list) and len(message) >= 3 and message[0] == 4:
            code = str(message[2])
            if code in SCHEMA_ERROR_CODES:
                self.schema_violations[code] = self.schema_violations.get(code, 0) + 1
