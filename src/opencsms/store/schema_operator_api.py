"""Tables for operator API: API keys, webhooks, queued commands, OCPP message log.

Registered on the shared metadata; built by migration 0004.
"""

from __future__ import annotations

from opencsms.store.schema import metadata  # noqa: F401
