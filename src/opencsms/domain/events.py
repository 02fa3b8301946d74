"""Domain events: what happened, published after it was committed."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class DomainEvent:
    """Something that happened to a station, for the live event stream.

    ``kind`` is dotted (``station.booted``, ``connector.status``, ``transaction.started``,
    ``transaction.meter``, ``transaction.ended`` ...); ``data`` holds JSON-ready values
    (timestamps as ISO 8601 strings).
    """

    kind: str
    station_id: str
    data: dict[str, Any] = field(default_factory=dict)


EventHandler = Callable[[DomainEvent], None]


class EventPublisher:
    """Calls the handler with each event; a failing handler is logged, never raised.

    The event describes data already committed, so the caller's result must not depend on
    whether the handler worked.
    """

    def __init__(self, handler: EventHandler | None, wants: Callable[[str], bool] | None = None) -> None:
        """``wants``, given an event kind, tells whether the handler's listeners want such events
        now (absent: they always do)."""
        self._handler = handler
        self._wants = wants

    @property
    def wanted(self) -> bool:
        """Whether anyone listens; hot paths skip building an event's data when not."""
        return self._handler is not None

    def wants(self, kind: str) -> bool:
        """Whether events of ``kind`` are wanted now; the hottest paths (meter values) skip
        building them when not."""
        return self._handler is not None and (self._wants is None or self._wants(kind))

    def publish(self, kind: str, station_id: str, data: dict[str, Any]) -> None:
        """Hand the event to the handler, if there is one."""
        if self._handler is None:
            return
        try:
            self._handler(DomainEvent(kind, station_id, data))
        except Exception:
            log.exception("event handler failed on %s for %s", kind, station_id)
