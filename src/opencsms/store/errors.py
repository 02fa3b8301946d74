"""Errors the store raises itself.

Hierarchy::

    StoreError
    └── StoreClosedError   the store was closed before (or while) the call was made

A database failure is not wrapped: it surfaces as the ``sqlalchemy.exc.SQLAlchemyError`` the
driver raised, so the caller sees the real cause.
"""

from __future__ import annotations


class StoreError(Exception):
    """Base class of the store's own errors."""


class StoreClosedError(StoreError):
    """The store is closed; nothing was written."""
