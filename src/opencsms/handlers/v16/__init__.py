"""OCPP 1.6J handlers, CSMS side: one module per feature profile."""

from __future__ import annotations

from opencsms.handlers.context import Handler
from opencsms.handlers.v16 import core, firmware, security

#: action -> handler for every station-initiated 1.6 action this CSMS implements.
HANDLERS: dict[str, Handler] = {**core.HANDLERS, **firmware.HANDLERS, **security.HANDLERS}

__all__ = ["HANDLERS"]
