"""The account tests run on SQLite and PostgreSQL (see tests/db_fixtures.py)."""

from __future__ import annotations

from tests.db_fixtures import database_url, store

__all__ = ["database_url", "store"]
