"""The overview's figures: stations and connectors by state, sessions, power now, energy today.

Computed next to the store (grouped queries, one pass over the station ids), so the browser gets
a few numbers and the short list of stations that need attention (offline or with a faulted
connector), however large the fleet.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Container, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import and_, func, or_, select
from sqlalchemy.engine import Connection

from opencsms.domain.meter_readings import numeric_value, sampled_values
from opencsms.domain.model import SampledValue
from opencsms.store.schema import connectors, meter_samples, stations, transactions

ENERGY_REGISTER = "Energy.Active.Import.Register"
ACTIVE_POWER = "Power.Active.Import"
FAULTED = "Faulted"
# Units meter values come in, to W and Wh.
_TO_BASE_UNIT = {"kW": 1000.0, "kWh": 1000.0}


@dataclass(frozen=True, slots=True)
class AttentionItem:
    """A station an operator should look at: offline, or with a faulted connector."""

    id: str
    connected: bool
    faulted: bool
    ocpp_version: str | None
    last_seen: datetime | None


@dataclass(frozen=True, slots=True)
class FleetSummary:
    stations_total: int
    stations_online: int
    stations_offline: int
    stations_faulted: int
    stations_by_version: dict[str, int]
    connectors_by_status: dict[str, int]
    active_sessions: int
    power_w: float
    energy_today_wh: float
    attention: list[AttentionItem] = field(default_factory=list)
    attention_total: int = 0


def summarize(
    connection: Connection, day_start: datetime, online: Container[str], attention_limit: int = 20
) -> FleetSummary:
    """The fleet's figures now; ``online``: the stations connected now (the live sessions, not the
    stored flag, which a crash can leave set); "today" starts at ``day_start`` (the operator's midnight).
    """
    by_version: Counter[str] = Counter()
    online_count = 0
    faulted = select(connectors.c.station_id).where(connectors.c.status == FAULTED).distinct()
    faulted_ids = set(connection.execute(faulted).scalars())
    attention: list[AttentionItem] = []
    attention_total = 0
    for row in connection.execute(
        select(stations.c.id, stations.c.ocpp_version, stations.c.last_seen).order_by(stations.c.id)
    ):
        by_version[row.ocpp_version or "unknown"] += 1
        connected = row.id in online
        online_count += connected
        is_faulted = row.id in faulted_ids
        if is_faulted or not connected:
            attention_total += 1
            if len(attention) < attention_limit:
                item = AttentionItem(row.id, connected, is_faulted, row.ocpp_version, row.last_seen)
                attention.append(item)
    total = sum(by_version.values())
    by_status = {
        status: count
        for status, count in connection.execute(
            # OCPP 1.6 connector 0 is the charge point as a whole, not a connector.
            select(connectors.c.status, func.count())
            .where(connectors.c.connector_id > 0)
            .group_by(connectors.c.status)
            .order_by(connectors.c.status)
        )
    }
    active = connection.execute(
        select(func.count()).select_from(transactions).where(transactions.c.status == "active")
    ).scalar_one()
    power, energy = _power_and_energy(connection, day_start)
    return FleetSummary(
        stations_total=total,
        stations_online=online_count,
        stations_offline=total - online_count,
        stations_faulted=len(faulted_ids),
        stations_by_version=dict(sorted(by_version.items())),
        connectors_by_status=by_status,
        active_sessions=active,
        power_w=power,
        energy_today_wh=energy,
        attention=attention,
        attention_total=attention_total,
    )


def _power_and_energy(connection: Connection, day_start: datetime) -> tuple[float, float]:
    """Power of running sessions now (their latest sample), energy delivered since ``day_start``."""
    tx = transactions
    touched_today = connection.execute(
        select(tx.c.id, tx.c.status, tx.c.started_at, tx.c.meter_start_wh, tx.c.meter_stop_wh).where(
            or_(tx.c.status == "active", tx.c.stopped_at >= day_start)
        )
    ).all()
    latest = _latest_samples(connection)
    power = sum(reading(values, ACTIVE_POWER) or 0.0 for values in latest.values())
    began_earlier = [row.id for row in touched_today if row.started_at < day_start]
    baselines = _register_before(connection, began_earlier, day_start) if began_earlier else {}
    energy = 0.0
    for row in touched_today:
        start = (
            row.meter_start_wh if row.started_at >= day_start else baselines.get(row.id, row.meter_start_wh)
        )
        end = (
            row.meter_stop_wh if row.status != "active" else reading(latest.get(row.id, []), ENERGY_REGISTER)
        )
        if start is not None and end is not None and end > start:
            energy += end - start
    return power, energy


def _latest_samples(connection: Connection) -> dict[int, list[SampledValue]]:
    """The values of each running session's latest sample (one index seek per session)."""
    mv = meter_samples
    later = meter_samples.alias("later")
    newest = (
        select(func.max(later.c.timestamp))
        .where(later.c.transaction_id == transactions.c.id)
        .correlate(transactions)
        .scalar_subquery()
    )
    rows = connection.execute(
        select(mv.c.transaction_id, mv.c.timestamp, mv.c.sampled_values)
        .select_from(transactions.join(mv, mv.c.transaction_id == transactions.c.id))
        .where(and_(transactions.c.status == "active", mv.c.timestamp == newest))
    ).all()
    latest: dict[int, list[SampledValue]] = {}
    for row in rows:
        latest.setdefault(row.transaction_id, []).extend(value for _, value in sampled_values(row))
    return latest


def _register_before(
    connection: Connection, transaction_ids: Sequence[int], moment: datetime
) -> dict[int, float]:
    """Each session's energy register in its last sample before ``moment`` that has one
    (registers only go up: the latest is the highest)."""
    mv = meter_samples
    earlier = meter_samples.alias("earlier")
    # Samples are JSON text: a substring test finds those naming the register, on every database.
    names_register = f'%"{ENERGY_REGISTER}"%'
    newest = (
        select(func.max(earlier.c.timestamp))
        .where(
            earlier.c.transaction_id == mv.c.transaction_id,
            earlier.c.timestamp < moment,
            earlier.c.sampled_values.like(names_register),
        )
        .scalar_subquery()
    )
    rows = connection.execute(
        select(mv.c.transaction_id, mv.c.timestamp, mv.c.sampled_values).where(
            mv.c.transaction_id.in_(transaction_ids),
            mv.c.timestamp == newest,
            mv.c.sampled_values.like(names_register),
        )
    ).all()
    registers: dict[int, float] = {}
    for row in rows:
        value = reading([value for _, value in sampled_values(row)], ENERGY_REGISTER)
        if value is not None:
            registers[row.transaction_id] = max(value, registers.get(row.transaction_id, value))
    return registers


def reading(values: Iterable[SampledValue], measurand: str) -> float | None:
    """The total of ``measurand`` in W or Wh: its phase-less value, else the sum of its phases."""
    total: float | None = None
    phases: float | None = None
    for value in values:
        if value.measurand != measurand:
            continue
        number = numeric_value(value.value, value.format)
        if number is None:
            continue
        number *= _TO_BASE_UNIT.get(value.unit or "", 1.0)
        if value.phase is None:
            total = number
        elif value.phase in ("L1", "L2", "L3", "L1-N", "L2-N", "L3-N"):
            phases = (phases or 0.0) + number
    return total if total is not None else phases
