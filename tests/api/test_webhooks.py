"""Webhooks against a real receiver on 127.0.0.1: signed deliveries, retries, the delivery log."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest

from opencsms.runtime import Runtime
from opencsms.webhooks import SIGNATURE_HEADER, verify
from tests.api.receivers import webhook_receiver
from tests.conftest import admin_key, auth
from tests.e2e.wsclient import RawStation
from tests.simulate.csms import poll


@pytest.fixture
async def fast_retry_server(server_factory: Callable[..., Any]) -> AsyncIterator[Runtime]:
    rt: Runtime = await server_factory(webhook_backoff=0.05, webhook_max_attempts=3)
    try:
        yield rt
    finally:
        await rt.stop()


@pytest.fixture
async def api(fast_retry_server: Runtime) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(
        base_url=fast_retry_server.http_url, headers=auth(admin_key(fast_retry_server)), timeout=10
    ) as c:
        yield c


async def deliveries(api: httpx.AsyncClient, hook_id: int) -> list[dict[str, Any]]:
    page = (await api.get(f"/api/v1/webhooks/{hook_id}/deliveries", params={"sort": "id"})).json()
    items: list[dict[str, Any]] = page["items"]
    return items


async def test_matching_events_are_posted_signed_and_logged(
    fast_retry_server: Runtime, api: httpx.AsyncClient
) -> None:
    with webhook_receiver() as receiver:
        created = await api.post(
            "/api/v1/webhooks",
            json={"url": receiver.url, "event_kinds": ["station.connected"], "station_ids": ["CP-WH"]},
        )
        assert created.status_code == 201
        hook = created.json()
        assert (
            len(hook["secret"]) >= 32
            and "secret" not in (await api.get(f"/api/v1/webhooks/{hook['id']}")).json()
        )
        for name in ("CP-NOT-THIS", "CP-WH"):
            st = await RawStation.open(fast_retry_server.ocpp_url, name, ("ocpp1.6",))
            await st.close()
        await poll(lambda: len(receiver.received) >= 1)
        got = receiver.received[0]
        assert verify(hook["secret"], got.headers[SIGNATURE_HEADER.lower()], got.body, time.time())
        assert not verify(
            "another-secret-value", got.headers[SIGNATURE_HEADER.lower()], got.body, time.time()
        )
        assert got.headers["x-opencsms-event"] == "station.connected"
        assert got.json["station_id"] == "CP-WH" and got.json["kind"] == "station.connected"

        async def logged() -> bool:
            return [d["status"] for d in await deliveries(api, hook["id"])] == ["delivered"]

        await poll(logged)
        (delivery,) = await deliveries(api, hook["id"])
        assert delivery["attempts"] == 1 and delivery["response_status"] == 200
        assert got.headers["x-opencsms-delivery"] == str(delivery["id"])
        assert len(receiver.received) == 1  # CP-NOT-THIS and station.disconnected were filtered out


async def test_a_failing_receiver_is_retried_until_it_answers_or_attempts_run_out(
    api: httpx.AsyncClient,
) -> None:
    with webhook_receiver(statuses=[500, 503]) as flaky, webhook_receiver(statuses=[500] * 5) as broken:
        flaky_hook = (await api.post("/api/v1/webhooks", json={"url": flaky.url})).json()
        broken_hook = (await api.post("/api/v1/webhooks", json={"url": broken.url})).json()
        assert (await api.post(f"/api/v1/webhooks/{flaky_hook['id']}/ping")).json() == {"queued": 1}
        await api.post(f"/api/v1/webhooks/{broken_hook['id']}/ping")

        async def settled() -> bool:
            states = [d["status"] for h in (flaky_hook, broken_hook) for d in await deliveries(api, h["id"])]
            return states == ["delivered", "failed"]

        await poll(settled, timeout=10)
        (ok,) = await deliveries(api, flaky_hook["id"])
        (failed,) = await deliveries(api, broken_hook["id"])
        assert (ok["attempts"], ok["response_status"], ok["error"]) == (3, 200, None)
        assert (failed["attempts"], failed["response_status"], failed["error"]) == (3, 500, "HTTP 500")
        assert len(flaky.received) == 3 and len(broken.received) == 3
        only_failed = await api.get(
            f"/api/v1/webhooks/{broken_hook['id']}/deliveries", params={"status": "failed"}
        )
        assert only_failed.json()["total"] == 1


async def test_webhook_management(api: httpx.AsyncClient) -> None:
    bad = await api.post("/api/v1/webhooks", json={"url": "not a url"})
    assert bad.status_code == 422 and bad.headers["content-type"] == "application/problem+json"
    short = await api.post("/api/v1/webhooks", json={"url": "http://127.0.0.1:1/x", "secret": "short"})
    assert short.status_code == 422
    hook = (
        await api.post(
            "/api/v1/webhooks",
            json={"url": "http://127.0.0.1:1/x", "secret": "s" * 20, "event_kinds": ["transaction.*"]},
        )
    ).json()
    assert hook["secret"] == "s" * 20 and hook["event_kinds"] == ["transaction.*"]
    paused = await api.patch(
        f"/api/v1/webhooks/{hook['id']}", json={"active": False, "description": "paused"}
    )
    assert paused.json()["active"] is False and paused.json()["description"] == "paused"
    assert (await api.get("/api/v1/webhooks")).json()["total"] == 1
    assert (await api.delete(f"/api/v1/webhooks/{hook['id']}")).status_code == 204
    for method, path in [
        ("GET", "/api/v1/webhooks/{}"),
        ("PATCH", "/api/v1/webhooks/{}"),
        ("DELETE", "/api/v1/webhooks/{}"),
        ("GET", "/api/v1/webhooks/{}/deliveries"),
        ("POST", "/api/v1/webhooks/{}/ping"),
    ]:
        kwargs: dict[str, Any] = {"json": {}} if method == "PATCH" else {}
        assert (await api.request(method, path.format(hook["id"]), **kwargs)).status_code == 404
