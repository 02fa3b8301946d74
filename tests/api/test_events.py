"""The live event stream (server-sent events), by key or by session cookie, filtered."""

from __future__ import annotations

import asyncio
import base64

import httpx
import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

from opencsms.runtime import Runtime
from tests.api.conftest import Keys
from tests.api.receivers import sse_events
from tests.e2e.wsclient import RawStation

BOOT16 = {"chargePointVendor": "Acme", "chargePointModel": "AC22"}


async def test_the_stream_shows_a_station_connecting_and_its_status_filtered_by_station(
    server: Runtime, client: httpx.AsyncClient
) -> None:
    params = {"station_id": "CP-EV", "kind": ["station.*", "connector.status"]}
    async with client.stream("GET", "/api/v1/events", params=params) as response:
        assert response.headers["content-type"].startswith("text/event-stream")
        events = sse_events(response)
        other = await RawStation.open(server.ocpp_url, "CP-OTHER", ("ocpp1.6",))
        st = await RawStation.open(server.ocpp_url, "CP-EV", ("ocpp1.6",))
        try:
            await st.call("BootNotification", BOOT16)
            await st.call("Heartbeat", {})
            await st.call(
                "StatusNotification", {"connectorId": 1, "errorCode": "NoError", "status": "Available"}
            )
            seen = [await asyncio.wait_for(anext(events), 5) for _ in range(3)]
        finally:
            await st.close()
            await other.close()
    assert [name for name, _ in seen] == ["station.connected", "station.booted", "connector.status"]
    assert all(data["station_id"] == "CP-EV" for _, data in seen)
    assert seen[0][1]["data"] == {"ocpp_version": "1.6"} and seen[2][1]["data"]["status"] == "Available"


async def test_a_browser_reads_the_stream_with_its_session_cookie(server: Runtime, keys: Keys) -> None:
    async with httpx.AsyncClient(base_url=server.http_url, timeout=10) as browser:
        assert (await browser.post("/api/v1/session", json={"api_key": keys.viewer})).status_code == 200
        async with browser.stream("GET", "/api/v1/events") as response:
            assert response.status_code == 200
            events = sse_events(response)
            st = await RawStation.open(server.ocpp_url, "CP-COOKIE", ("ocpp1.6",))
            try:
                name, data = await asyncio.wait_for(anext(events), 5)
            finally:
                await st.close()
    assert (name, data["station_id"]) == ("station.connected", "CP-COOKIE")


async def test_stopping_the_server_ends_open_streams(server: Runtime, client: httpx.AsyncClient) -> None:
    async with client.stream("GET", "/api/v1/events") as response:
        assert response.status_code == 200
        server.bus.close()
        remaining = [line async for line in response.aiter_lines()]
    assert remaining[0].startswith(": opencsms")


async def test_security_events_reach_the_stream_and_metrics(
    server: Runtime, client: httpx.AsyncClient
) -> None:
    """A refused login is a security event: live on the stream, counted in /metrics."""
    await server.domain.security.set_password("CP-SEC", "0123456789abcdefXY", security_profile=0)
    wrong = base64.b64encode(b"CP-SEC:not-the-password-at-all").decode()
    params = {"station_id": "CP-SEC", "kind": "security.*"}
    async with client.stream("GET", "/api/v1/events", params=params) as response:
        events = sse_events(response)
        with pytest.raises(InvalidStatus) as refused:
            await connect(
                f"{server.ocpp_url}/CP-SEC",
                subprotocols=["ocpp1.6"],  # type: ignore[list-item]
                additional_headers={"Authorization": f"Basic {wrong}"},
            )
        name, data = await asyncio.wait_for(anext(events), 5)
    assert refused.value.response.status_code == 401
    assert name == "security.event" and data["station_id"] == "CP-SEC"
    assert data["data"]["event_type"] == "AuthenticationFailed" and data["data"]["source"] == "csms"
    assert "not-the-password" not in repr(data)
    body = (await client.get("/metrics")).text
    assert 'opencsms_security_events_total{event_type="AuthenticationFailed",source="csms"} 1.0' in body
    assert 'opencsms_handshake_refusals_total{reason="auth_failed"} 1.0' in body
