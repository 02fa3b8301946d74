"""Revenue reports over the CDRs: sessions, kWh, duration and revenue excl. and incl. VAT, by day,
week or month (local to a time zone), or by site, station, token group or tariff.

Sums are taken in SQL over integer columns (millionths of the currency, mWh, ms), so they are
exact and a report over a million CDRs is one aggregate query. A credit CDR counts negatively
(sessions too): a session billed, cancelled and billed again counts once. Periods: the database
groups by UTC hour, and the hours are folded into local days, ISO weeks (starting Monday) or
months here (zones with a half-hour offset fold at the hour).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import case, func, literal_column, select
from sqlalchemy.engine import Connection

from opencsms.billing.currencies import minor_unit
from opencsms.store.billing import cdr_conditions
from opencsms.store.schema_billing import cdrs


class GroupBy(StrEnum):
    DAY = "day"
    WEEK = "week"
    MONTH = "month"
    SITE = "site"
    STATION = "station"
    TOKEN_GROUP = "token_group"
    TARIFF = "tariff"


_COLUMNS = {
    GroupBy.SITE: cdrs.c.site_id,
    GroupBy.STATION: cdrs.c.station_id,
    GroupBy.TOKEN_GROUP: cdrs.c.token_group,
    GroupBy.TARIFF: cdrs.c.tariff_id,
}
_PERIODS = (GroupBy.DAY, GroupBy.WEEK, GroupBy.MONTH)


@dataclass(slots=True)
class RevenueRow:
    key: str | None
    currency: str
    sessions: int = 0
    energy_mwh: int = 0
    duration_ms: int = 0
    excl_micro: int = 0
    incl_micro: int = 0

    def add(self, other: RevenueRow) -> None:
        self.sessions += other.sessions
        self.energy_mwh += other.energy_mwh
        self.duration_ms += other.duration_ms
        self.excl_micro += other.excl_micro
        self.incl_micro += other.incl_micro

    def to_json(self) -> dict[str, Any]:
        unit = minor_unit(self.currency)
        return {
            "key": self.key,
            "currency": self.currency,
            "sessions": self.sessions,
            "energy_kwh": str(Decimal(self.energy_mwh) / 1_000_000),
            "duration_hours": str((Decimal(self.duration_ms) / 3_600_000).quantize(Decimal("0.0001"))),
            "revenue_excl_vat": str((Decimal(self.excl_micro) / 1_000_000).quantize(unit)),
            "revenue_incl_vat": str((Decimal(self.incl_micro) / 1_000_000).quantize(unit)),
        }


@dataclass(frozen=True, slots=True)
class RevenueReport:
    group_by: GroupBy
    time_zone: str
    rows: tuple[RevenueRow, ...]
    totals: tuple[RevenueRow, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "group_by": self.group_by.value,
            "time_zone": self.time_zone,
            "rows": [row.to_json() for row in self.rows],
            "totals": [row.to_json() for row in self.totals],
        }


def _hour_bucket(connection: Connection) -> Any:
    if connection.dialect.name == "sqlite":
        # UtcDateTime stores "YYYY-MM-DD HH:MM:SS.ffffff" in UTC on SQLite.
        return func.substr(cdrs.c.stopped_at, 1, 13)
    return func.to_char(func.timezone("UTC", cdrs.c.stopped_at), literal_column("'YYYY-MM-DD HH24'"))


def _period_key(hour: str, group_by: GroupBy, zone: ZoneInfo) -> str:
    local = datetime.strptime(hour, "%Y-%m-%d %H").replace(tzinfo=UTC).astimezone(zone)
    day = local.date()
    if group_by == GroupBy.DAY:
        return day.isoformat()
    if group_by == GroupBy.WEEK:
        monday: date = day - timedelta(days=day.weekday())
        return monday.isoformat()
    return day.strftime("%Y-%m")


def revenue_report(
    connection: Connection, group_by: GroupBy, filters: dict[str, Any], time_zone: str
) -> RevenueReport:
    """The report (a job for ``Store.read``); ``filters`` as for the CDR search."""
    zone = ZoneInfo(time_zone)
    key = _hour_bucket(connection) if group_by in _PERIODS else _COLUMNS[group_by]
    sessions = func.sum(case((cdrs.c.credit, -1), else_=1))
    query = (
        select(
            key.label("key"),
            cdrs.c.currency,
            sessions,
            func.sum(cdrs.c.energy_mwh),
            func.sum(cdrs.c.duration_ms),
            func.sum(cdrs.c.total_excl_micro),
            func.sum(cdrs.c.total_incl_micro),
        )
        .where(*cdr_conditions(filters))
        .group_by(key, cdrs.c.currency)
    )
    grouped: dict[tuple[str | None, str], RevenueRow] = {}
    for found in connection.execute(query):
        name = found[0]
        if group_by in _PERIODS and name is not None:
            name = _period_key(name, group_by, zone)
        summed = RevenueRow(name, found[1], *(int(value or 0) for value in found[2:]))
        grouped.setdefault((name, found[1]), RevenueRow(name, found[1])).add(summed)
    rows: Sequence[RevenueRow] = sorted(
        grouped.values(), key=lambda r: (r.key is None, r.key or "", r.currency)
    )
    totals: dict[str, RevenueRow] = {}
    for row in rows:
        totals.setdefault(row.currency, RevenueRow(None, row.currency)).add(row)
    return RevenueReport(group_by, time_zone, tuple(rows), tuple(totals[c] for c in sorted(totals)))
