"""Hot-path counters (src/opencsms/metrics.py)."""

from __future__ import annotations

from opencsms.metrics import LATENCY_BUCKETS, OcppMetrics


def test_messages_and_latency_are_counted_by_action_direction_and_result() -> None:
    metrics = OcppMetrics()
    metrics.message("Heartbeat", "in", "ok", 0.001)
    metrics.message("Heartbeat", "in", "ok", 100.0)
    metrics.message("Reset", "out", "timeout", 0.3)
    assert metrics.messages == {("Heartbeat", "in", "ok"): 2, ("Reset", "out", "timeout"): 1}
    histogram = metrics.latency[("Heartbeat", "in")]
    assert histogram.count == 2 and histogram.buckets[0] == 1 and histogram.buckets[len(LATENCY_BUCKETS)] == 1


def test_only_schema_callerrors_count_as_violations() -> None:
    metrics = OcppMetrics()
    metrics.frame_sent('[4,"1","FormationViolation","bad",{}]')
    metrics.frame_sent(b'[4,"2","TypeConstraintViolation","bad",{}]')
    metrics.frame_sent('[4,"3","InternalError","oops",{}]')
    metrics.frame_sent('[3,"4",{}]')
    metrics.frame_sent("[4,broken")
    assert metrics.schema_violations == {"FormationViolation": 1, "TypeConstraintViolation": 1}
