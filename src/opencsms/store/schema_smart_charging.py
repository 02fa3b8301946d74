"""Tables for smart charging: charging profiles, sites, circuits, price signals.

Registered on the shared metadata; built by migration 0005.
"""

from __future__ import annotations

from opencsms.store.schema import metadata  # noqa: F401
