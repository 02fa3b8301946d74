"""X-Forwarded-For on the HTTP port: believed from the trusted proxies only; the address the API
records (the audit log) is the client's."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx

from opencsms.runtime import Runtime
from tests.conftest import admin_key, auth


async def _recorded_address(rt: Runtime, key: str, source: str, forwarded_for: str) -> object:
    transport = httpx.AsyncHTTPTransport(local_address=source)
    async with httpx.AsyncClient(base_url=rt.http_url, headers=auth(key), transport=transport) as client:
        response = await client.post(
            "/api/v1/tokens", json={"id_token": "XFF-TAG"}, headers={"X-Forwarded-For": forwarded_for}
        )
        assert response.status_code < 500
        page = (await client.get("/api/v1/audit", params={"limit": 1})).json()
    return page["items"][0]["client_address"]


async def test_only_a_trusted_proxy_names_the_client(server_factory: Callable[..., Any]) -> None:
    rt: Runtime = await server_factory(trusted_proxies="127.0.0.2")
    try:
        key = admin_key(rt)
        assert await _recorded_address(rt, key, "127.0.0.2", "203.0.113.5") == "203.0.113.5"
        # Someone else's header is ignored: the peer is the client.
        assert await _recorded_address(rt, key, "127.0.0.3", "203.0.113.6") == "127.0.0.3"
    finally:
        await rt.stop()


async def test_without_trusted_proxies_nobody_names_the_client(server_factory: Callable[..., Any]) -> None:
    """Not even a local process (the HTTP server's own default would believe 127.0.0.1)."""
    rt: Runtime = await server_factory()
    try:
        assert await _recorded_address(rt, admin_key(rt), "127.0.0.1", "203.0.113.7") == "127.0.0.1"
    finally:
        await rt.stop()
