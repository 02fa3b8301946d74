"""Live power and energy of running transactions, derived from their meter events.

The domain publishes ``transaction.meter`` with the samples as the station sent them, and the
transaction's EVSE, connector and start reading as stored; live consumers (SSE, webhooks,
dashboard, load manager) want "how much power now, how much energy so far". This turns each
meter event into a ``transaction.updated`` event carrying ``power_w`` and ``energy_wh``
(energy delivered since the start reading).

A transaction without a start reading (a 2.0.1 Started event may carry no register) counts from
its first register reading: seen here, or, for transactions running across a restart, as stored
(:meth:`LiveTransactions.load`). Only those transactions take memory here.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
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
        # Running transactions without a start reading: their first register reading (Wh).
        self._first_wh: dict[tuple[str, int], float] = {}

    def load(self, first_readings: Mapping[tuple[str, int], float]) -> None:
        """Take the first stored register readings of running transactions without a start
        reading, by (station id, transaction id): energy then counts from where the store does,
        not from the first reading after a restart. Readings seen already are kept."""
        for key, wh in first_readings.items():
            self._first_wh.setdefault(key, wh)

    @staticmethod
    def wanted_through(wants: Callable[[str], bool]) -> Callable[[str], bool]:
        """Given whether the listeners want a kind, whether an event of that kind is wanted
        here: a ``transaction.meter`` is, too, when its ``transaction.updated`` is."""

        def wanted(kind: str) -> bool:
            return wants(kind) or (kind == "transaction.meter" and wants("transaction.updated"))

        return wanted

    def __call__(self, event: DomainEvent) -> list[DomainEvent]:
        transaction_id = event.data.get("transaction_id")
        if not isinstance(transaction_id, int):
            return [event]
        if event.kind == "transaction.meter":
            updated = self._updated(event, transaction_id)
            if updated is not None:
                return [event, updated]
        elif event.kind == "transaction.ended" and self._first_wh:
            self._first_wh.pop((event.station_id, transaction_id), None)
        return [event]

    def _updated(self, event: DomainEvent, transaction_id: int) -> DomainEvent | None:
        samples = event.data.get("samples") or []
        if not samples:
            return None
        latest = samples[-1]
        values = [v for sample in samples if sample is latest for v in sample.get("values", [])]
        power = reading(values, ACTIVE_POWER)
        register = reading(values, ENERGY_REGISTER)
        start = event.data.get("meter_start_wh")
        if start is None and register is not None:
            start = self._first_reading((event.station_id, transaction_id), samples)
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

    def _first_reading(self, key: tuple[str, int], samples: list[dict[str, Any]]) -> float | None:
        first = self._first_wh.get(key)
        if first is None:
            registers = (reading(sample.get("values", []), ENERGY_REGISTER) for sample in samples)
            first = next((wh for wh in registers if wh is not None), None)
            if first is not None:
                self._first_wh[key] = first
        return first


def publishing_through(
    enrich: Callable[[DomainEvent], list[DomainEvent]], publish: Callable[[DomainEvent], None]
) -> Callable[[DomainEvent], None]:
    """An ``on_event`` handler for :class:`~opencsms.domain.Domain` that enriches, then publishes."""

    def on_event(event: DomainEvent) -> None:
        for each in enrich(event):
            publish(each)

    return on_event
