"""/api/v1/tariffs and /api/v1/tariff-assignments against a real server."""

from __future__ import annotations

import asyncio
import json
from decimal import Decimal
from pathlib import Path

import httpx
import pytest

from opencsms.cli.main import main
from opencsms.runtime import Runtime
from tests.api.conftest import Keys
from tests.conftest import auth

TARIFF = (
    '{"currency": "EUR", "time_zone": "Europe/Amsterdam", "tariff_alt_text": [{"language": "en", '
    '"text": "0.10 per kWh"}], "elements": [{"price_components": [{"type": "ENERGY", "price": 0.1, '
    '"vat": 21.0, "step_size": 1}]}]}'
)
JSON = {"Content-Type": "application/json"}


async def test_put_get_version_and_exact_numbers(client: httpx.AsyncClient) -> None:
    created = await client.put("/api/v1/tariffs/STD", content=TARIFF, headers=JSON)
    assert created.status_code == 201, created.text
    assert created.json()["version"] == 1 and created.json()["time_zone"] == "Europe/Amsterdam"
    assert '"price":0.1,' in created.text and '"vat":21.0' in created.text  # as written, no float noise
    changed = await client.put("/api/v1/tariffs/STD", content=TARIFF.replace("0.1,", "0.12,"), headers=JSON)
    assert changed.status_code == 200 and changed.json()["version"] == 2
    current = (await client.get("/api/v1/tariffs/STD")).json()
    assert current["elements"][0]["price_components"][0]["price"] == 0.12
    old = (await client.get("/api/v1/tariffs/STD", params={"version": 1})).json()
    assert old["elements"][0]["price_components"][0]["price"] == 0.1
    assert [v["version"] for v in (await client.get("/api/v1/tariffs/STD/versions")).json()["items"]] == [
        1,
        2,
    ]
    listed = (await client.get("/api/v1/tariffs")).json()
    assert listed["total"] == 1 and listed["items"][0]["id"] == "STD"
    # What GET answers can be PUT back unchanged.
    again = await client.put("/api/v1/tariffs/STD", json=current)
    assert again.status_code == 200 and again.json()["version"] == 2
    assert (await client.delete("/api/v1/tariffs/STD")).status_code == 204
    assert (await client.get("/api/v1/tariffs/STD")).status_code == 404


@pytest.mark.parametrize(
    ("replace", "with_", "field"),
    [
        ('"EUR"', '"EUX"', "currency"),
        ('"price": 0.1', '"price": -0.1', "elements[0].price_components[0].price"),
        ('"step_size": 1}', '"step_size": 1, "colour": "red"}', "elements[0].price_components[0].colour"),
        ('"Europe/Amsterdam"', '"Nowhere/Land"', "time_zone"),
        ('"price_components"', '"restrictions": {"min_kwh": 5, "max_kwh": 2}, "price_components"',
         "elements[0].restrictions.max_kwh"),
        ('}]}]}', '}]}, {"price_components": [{"type": "ENERGY", "price": 0.2, "step_size": 1}]}]}',
         "elements[1].price_components[0]"),
    ],
)  # fmt: skip
async def test_bad_tariffs_are_problems_naming_the_field(
    client: httpx.AsyncClient, replace: str, with_: str, field: str
) -> None:
    assert replace in TARIFF
    answer = await client.put("/api/v1/tariffs/BAD", content=TARIFF.replace(replace, with_), headers=JSON)
    assert answer.status_code == 422 and answer.headers["content-type"] == "application/problem+json"
    assert answer.json()["detail"].startswith(f"{field}:"), answer.json()
    assert (await client.get("/api/v1/tariffs/BAD")).status_code == 404


async def test_malformed_bodies_and_ids(client: httpx.AsyncClient) -> None:
    assert (await client.put("/api/v1/tariffs/X", content="{nope", headers=JSON)).status_code == 422
    assert (await client.put("/api/v1/tariffs/X", content="[]", headers=JSON)).status_code == 422
    assert (await client.put("/api/v1/tariffs/a%20b", content=TARIFF, headers=JSON)).status_code == 422
    assert (await client.put("/api/v1/tariffs/X", content=TARIFF.replace('"currency": "EUR", ', ""),
                             headers=JSON)).json()["detail"].startswith("currency:")  # fmt: skip


