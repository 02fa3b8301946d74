"""Tables for the 2.0.1 device model and station configuration: components, variables, reports.

Registered on the shared metadata; built by migration 0002.
"""

from __future__ import annotations

from opencsms.store.schema import metadata  # noqa: F401
