"""Persistence: SQLAlchemy Core tables, Alembic migrations and group-committed writes.

The public surface is :class:`Store` and the errors; the table-level functions live in the
submodules (``stations``, ``tokens``, ``transactions``, ``meter_values``) and are used by the
domain layer inside :meth:`Store.write` / :meth:`Store.read` jobs.
"""

from __future__ import annotations

from opencsms.store.database import ReadJob, Store
from opencsms.store.engine import DEFAULT_URL, SqliteSynchronous
from opencsms.store.errors import StoreClosedError, StoreError
from opencsms.store.group_commit import GroupCommitStats, WriteJob

__all__ = [
    "DEFAULT_URL",
    "GroupCommitStats",
    "ReadJob",
    "SqliteSynchronous",
    "Store",
    "StoreClosedError",
    "StoreError",
    "WriteJob",
]