async def test_assignments(client: httpx.AsyncClient) -> None:
    await client.put("/api/v1/tariffs/FLEET", content=TARIFF, headers=JSON)
    put = await client.put(
        "/api/v1/tariff-assignments", json={"scope": "token_group", "target": "F1", "tariff_id": "FLEET"}
    )
    assert put.status_code == 200 and put.json() == {
        "scope": "token_group",
        "target": "F1",
        "tariff_id": "FLEET",
    }
    listed = (await client.get("/api/v1/tariff-assignments")).json()
    assert listed == {"items": [put.json()], "total": 1, "limit": 50, "offset": 0}
    unknown = await client.put(
        "/api/v1/tariff-assignments", json={"scope": "station", "target": "CP1", "tariff_id": "NOPE"}
    )
    assert unknown.status_code == 422 and "NOPE" in unknown.json()["detail"]
    extra = await client.put(
        "/api/v1/tariff-assignments", json={"scope": "default", "tariff_id": "FLEET", "priority": 1}
    )
    assert extra.status_code == 422 and "priority" in extra.json()["detail"]
    gone = await client.delete("/api/v1/tariff-assignments", params={"scope": "token_group", "target": "F1"})
    assert gone.status_code == 204
    assert (
        await client.delete("/api/v1/tariff-assignments", params={"scope": "token_group", "target": "F1"})
    ).status_code == 404


async def test_viewers_read_but_do_not_change(client: httpx.AsyncClient, keys: Keys) -> None:
    await client.put("/api/v1/tariffs/STD", content=TARIFF, headers=JSON)
    viewer = {**auth(keys.viewer), **JSON}
    assert (await client.get("/api/v1/tariffs/STD", headers=auth(keys.viewer))).status_code == 200
    assert (await client.put("/api/v1/tariffs/STD", content=TARIFF, headers=viewer)).status_code == 403


async def test_the_cli_puts_shows_and_assigns(
    server: Runtime, keys: Keys, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "tariff.json"
    source.write_text(TARIFF.replace('"time_zone": "Europe/Amsterdam", ', ""))
    common = ["--server", server.http_url, "--api-key", keys.operator]

    async def cli(*argv: str) -> tuple[int, str]:
        code = await asyncio.to_thread(main, ["tariff", *common, *argv])
        return code, capsys.readouterr().out

    code, out = await cli("put", "NIGHT", str(source), "--time-zone", "Europe/Berlin")
    assert code == 0 and json.loads(out)["time_zone"] == "Europe/Berlin"
    code, out = await cli("assign", "NIGHT", "--scope", "station", "--target", "CP9")
    assert code == 0 and json.loads(out)["target"] == "CP9"
    code, out = await cli("show", "NIGHT")
    assert code == 0 and json.loads(out, parse_float=Decimal)["elements"][0]["price_components"][0][
        "price"
    ] == Decimal("0.1")
    code, out = await cli("put", "BAD", str(tmp_path / "missing.json"))
    assert code == 2 and "error" in out
    code, out = await cli("assign", "NOPE", "--scope", "default")
    assert code == 1 and "NOPE" in json.loads(out)["detail"]


async def test_price_lookup_and_revenue_bad_input(client: httpx.AsyncClient) -> None:
    missing = await client.get("/api/v1/stations/CP1/price", params={"evse_id": 1})
    assert missing.status_code == 404 and "CP1 EVSE 1" in missing.json()["detail"]
    fast_element = (
        '{"price_components": [{"type": "ENERGY", "price": 0.05, "step_size": 1}], '
        '"restrictions": {"min_power": 50}}, '
    )
    night = TARIFF.replace('"elements": [', '"elements": [' + fast_element)
    assert (await client.put("/api/v1/tariffs/FAST", content=night, headers=JSON)).status_code == 201
    await client.put(
        "/api/v1/tariff-assignments", json={"scope": "evse", "target": "CP1/2", "tariff_id": "FAST"}
    )
    price = (await client.get("/api/v1/stations/CP1/price", params={"evse_id": 2})).json()
    # The 50 kW price needs a measured power; before charging, the fallback applies.
    assert (
        price["now"]["ENERGY"]["price_excl_vat"] == 0.1 and price["now"]["ENERGY"]["price_incl_vat"] == 0.121
    )
    assert price["texts"] == [{"language": "en", "text": "0.10 per kWh"}]
    assert (await client.get("/api/v1/stations/CP1/price", params={"evse_id": 1})).status_code == 404
    bad_zone = await client.get("/api/v1/revenue", params={"time_zone": "Nowhere/Land"})
    assert bad_zone.status_code == 422 and bad_zone.json()["detail"].startswith("time_zone:")
    bad_group = await client.get("/api/v1/revenue", params={"group_by": "year"})
    assert bad_group.status_code == 422 and "group_by" in bad_group.json()["detail"]
    empty = (await client.get("/api/v1/revenue", params={"group_by": "month"})).json()
    assert empty["rows"] == [] and empty["totals"] == []
