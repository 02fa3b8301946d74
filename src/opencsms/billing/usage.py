"""A session's usage, read from what is stored: the transaction, its meter samples, its charging
states (2.0.1 chargingState; 1.6 StatusNotification), its reservation, token group and site.

The energy register is the Energy.Active.Import.Register reading (Wh or kWh; a value with no
phase); the current is Current.Import summed over the phases reported. Values are read from the
strings the station sent, straight to Decimal.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

import orjson
from sqlalchemy import select
from sqlalchemy.engine import Connection

from opencsms.billing.costing import ChargingStateChange, MeterReading, Reservation, SessionUsage
from opencsms.store import meter_values as meter_rows
from opencsms.store import transactions as transaction_rows
from opencsms.store.schema import connector_status_history, id_tokens
from opencsms.store.schema_billing import charging_state_changes
from opencsms.store.schema_reservations import reservations
from opencsms.store.schema_smart_charging import site_stations

ENERGY_REGISTER = "Energy.Active.Import.Register"
CURRENT = "Current.Import"
_ENERGY_UNIT = re.compile(r"(k?)Wh(?:\*10\^([+-]?\d+))?")
_DECIMAL = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")
#: 1.6 StatusNotification and 2.0.1 chargingState values, charging or not (the rest say nothing).
CHARGING_STATES = {
    "Charging": True,
    "SuspendedEV": False,
    "SuspendedEVSE": False,
    "Finishing": False,
    "EVConnected": False,
    "Idle": False,
}


@dataclass(frozen=True, slots=True)
class StoredSession:
    """Everything billing reads about one transaction."""

    transaction: Any  # the transactions row
    samples: tuple[tuple[datetime, tuple[dict[str, Any], ...]], ...]
    states: tuple[tuple[datetime, str], ...]
    reserved_at: datetime | None
    token_group: str | None
    site_id: str | None

    @property
    def id(self) -> int:
        transaction_id: int = self.transaction.id
        return transaction_id

    def signed_meter_data(self) -> list[dict[str, Any]]:
        """Signed values exactly as sent (1.6 format SignedData, 2.0.1 signedMeterValue)."""
        found = []
        for timestamp, values in self.samples:
            for value in values:
                if value.get("format") == "SignedData" or value.get("signed_data") is not None:
                    kept = {name: item for name, item in value.items() if item is not None}
                    found.append({"timestamp": timestamp.isoformat(), **kept})
        return found

    def usage(self, until: datetime) -> SessionUsage:
        """The usage from the start to the stop (a running session: to ``until``)."""
        tx = self.transaction
        start = tx.started_at
        stop = tx.stopped_at if tx.stopped_at is not None else max(until, start)
        readings: list[MeterReading] = []
        if tx.meter_start_wh is not None:
            readings.append(MeterReading(start, _decimal_of_float(tx.meter_start_wh)))
        for timestamp, values in self.samples:
            if not start <= timestamp <= stop:
                continue
            energy, current = _reading(values)
            if energy is not None:
                readings.append(MeterReading(timestamp, energy, current))
        if tx.stopped_at is not None and tx.meter_stop_wh is not None:
            readings.append(MeterReading(stop, _decimal_of_float(tx.meter_stop_wh)))
        readings.sort(key=lambda reading: reading.timestamp)
        changes = tuple(
            ChargingStateChange(max(timestamp, start), CHARGING_STATES[state])
            for timestamp, state in self.states
            if state in CHARGING_STATES and timestamp <= stop
        )
        reservation = None
        if self.reserved_at is not None and self.reserved_at < start:
            reservation = Reservation(self.reserved_at, start)
        return SessionUsage(start, stop, tuple(readings), changes, True, reservation)


def _decimal_of_float(value: float) -> Decimal:
    # The register columns are floats; their shortest repr is the number the station sent.
    return Decimal(repr(value))


def _number(value: dict[str, Any]) -> Decimal | None:
    if value.get("format") == "SignedData":
        return None
    text = str(value.get("value", "")).strip()
    if not _DECIMAL.fullmatch(text):
        return None
    number = Decimal(text)
    return number if number.is_finite() else None


def _in_wh(number: Decimal, unit: str) -> Decimal | None:
    """A register value in Wh: units Wh or kWh, with a 2.0.1 multiplier (``Wh*10^3``)."""
    match = _ENERGY_UNIT.fullmatch(unit)
    if match is None:
        return None
    scale = 3 if match[1] else 0
    return number.scaleb(scale + int(match[2] or 0))


def _reading(values: Sequence[dict[str, Any]]) -> tuple[Decimal | None, Decimal | None]:
    energy = None
    phases: dict[str, Decimal] = {}
    total_current = None
    for value in values:
        measurand = value.get("measurand") or ENERGY_REGISTER
        number = _number(value)
        if number is None:
            continue
        if measurand == ENERGY_REGISTER and not value.get("phase") and energy is None:
            energy = _in_wh(number, value.get("unit") or "Wh")
        elif measurand == CURRENT:
            phase = value.get("phase")
            if phase:
                phases.setdefault(phase.split("-")[0], number)
            elif total_current is None:
                total_current = number
    current = sum(phases.values(), Decimal(0)) if phases else total_current
    return energy, current


def read_session(connection: Connection, transaction_id: int) -> StoredSession | None:
    """The stored session (a job for ``Store.read``), or None for an unknown transaction."""
    tx = transaction_rows.get(connection, transaction_id)
    if tx is None:
        return None
    samples = tuple(
        (row.timestamp, tuple(orjson.loads(row.sampled_values)))
        for row in meter_rows.of_transaction(connection, transaction_id)
    )
    states = connection.execute(
        select(charging_state_changes.c.timestamp, charging_state_changes.c.state)
        .where(charging_state_changes.c.transaction_id == transaction_id)
        .order_by(charging_state_changes.c.timestamp, charging_state_changes.c.id)
    ).all()
    if not states and tx.connector_id is not None:
        history = connector_status_history.c
        query = (
            select(history.timestamp, history.status)
            .where(
                history.station_id == tx.station_id,
                history.connector_id == tx.connector_id,
                history.timestamp > tx.started_at,
            )
            .order_by(history.id)
        )
        if tx.stopped_at is not None:
            query = query.where(history.timestamp <= tx.stopped_at)
        states = connection.execute(query).all()
    reserved_at = None
    if tx.reservation_id is not None:
        reserved_at = connection.execute(
            select(reservations.c.created_at).where(reservations.c.id == tx.reservation_id)
        ).scalar()
    group = None
    if tx.id_token is not None:
        group = connection.execute(
            select(id_tokens.c.parent_id_token).where(id_tokens.c.id_token == tx.id_token)
        ).scalar()
    site = connection.execute(
        select(site_stations.c.site_id).where(site_stations.c.station_id == tx.station_id)
    ).scalar()
    return StoredSession(
        tx,
        samples,
        tuple((row[0], row[1]) for row in states),
        reserved_at,
        group,
        site,
    )
