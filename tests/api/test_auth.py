"""Every /api/v1 route needs a key; reads need viewer, changes operator, key management admin."""

from __future__ import annotations

import re

import httpx
import pytest
from fastapi import FastAPI

from opencsms.runtime import Runtime
from tests.api.conftest import Keys
from tests.conftest import auth

SAFE = {"GET", "HEAD", "OPTIONS"}
ADMIN_ONLY = ("/api/v1/api-keys", "/api/v1/users", "/api/v1/login-sessions", "/api/v1/audit")
PUBLIC = {("POST", "/api/v1/session"), ("DELETE", "/api/v1/session")}


def api_routes(server: Runtime) -> list[tuple[str, str]]:
    """Every (method, concrete path) of /api/v1, path parameters filled with a plausible value."""
    app = server.http.config.app
    assert isinstance(app, FastAPI)
    found = []
    for template, operations in app.openapi()["paths"].items():
        if not template.startswith("/api/v1"):
            continue
        path = re.sub(r"\{[^}]+\}", "1", template)
        found += [(m.upper(), path) for m in operations if (m.upper(), template) not in PUBLIC]
    return found


async def status_of(client: httpx.AsyncClient, method: str, path: str, **kwargs: object) -> httpx.Response:
    """The response's status and headers, without reading a body that may never end (the event stream)."""
    async with client.stream(method, path, **kwargs) as response:  # type: ignore[arg-type]
        if not response.headers.get("content-type", "").startswith("text/event-stream"):
            await response.aread()
        return response


async def test_every_api_route_refuses_a_request_without_a_key(
    server: Runtime, anonymous: httpx.AsyncClient
) -> None:
    routes = api_routes(server)
    assert len(routes) >= 8
    for method, path in routes:
        response = await status_of(anonymous, method, path)
        assert response.status_code == 401, (method, path)
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["title"] == "Unauthorized"


async def test_a_wrong_or_revoked_key_is_refused(
    server: Runtime, anonymous: httpx.AsyncClient, keys: Keys
) -> None:
    assert (await anonymous.get("/api/v1/stations", headers=auth("ocsms_wrong"))).status_code == 401
    assert (await anonymous.get("/api/v1/stations", headers={"X-API-Key": "nope"})).status_code == 401
    assert (await anonymous.get("/api/v1/stations", headers={"X-API-Key": keys.viewer})).status_code == 200
    await server.api_keys.revoke("watcher")
    assert (await anonymous.get("/api/v1/stations", headers={"X-API-Key": keys.viewer})).status_code == 401


async def test_viewers_read_but_cannot_change_anything(
    server: Runtime, anonymous: httpx.AsyncClient, keys: Keys
) -> None:
    for method, path in api_routes(server):
        response = await status_of(anonymous, method, path, headers=auth(keys.viewer))
        if method in SAFE and not path.startswith(ADMIN_ONLY):
            assert response.status_code not in (401, 403), (method, path, response.text)
        else:
            assert response.status_code == 403, (method, path)
            assert response.headers["content-type"] == "application/problem+json"


@pytest.mark.parametrize(("role", "allowed"), [("viewer", False), ("operator", False), ("admin", True)])
async def test_only_admins_manage_api_keys(
    anonymous: httpx.AsyncClient, keys: Keys, role: str, allowed: bool
) -> None:
    headers = auth(keys.of(role))
    listed = await anonymous.get("/api/v1/api-keys", headers=headers)
    created = await anonymous.post("/api/v1/api-keys", json={"name": f"by-{role}"}, headers=headers)
    assert (listed.status_code, created.status_code) == ((200, 201) if allowed else (403, 403))


async def test_operators_send_commands(anonymous: httpx.AsyncClient, keys: Keys) -> None:
    response = await anonymous.post("/api/v1/stations/CP-X/commands/reset", headers=auth(keys.operator))
    assert response.status_code == 404  # got past auth: no such station


async def test_health_and_ready_need_no_key(anonymous: httpx.AsyncClient) -> None:
    assert (await anonymous.get("/health")).json() == {"status": "ok"}
    assert (await anonymous.get("/ready")).json()["status"] == "ready"


async def test_a_key_made_through_the_api_works_and_revoking_it_stops_it(
    client: httpx.AsyncClient, anonymous: httpx.AsyncClient
) -> None:
    created = (await client.post("/api/v1/api-keys", json={"name": "ci", "role": "operator"})).json()
    assert created["role"] == "operator" and created["key"].startswith(created["key_prefix"])
    assert created["user_name"] == "admin"  # the caller's, by default
    assert (await anonymous.get("/api/v1/session", headers=auth(created["key"]))).json() == {
        "name": "admin",
        "role": "operator",
        "key": "ci",
        "auth": "key",
    }
    listed = (await client.get("/api/v1/api-keys", params={"sort": "-id"})).json()
    assert listed["items"][0]["name"] == "ci" and "key" not in listed["items"][0]
    assert (await client.post("/api/v1/api-keys", json={"name": "ci"})).status_code == 409
    revoked = await client.delete(f"/api/v1/api-keys/{created['id']}")
    assert revoked.json()["revoked_at"] is not None
    assert (await anonymous.get("/api/v1/session", headers=auth(created["key"]))).status_code == 401
    assert (await client.delete("/api/v1/api-keys/9999")).status_code == 404


async def test_a_browser_logs_in_with_a_key_and_then_uses_the_cookie(server: Runtime, keys: Keys) -> None:
    async with httpx.AsyncClient(base_url=server.http_url) as browser:
        refused = await browser.post("/api/v1/session", json={"api_key": "ocsms_nope"})
        assert refused.status_code == 401 and "opencsms_session" not in browser.cookies
        login = await browser.post("/api/v1/session", json={"api_key": keys.operator})
        assert login.json() == {"name": "ops", "role": "operator", "key": "ops", "auth": "session"}
        set_cookie = login.headers["set-cookie"].lower()
        assert "httponly" in set_cookie and "samesite=strict" in set_cookie
        assert (await browser.get("/api/v1/session")).json()["name"] == "ops"
        assert (await browser.get("/api/v1/stations")).status_code == 200
        assert (await browser.post("/api/v1/stations/CP-X/commands/reset")).status_code == 404
        foreign = await browser.post(
            "/api/v1/stations/CP-X/commands/reset", headers={"Origin": "http://evil.example"}
        )
        assert foreign.status_code == 403
        assert (await browser.delete("/api/v1/session")).status_code == 204
        assert (await browser.get("/api/v1/stations")).status_code == 401


async def test_a_session_ends_when_its_key_is_revoked(server: Runtime, keys: Keys) -> None:
    async with httpx.AsyncClient(base_url=server.http_url) as browser:
        await browser.post("/api/v1/session", json={"api_key": keys.viewer})
        assert (await browser.get("/api/v1/stations")).status_code == 200
        await server.api_keys.revoke("watcher")
        assert (await browser.get("/api/v1/stations")).status_code == 401


async def test_a_forged_session_cookie_is_refused(server: Runtime, keys: Keys) -> None:
    async with httpx.AsyncClient(base_url=server.http_url) as browser:
        await browser.post("/api/v1/session", json={"api_key": keys.viewer})
        token = browser.cookies["opencsms_session"]
        browser.cookies.clear()
        forged = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
        browser.cookies.set("opencsms_session", forged)
        assert (await browser.get("/api/v1/stations")).status_code == 401
        browser.cookies.set("opencsms_session", "1.9999999999.abc")
        assert (await browser.get("/api/v1/stations")).status_code == 401
