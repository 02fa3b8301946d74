"""Tables for security profiles, station credentials, certificates, security events.

Registered on the shared metadata; built by migration 0003.
"""

from __future__ import annotations

from opencsms.store.schema import metadata  # noqa: F401
