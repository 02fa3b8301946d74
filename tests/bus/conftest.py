"""The NATS bus tests use the real server (see tests/nats_fixtures.py)."""

from __future__ import annotations

from tests.nats_fixtures import bus_prefix, nats_url

__all__ = ["bus_prefix", "nats_url"]
