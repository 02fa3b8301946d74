from __future__ import annotations

from opencsms.security.limits import FailureLimiter, KeyedBuckets, TokenBucket


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


def test_failures_block_a_key_until_the_window_has_passed() -> None:
    limiter = FailureLimiter(max_failures=2, window=60.0)
    limiter.failed("cp", 0.0)
    assert not limiter.blocked("cp", 1.0)
    limiter.failed("cp", 1.0)
    assert limiter.blocked("cp", 59.0)
    assert not limiter.blocked("cp", 60.0)
    assert not limiter.blocked("other", 1.0)


def test_a_success_clears_the_failures() -> None:
    limiter = FailureLimiter(max_failures=2, window=60.0)
    limiter.failed("cp", 0.0)
    limiter.succeeded("cp")
    limiter.failed("cp", 1.0)
    assert not limiter.blocked("cp", 2.0)
