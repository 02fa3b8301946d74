"""Revenue reports over stored CDRs (SQLite and PostgreSQL): periods folded in local time, groups,
credits counted negatively, totals equal to the sum of the CDRs."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from opencsms.billing.revenue import GroupBy, revenue_report
from opencsms.store import Store
from opencsms.store import billing as rows

T0 = datetime(2026, 3, 28, 22, 30, tzinfo=UTC)  # 23:30 in Amsterdam, Saturday 28 March


def cdr(stopped_at: datetime, excl: int, incl: int, **extra: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "transaction_id": 1, "credit": False, "credit_of": None, "station_id": "CP1", "evse_id": 1,
        "connector_id": 1, "site_id": "depot", "id_token": "A", "token_group": "FLEET",
        "auth_method": "AUTH_REQUEST",
        "started_at": stopped_at - timedelta(hours=1), "stopped_at": stopped_at, "ended_by": "station",
        "tariff_id": "TOU", "tariff_version": 1, "currency": "EUR", "energy_mwh": 10_000_000,
        "duration_ms": 3_600_000, "charging_ms": 3_000_000, "parking_ms": 600_000,
        "total_excl_micro": excl, "total_incl_micro": incl, "detail": {}, "created_at": stopped_at,
    }  # fmt: skip
    values.update(extra)
    return values


@pytest.fixture
async def stored(store: Store) -> Store:
    records = [
        cdr(T0, 4_000_000, 4_840_000),  # Saturday 23:30 local
        cdr(
            T0 + timedelta(hours=1), 1_500_000, 1_815_000, station_id="CP2", token_group=None
        ),  # Sunday 00:30
        cdr(T0 + timedelta(days=3), 2_000_000, 2_420_000, site_id="hub", tariff_id="FLAT"),  # 1 April local
        cdr(T0 + timedelta(days=3), 7_000_000, 7_000_000, currency="JPY"),
        # A session billed, cancelled and billed again: it counts once, at the second amount.
        cdr(T0 + timedelta(days=4), 3_000_000, 3_630_000, transaction_id=9),
        cdr(
            T0 + timedelta(days=4),
            -3_000_000,
            -3_630_000,
            transaction_id=9,
            credit=True,
            credit_of=5,
            energy_mwh=-10_000_000,
            duration_ms=-3_600_000,
        ),
        cdr(T0 + timedelta(days=4), 3_500_000, 4_235_000, transaction_id=9),
    ]
    for values in records:
        await store.write(lambda connection, values=values: rows.insert_cdr(connection, values))
    return store


async def report(
    store: Store, group_by: GroupBy, zone: str = "Europe/Amsterdam", **filters: Any
) -> dict[str, Any]:
    found = await store.read(lambda connection: revenue_report(connection, group_by, filters, zone))
    return found.to_json()


async def test_days_are_local_and_credits_cancel(stored: Store) -> None:
    by_day = await report(stored, GroupBy.DAY)
    eur = [(r["key"], r["sessions"], r["revenue_excl_vat"]) for r in by_day["rows"] if r["currency"] == "EUR"]
    # 22:30Z on 31 March is 00:30 on 1 April in Amsterdam (summer time since the 29th).
    assert eur == [("2026-03-28", 1, "4.00"), ("2026-03-29", 1, "1.50"), ("2026-04-01", 1, "2.00"),
                   ("2026-04-02", 1, "3.50")]  # fmt: skip
    totals = {t["currency"]: t for t in by_day["totals"]}
    assert totals["EUR"]["sessions"] == 4 and totals["EUR"]["revenue_excl_vat"] == "11.00"
    assert totals["EUR"]["revenue_incl_vat"] == "13.31" and totals["EUR"]["energy_kwh"] == "40"
    assert totals["JPY"]["revenue_incl_vat"] == "7"
    in_utc = await report(stored, GroupBy.DAY, "UTC")  # 22:30Z and 23:30Z: both on the 28th
    assert next((r["key"], r["sessions"]) for r in in_utc["rows"] if r["currency"] == "EUR") == (
        "2026-03-28",
        2,
    )


async def test_weeks_months_and_groups(stored: Store) -> None:
    weeks = [
        (r["key"], r["revenue_excl_vat"])
        for r in (await report(stored, GroupBy.WEEK))["rows"]
        if r["currency"] == "EUR"
    ]
    assert weeks == [("2026-03-23", "5.50"), ("2026-03-30", "5.50")]
    months = [
        (r["key"], r["revenue_excl_vat"])
        for r in (await report(stored, GroupBy.MONTH))["rows"]
        if r["currency"] == "EUR"
    ]
    assert months == [("2026-03", "5.50"), ("2026-04", "5.50")]
    sites = {
        (r["key"], r["currency"]): r["revenue_excl_vat"] for r in (await report(stored, GroupBy.SITE))["rows"]
    }
    assert sites == {("depot", "EUR"): "9.00", ("hub", "EUR"): "2.00", ("depot", "JPY"): "7"}
    groups = {
        r["key"]: r["sessions"] for r in (await report(stored, GroupBy.TOKEN_GROUP, currency="EUR"))["rows"]
    }
    assert groups == {"FLEET": 3, None: 1}
    tariffs = {
        r["key"]: r["revenue_incl_vat"]
        for r in (await report(stored, GroupBy.TARIFF, currency="EUR"))["rows"]
    }
    assert tariffs == {"TOU": "10.89", "FLAT": "2.42"}
    stations = await report(stored, GroupBy.STATION, station_id="CP2")
    assert [(r["key"], r["revenue_excl_vat"]) for r in stations["rows"]] == [("CP2", "1.50")]
    window = await report(stored, GroupBy.DAY, currency="EUR", stopped_from=T0 + timedelta(days=1))
    assert window["totals"][0]["revenue_excl_vat"] == "5.50"
