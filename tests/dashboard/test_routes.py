"""The dashboard is served at / next to the API, whose routes keep working."""

from __future__ import annotations

import httpx
import pytest

from opencsms.runtime import Runtime
from tests.conftest import admin_key, auth

pytestmark = pytest.mark.e2e

PAGES = ["/", "/stations", "/stations/CP%201", "/sessions", "/sessions/7", "/tokens", "/audit", "/login"]


@pytest.mark.parametrize("path", PAGES)
async def test_pages_are_html_shells_that_load_their_module(server: Runtime, path: str) -> None:
    async with httpx.AsyncClient(base_url=server.http_url) as client:
        response = await client.get(path)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert '<script type="module" src="/static/js/pages/' in response.text


async def test_station_page_escapes_the_station_id(server: Runtime) -> None:
    async with httpx.AsyncClient(base_url=server.http_url) as client:
        response = await client.get("/stations/%3Cscript%3Ex%3C%2Fscript%3E")
    assert "<script>x</script>" not in response.text
    assert "&lt;script&gt;x&lt;/script&gt;" in response.text


async def test_static_files_and_api_routes_are_served_alongside(server: Runtime) -> None:
    async with httpx.AsyncClient(base_url=server.http_url) as client:
        module = await client.get("/static/js/pages/overview.js")
        assert module.status_code == 200
        assert "javascript" in module.headers["content-type"]
        assert (await client.get("/static/css/dashboard.css")).status_code == 200
        assert (await client.get("/health")).json() == {"status": "ok"}
        assert (await client.get("/docs")).status_code == 200
        paths = (await client.get("/openapi.json")).json()["paths"]
    assert "/api/v1/dashboard/overview" in paths
    assert "/" not in paths  # pages stay out of the API document


async def test_overview_figures_of_an_empty_fleet(server: Runtime) -> None:
    async with httpx.AsyncClient(base_url=server.http_url) as client:
        anonymous = await client.get("/api/v1/dashboard/overview")
        response = await client.get(
            "/api/v1/dashboard/overview",
            params={"day_start": "2026-01-01T00:00:00+01:00"},
            headers=auth(admin_key(server)),
        )
    assert anonymous.status_code == 401  # the dashboard's data needs a key like the rest of the API
    body = response.json()
    assert response.status_code == 200
    assert body["stations_total"] == 0 and body["active_sessions"] == 0 and body["power_w"] == 0
    assert body["attention"] == [] and body["connectors_by_status"] == {}
    assert body["day_start"] == "2026-01-01T00:00:00+01:00"


@pytest.mark.parametrize("path", [*PAGES, "/static/js/pages/overview.js", "/api/v1/stations", "/health"])
async def test_every_answer_carries_the_security_headers(server: Runtime, path: str) -> None:
    """The dashboard cannot be framed, runs only its own scripts, and its answers are not sniffed."""
    async with httpx.AsyncClient(base_url=server.http_url) as client:
        response = await client.get(path)
    csp = response.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in csp and "script-src 'self'" in csp and "default-src 'self'" in csp
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["x-frame-options"] == "DENY"


async def test_the_api_docs_keep_their_cdn_scripts_but_not_the_rest(server: Runtime) -> None:
    async with httpx.AsyncClient(base_url=server.http_url) as client:
        response = await client.get("/docs")
    assert "content-security-policy" not in response.headers
    assert response.headers["x-frame-options"] == "DENY"
