"""Failed logins are counted per (station id, address) and per address and answered late."""

from __future__ import annotations

import pytest

from opencsms.security.login_failures import (
    LoginThrottle,
    MemoryFailureCounts,
    ThrottleLimits,
    answer_delay,
)

LIMITS = ThrottleLimits(
    free_failures_per_pair=3, free_failures_per_source=10, window=60.0, first_delay=0.5, max_delay=4.0
)


@pytest.mark.parametrize(
    ("pair", "source", "delay"),
    [
        (1, 1, 0.0),
        (3, 3, 0.0),  # the free ones
        (4, 4, 0.5),  # the pair's first delayed failure
        (5, 5, 1.0),
        (6, 6, 2.0),
        (8, 8, 4.0),
        (50, 50, 4.0),  # never above the ceiling
        (1, 10, 0.0),
        (1, 11, 0.5),  # the address's first delayed failure, whatever the pair
        (1, 13, 2.0),
        (1, 10**6, 4.0),
    ],
)
def test_answer_delay(pair: int, source: int, delay: float) -> None:
    assert answer_delay(pair, source, LIMITS) == delay


def test_no_delay_when_turned_off() -> None:
    off = ThrottleLimits(free_failures_per_pair=0, free_failures_per_source=0, first_delay=0.0)
    assert answer_delay(100, 100, off) == 0.0


async def test_the_throttle_counts_pairs_and_addresses_apart() -> None:
    now = [0.0]
    throttle = LoginThrottle(LIMITS, MemoryFailureCounts(LIMITS.window, clock=lambda: now[0]))
    assert [await throttle.failed("CP1", "10.0.0.1") for _ in range(5)] == [0.0, 0.0, 0.0, 0.5, 1.0]
    # Other stations from the same address: pairs of their own; the address counts 6 ... 10.
    assert [await throttle.failed("CP2", "10.0.0.1") for _ in range(3)] == [0.0] * 3
    assert [await throttle.failed("CP3", "10.0.0.1") for _ in range(2)] == [0.0] * 2
    assert await throttle.failed("CP4", "10.0.0.1") == 0.5  # the address's 11th failure
    # The same station from another address starts with nothing.
    assert await throttle.failed("CP1", "10.0.0.2") == 0.0
    assert throttle.delayed == 3
    now[0] = 60.0  # the window has passed
    assert await throttle.failed("CP1", "10.0.0.1") == 0.0
