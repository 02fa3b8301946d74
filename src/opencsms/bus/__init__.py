"""The event bus: domain events fanned out to live consumers (SSE, webhooks, dashboard, controllers).

:class:`EventBus` is the interface; :class:`InProcessBus` the single-node implementation. Each
subscriber has its own bounded queue: a slow subscriber loses its oldest events (counted in
``Subscription.dropped``) and never blocks the publisher, which is a station's session.
"""

from __future__ import annotations

from opencsms.bus.interface import EventBus, EventFilter, Subscription
from opencsms.bus.memory import InProcessBus

__all__ = ["EventBus", "EventFilter", "InProcessBus", "Subscription"]
