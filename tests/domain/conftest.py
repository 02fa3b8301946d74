"""The domain tests run on SQLite and PostgreSQL (see tests/db_fixtures.py)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest

from opencsms.domain import Domain, DomainEvent
from opencsms.store import Store
from tests.db_fixtures import database_url, store

__all__ = ["database_url", "domain", "events", "make_domain", "store"]

NOW = datetime(2025, 1, 15, 12, 0, tzinfo=UTC)


@pytest.fixture
def events() -> list[DomainEvent]:
    """Every event the ``domain`` fixture published, in order."""
    return []


@pytest.fixture
def make_domain(store: Store, events: list[DomainEvent]) -> Callable[..., Domain]:
    """Build a Domain on the test store (keyword arguments go to Domain); events are recorded."""

    def make(**options: Any) -> Domain:
        return Domain(store, on_event=events.append, clock=lambda: NOW, **options)

    return make


@pytest.fixture
def domain(make_domain: Callable[..., Domain]) -> Domain:
    """A Domain with the default (accept) policy and a fixed clock at NOW."""
    return make_domain()
