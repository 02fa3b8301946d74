from __future__ import annotations

from opencsms.security.limits import KeyedBuckets, TokenBucket, WindowCounter


def test_a_bucket_allows_its_burst_then_its_rate() -> None:
    bucket = TokenBucket(rate=2.0, burst=3.0, now=0.0)
    assert [bucket.take(0.0) for _ in range(4)] == [True, True, True, False]
    assert bucket.take(0.5) and not bucket.take(0.5)
    assert [bucket.take(100.0) for _ in range(4)] == [True, True, True, False]  # never more than the burst


def test_keyed_buckets_are_per_key_and_bounded() -> None:
    buckets = KeyedBuckets(rate=1.0, burst=1.0, max_keys=2)
    assert buckets.take("a", 0.0) and not buckets.take("a", 0.0)
    assert buckets.take("b", 0.0)
    assert buckets.take("c", 0.0)  # forgets "a", the oldest
    assert buckets.take("a", 0.0)


def test_a_window_counter_counts_per_key_and_starts_over_after_the_window() -> None:
    counter = WindowCounter(window=60.0)
    assert [counter.add("cp", t) for t in (0.0, 1.0, 59.0)] == [1, 2, 3]
    assert counter.add("other", 1.0) == 1
    assert counter.add("cp", 60.0) == 1  # a new window from here
    assert counter.add("cp", 61.0) == 2


def test_a_window_counter_is_bounded() -> None:
    counter = WindowCounter(window=60.0, max_keys=2)
    counter.add("a", 0.0)
    counter.add("a", 0.0)
    counter.add("b", 0.0)
    counter.add("c", 0.0)  # forgets "a", the oldest
    assert counter.add("a", 0.0) == 1
