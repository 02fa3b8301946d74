"""Live power and energy of running transactions, derived from their meter events.

The domain publishes ``transaction.meter`` with the samples as the station sent them; live
consumers (SSE, webhooks, dashboard) want "how much power now, how much energy so far". This
turns each meter event into a ``transaction.updated`` event carrying ``power_w`` and
``energy_wh`` (energy delivered since the start), keeping only the start reading of each
running transaction in memory.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from opencsms.domain.events import DomainEvent
from opencsms.domain.meter_readings import numeric_value

ENERGY_REGISTER = "Energy.Active.Import.Register"
ACTIVE_POWER = "Power.Active.Import"
_TO_BASE_UNIT = {"Wh": 1.0, "kWh": 1000.0, "W": 1.0, "kW": 1000.0}
_LINE_PHASES = frozenset({"L1", "L2", "L3", "L1-N", "L2-N", "L3-N"})


def reading(values: list[dict[str, Any]], measurand: str) -> float | None:
    """The total of ``measurand`` in Wh or W: its phase-less value, else the sum of its phases."""
    total: float | None = None
    phases: float | None = None
    for value in values:
        if value.get("measurand", ENERGY_REGISTER) != measurand:
            continue
        number = numeric_value(str(value.get("value", "")), value.get("format"))
        if number is None:
            continue
        number *= _TO_BASE_UNIT.get(value.get("unit") or "", 1.0)
        phase = value.get("phase")
        if phase is None:
            total = number
        elif phase in _LINE_PHASES:
            phases = (phases or 0.0) + number
    return total if total is not None else phases


class LiveTransactions:
    """Adds ``transaction.updated`` events after ``transaction.meter`` events.

    Call it with each domain event; it returns the events to publish (the event itself first).
    """

    def __init__(self) -> None:
        self._start_wh: dict[tuple[str, int], float | None] = {}

    @staticmethod
    def wanted_through(wants: Callable[[str], bool]) -> Callable[[str], bool]:
        """Given whether the listeners want a kind, whether an event of that kind is wanted
        here: a ``transaction.meter`` is, too, when its ``transaction.updated`` is."""

        def wanted(kind: str) -> bool:
            return wants(kind) or (kind == "transaction.meter" and wants("transaction.updated"))

        return wanted

    def __call__(self, event: DomainEvent) -> list[DomainEvent]:
        key = (event.station_id, event.data.get("transaction_id"))
        if event.kind == "transaction.started" and isinstance(key[1], int):
            self._start_wh[(event.station_id, key[1])] = event.data.get("meter_start_wh")
        elif event.kind == "transaction.ended" and isinstance(key[1], int):
            self._start_wh.pop((event.station_id, key[1]), None)
        elif event.kind == "transaction.meter" and isinstance(key[1], int):
            updated = self._updated(event, key[1])
            if updated is not None:
                return [event, updated]
        return [event]

    def _updated(self, event: DomainEvent, transaction_id: int) -> DomainEvent | None:
        samples = event.data.get("samples") or []
        if not samples:
            return None
        latest = samples[-1]
        values = [v for sample in samples if sample is latest for v in sample.get("values", [])]
        power = reading(values, ACTIVE_POWER)
        register = reading(values, ENERGY_REGISTER)
        start = self._start_wh.get((event.station_id, transaction_id))
        if start is None and register is not None:
            # No start reading (it was absent, or the transaction began before this process):
            # energy counts from the first reading seen.
            start = self._start_wh[(event.station_id, transaction_id)] = register
        energy = register - start if register is not None and start is not None else None
        return DomainEvent(
            "transaction.updated",
            event.station_id,
            {
                "transaction_id": transaction_id,
                "transaction_ref": event.data.get("transaction_ref"),
                "evse_id": event.data.get("evse_id"),
                "connector_id": event.data.get("connector_id"),
                "timestamp": latest.get("timestamp"),
                "power_w": power,
                "meter_wh": register,
                "energy_wh": energy,
            },
        )


def publishing_through(
    enrich: Callable[[DomainEvent], list[DomainEvent]], publish: Callable[[DomainEvent], None]
) -> Callable[[DomainEvent], None]:
    """An ``on_event`` handler for :class:`~opencsms.domain.Domain` that enriches, then publishes."""

    def on_event(event: DomainEvent) -> None:
        for each in enrich(event):
            publish(each)

    return on_event
