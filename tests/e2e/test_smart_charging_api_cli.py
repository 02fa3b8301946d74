"""The smart charging API and CLI: sites, prices from a file, validation errors as problem+json."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from opencsms.cli.main import main as cli_main
from opencsms.cli.smart_charging import read_prices
from opencsms.runtime import Runtime
from tests.conftest import admin_key, auth

pytestmark = pytest.mark.e2e


def test_prices_are_read_from_csv_or_json(tmp_path: Path) -> None:
    csv_file = tmp_path / "prices.csv"
    csv_file.write_text("start,seconds,price\n2026-01-05T00:00:00Z,900,0.21\n2026-01-05T00:15:00Z,,0.18\n")
    assert read_prices(csv_file) == [
        {"start": "2026-01-05T00:00:00Z", "seconds": 900, "price": 0.21},
        {"start": "2026-01-05T00:15:00Z", "seconds": 3600, "price": 0.18},
    ]
    json_file = tmp_path / "prices.json"
    json_file.write_text('[{"start": "2026-01-05T00:00:00Z", "price": 1}]')
    assert read_prices(json_file) == [{"start": "2026-01-05T00:00:00Z", "price": 1}]
    (tmp_path / "bad.csv").write_text("when,cost\nx,1\n")
    with pytest.raises(ValueError, match="columns start and price"):
        read_prices(tmp_path / "bad.csv")


async def cli(rt: Runtime, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, Any]:
    key = admin_key(rt)
    code = await asyncio.to_thread(cli_main, [args[0], "--server", rt.http_url, "--api-key", key, *args[1:]])
    return code, json.loads(capsys.readouterr().out)


async def test_sites_from_the_cli(
    server: Runtime, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, out = await cli(server, capsys, "site", "set", "depot", "--limit-kw", "100")
    assert code == 0 and out["limit_kw"] == 100
    code, out = await cli(server, capsys, "site", "circuit", "depot", "hall", "--limit-amps", "63")
    assert code == 0
    code, out = await cli(
        server, capsys, "site", "assign", "depot", "CP9", "--circuit", "hall", "--phases", "1"
    )
    assert code == 0 and out["phases"] == 1
    prices = tmp_path / "p.csv"
    prices.write_text("start,seconds,price\n2026-01-05T00:00:00+00:00,3600,0.3\n")
    code, out = await cli(server, capsys, "site", "prices", "depot", str(prices))
    assert code == 0 and out == {"site_id": "depot", "slots": 1}
    code, out = await cli(server, capsys, "site", "show", "depot")
    assert out["circuits"][0]["id"] == "hall" and out["stations"][0]["station_id"] == "CP9"
    code, out = await cli(server, capsys, "site", "power", "depot")
    assert code == 0 and out["planned_w"] == 0 and out["sessions"] == []
    code, out = await cli(server, capsys, "profile", "composite", "CP9", "1", "--duration", "60")
    assert code == 0 and out["periods"] == [{"start_period": 0, "limit": None, "number_phases": None}]


async def test_bad_requests_get_problem_details(server: Runtime) -> None:
    async with httpx.AsyncClient(base_url=server.http_url, headers=auth(admin_key(server))) as client:
        no_limit = await client.put("/api/v1/sites/x", json={"name": "no limit"})
        assert no_limit.status_code == 422 and "limit_amps or limit_kw" in no_limit.json()["detail"]
        assert no_limit.headers["content-type"].startswith("application/problem+json")
        missing = await client.put("/api/v1/sites/none/stations/CP1", json={})
        assert missing.status_code == 422 and "no site none" in missing.json()["detail"]
        bad_profile = await client.post(
            "/api/v1/stations/CP1/charging-profiles", json={"evse_id": 1, "profile": {"id": 1}}
        )
        assert bad_profile.status_code == 422 and "chargingProfilePurpose" in bad_profile.json()["detail"]
        offline = await client.post(
            "/api/v1/stations/CP1/charging-profiles",
            json={
                "evse_id": 0,
                "profile": {
                    "id": 1,
                    "stackLevel": 0,
                    "chargingProfilePurpose": "TxDefaultProfile",
                    "chargingProfileKind": "Relative",
                    "chargingSchedule": {
                        "chargingRateUnit": "A",
                        "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 6}],
                    },
                },
            },
        )
        assert offline.status_code == 409
        unknown = await client.get("/api/v1/sites/nowhere/power")
        assert unknown.status_code == 404
