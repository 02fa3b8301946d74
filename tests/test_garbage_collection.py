"""The serving process's collector settings."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from opencsms.garbage_collection import SERVING_THRESHOLDS, tune_for_serving


@pytest.fixture
def restored_collector() -> Iterator[None]:
    thresholds = gc.get_threshold()
    yield
    gc.unfreeze()
    gc.set_threshold(*thresholds)


@pytest.mark.usefixtures("restored_collector")
def test_start_up_objects_are_frozen_and_collections_spaced_out() -> None:
    made_at_start_up: list[object] = []
    assert gc.is_tracked(made_at_start_up)
    tune_for_serving()
    assert gc.get_freeze_count() > 0
    assert gc.get_threshold() == SERVING_THRESHOLDS
    assert SERVING_THRESHOLDS[0] > 700  # CPython's default young threshold
    assert not any(tracked is made_at_start_up for tracked in gc.get_objects())


@pytest.mark.usefixtures("restored_collector")
def test_cycles_made_after_tuning_are_still_collected() -> None:
    tune_for_serving()

    class Node:
        partner: object = None

    first, second = Node(), Node()
    first.partner, second.partner = second, first
    del first, second
    assert gc.collect() >= 2
