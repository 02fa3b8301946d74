"""The audit log over HTTP: every mutating route records who, what, when, from where and the
result; admins list and export it; logins are recorded whatever their result."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime

import httpx

from opencsms.runtime import Runtime
from tests.api.conftest import Keys
from tests.api.test_auth import status_of
from tests.conftest import auth

SAFE = {"get", "head", "options"}


async def _latest(client: httpx.AsyncClient) -> dict[str, object]:
    page = (await client.get("/api/v1/audit", params={"limit": 1})).json()
    item: dict[str, object] = page["items"][0]
    return item


async def test_every_mutating_route_in_the_openapi_document_is_recorded(
    server: Runtime, client: httpx.AsyncClient, anonymous: httpx.AsyncClient, keys: Keys
) -> None:
    document = (await anonymous.get("/openapi.json")).json()
    routes = [
        (method.upper(), template)
        for template, operations in document["paths"].items()
        for method in operations
        if method not in SAFE
    ]
    assert len(routes) >= 40
    before = (await client.get("/api/v1/audit")).json()["total"]
    for method, template in routes:
        # A number no row has: path parameters of every kind accept it, and nothing existing is hit.
        path = re.sub(r"\{[^}]+\}", "999999", template)
        started = datetime.now(UTC)
        response = await status_of(anonymous, method, path, headers=auth(keys.admin))
        entry = await _latest(client)
        assert entry["action"] == f"{method} {template}", (method, template)
        assert entry["method"] == method and entry["path"] == path, (method, template)
        assert entry["status"] == response.status_code, (method, template, entry)
        assert (entry["user_name"], entry["api_key_name"], entry["auth"]) == ("admin", "admin", "key")
        assert entry["client_address"] == "127.0.0.1"
        assert datetime.fromisoformat(str(entry["at"])) >= started.replace(microsecond=0)
        if "{station_id}" in template:
            assert entry["target"] == "999999"
    total = (await client.get("/api/v1/audit")).json()["total"]
    assert total == before + len(routes)  # one row per call, no more


async def test_a_command_records_the_station_the_result_and_the_query(
    client: httpx.AsyncClient, keys: Keys, anonymous: httpx.AsyncClient
) -> None:
    assert (await client.post("/api/v1/stations", json={"id": "CP-9"})).status_code == 201
    answer = await anonymous.post("/api/v1/stations/CP-9/commands/reset", headers=auth(keys.operator))
    assert answer.status_code == 409
    entry = await _latest(client)
    assert entry["action"] == "POST /api/v1/stations/{station_id}/commands/reset"
    assert (entry["target"], entry["status"], entry["user_name"], entry["api_key_name"]) == (
        "CP-9",
        409,
        "ops",
        "ops",
    )
    queued = await anonymous.post(
        "/api/v1/stations/CP-9/commands/reset",
        params={"queue": "true", "expires_in": 60},
        headers=auth(keys.operator),
    )
    assert queued.status_code == 202
    entry = await _latest(client)
    assert entry["status"] == 202 and entry["details"] == {
        "path_params": {"station_id": "CP-9"},
        "query": "queue=true&expires_in=60",
    }


async def test_refusals_are_recorded_with_who_was_refused(
    client: httpx.AsyncClient, anonymous: httpx.AsyncClient, keys: Keys
) -> None:
    assert (await anonymous.post("/api/v1/tokens", json={}, headers=auth(keys.viewer))).status_code == 403
    entry = await _latest(client)
    assert (entry["user_name"], entry["status"], entry["action"]) == ("watcher", 403, "POST /api/v1/tokens")
    before = (await client.get("/api/v1/audit")).json()["total"]
    # Nobody authenticated: nothing changed and nobody to name, so no row.
    assert (await anonymous.post("/api/v1/tokens", json={})).status_code == 401
    assert (await client.get("/api/v1/audit")).json()["total"] == before


async def test_logins_are_recorded_whatever_their_result(
    server: Runtime, client: httpx.AsyncClient, anonymous: httpx.AsyncClient
) -> None:
    created = await client.post(
        "/api/v1/users", json={"name": "dana", "role": "viewer", "password": "x" * 14}
    )
    assert created.status_code == 201
    wrong = await anonymous.post("/api/v1/session", json={"user": "dana", "password": "y" * 14})
    assert wrong.status_code == 401
    entry = await _latest(client)
    assert (entry["action"], entry["user_name"], entry["status"], entry["auth"]) == (
        "login password",
        "dana",
        401,
        "none",
    )
    right = await anonymous.post("/api/v1/session", json={"user": "dana", "password": "x" * 14})
    assert right.status_code == 200
    entry = await _latest(client)
    assert (entry["action"], entry["user_name"], entry["status"], entry["auth"]) == (
        "login password",
        "dana",
        200,
        "session",
    )
    assert (await anonymous.delete("/api/v1/session")).status_code == 204
    entry = await _latest(client)
    assert (entry["action"], entry["user_name"]) == ("logout", "dana")


async def test_only_admins_read_and_export_the_audit_log(
    client: httpx.AsyncClient, anonymous: httpx.AsyncClient, keys: Keys
) -> None:
    await client.post("/api/v1/stations", json={"id": "=HYPERLINK(1)"})
    await anonymous.post("/api/v1/stations/=HYPERLINK(1)/commands/reset", headers=auth(keys.operator))
    for role in ("viewer", "operator"):
        assert (await anonymous.get("/api/v1/audit", headers=auth(keys.of(role)))).status_code == 403
        assert (
            await anonymous.get("/api/v1/audit/export.csv", headers=auth(keys.of(role)))
        ).status_code == 403
    listed = (await client.get("/api/v1/audit", params={"user_name": "ops", "succeeded": "false"})).json()
    assert listed["total"] == 1 and listed["items"][0]["status"] == 409
    assert (await client.get("/api/v1/audit", params={"sort": "at"})).status_code == 422
    export = await client.get("/api/v1/audit/export.csv", params={"user_name": "ops"})
    assert export.status_code == 200 and export.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(export.text)))
    assert len(rows) == 1 and rows[0]["status"] == "409" and rows[0]["api_key_name"] == "ops"
    # A station id that a spreadsheet would run as a formula is written as text.
    assert rows[0]["target"] == "'=HYPERLINK(1)"
