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
