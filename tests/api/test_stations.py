"""Stations: list (live status, filters, sort, pages), detail, create/update/delete, connectors, history."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime
from typing import Any

import httpx

from opencsms.domain.model import BootInfo
from opencsms.runtime import Runtime
from opencsms.store import stations as station_rows
from tests.conftest import admin_key, auth
from tests.e2e.wsclient import RawStation
from tests.simulate.csms import poll

BOOT16 = {"chargePointVendor": "Acme", "chargePointModel": "AC22"}


async def test_the_list_shows_live_status_and_filters_sorts_and_pages(
    server: Runtime, client: httpx.AsyncClient
) -> None:
    now = server.domain.stations._clock()
    for name in ("CP-B", "CP-A", "XY-1"):
        await server.domain.stations.boot(name, BootInfo("Acme", "AC22"), now)
    online = await RawStation.open(server.ocpp_url, "CP-C", ("ocpp1.6",))
    try:
        await online.call("BootNotification", BOOT16)
        page = (await client.get("/api/v1/stations")).json()
        assert page["total"] == 4 and [s["id"] for s in page["items"]] == ["CP-A", "CP-B", "CP-C", "XY-1"]
        connected = (await client.get("/api/v1/stations", params={"connected": True})).json()
        assert [s["id"] for s in connected["items"]] == ["CP-C"] and connected["items"][0][
            "ocpp_version"
        ] == "1.6"
        found = (await client.get("/api/v1/stations", params={"q": "cp-", "sort": "-id", "limit": 2})).json()
        assert found["total"] == 3 and [s["id"] for s in found["items"]] == ["CP-C", "CP-B"]
        second = (
            await client.get("/api/v1/stations", params={"q": "cp-", "sort": "-id", "offset": 2})
        ).json()
        assert [s["id"] for s in second["items"]] == ["CP-A"]
        bad = await client.get("/api/v1/stations", params={"sort": "password"})
        assert bad.status_code == 422 and "sort by one of" in bad.json()["detail"]
        assert (await client.get("/api/v1/stations", params={"limit": 0})).status_code == 422
    finally:
        await online.close()


async def test_create_update_and_delete_a_station(server: Runtime, client: httpx.AsyncClient) -> None:
    created = await client.post("/api/v1/stations", json={"id": "NEW-1", "registration_status": "Pending"})
    assert created.status_code == 201 and created.json()["registration_status"] == "Pending"
    assert (await client.post("/api/v1/stations", json={"id": "NEW-1"})).status_code == 409
    patched = await client.patch("/api/v1/stations/NEW-1", json={"registration_status": "Accepted"})
    assert patched.json()["registration_status"] == "Accepted"
    assert (await client.get("/api/v1/stations/NEW-1")).json()["connected"] is False
    assert (
        await client.patch("/api/v1/stations/NOPE", json={"registration_status": "Accepted"})
    ).status_code == 404
    assert (await client.delete("/api/v1/stations/NEW-1")).status_code == 204
    assert (await client.get("/api/v1/stations/NEW-1")).status_code == 404
    assert (await client.delete("/api/v1/stations/NEW-1")).status_code == 404


async def test_a_connected_station_or_one_with_transactions_is_not_deleted(
    server: Runtime, client: httpx.AsyncClient
) -> None:
    st = await RawStation.open(server.ocpp_url, "CP-DEL", ("ocpp1.6",))
    await st.call("BootNotification", BOOT16)
    refused = await client.delete("/api/v1/stations/CP-DEL")
    assert refused.status_code == 409 and "connected" in refused.json()["detail"]
    await st.call(
        "StartTransaction",
        {"connectorId": 1, "idTag": "T", "meterStart": 0, "timestamp": "2026-01-01T00:00:00Z"},
    )
    await st.close()

    async def offline() -> bool:
        return not (await client.get("/api/v1/stations/CP-DEL")).json()["connected"]

    from tests.simulate.csms import poll

    await poll(offline)
    refused = await client.delete("/api/v1/stations/CP-DEL")
    assert refused.status_code == 409 and "transactions" in refused.json()["detail"]


async def test_connectors_and_their_status_history(server: Runtime, client: httpx.AsyncClient) -> None:
    st = await RawStation.open(server.ocpp_url, "CP-ST", ("ocpp1.6",))
    try:
        await st.call("BootNotification", BOOT16)
        for status in ("Available", "Preparing", "Charging"):
            await st.call("StatusNotification", {"connectorId": 1, "errorCode": "NoError", "status": status})
        connectors = (await client.get("/api/v1/stations/CP-ST/connectors")).json()["items"]
        assert [(c["evse_id"], c["connector_id"], c["status"]) for c in connectors] == [(0, 1, "Charging")]
        history = (await client.get("/api/v1/stations/CP-ST/connectors/1/history")).json()
        assert [h["status"] for h in history["items"]] == ["Charging", "Preparing", "Available"]
        assert history["total"] == 3
        older = (await client.get("/api/v1/stations/CP-ST/connectors/1/history", params={"offset": 1})).json()
        assert [h["status"] for h in older["items"]] == ["Preparing", "Available"] and older["total"] == 3
        assert (await client.get("/api/v1/stations/NOPE/connectors")).status_code == 404
        assert (await client.get("/api/v1/stations/NOPE/connectors/1/history")).status_code == 404
    finally:
        await st.close()


async def test_last_seen_follows_every_message_and_reaches_the_store_now_and_then(
    server_factory: Callable[..., Any],
) -> None:
    """A station sending traffic but no heartbeats (both versions allow it) is seen: the API
    shows the time of its last message at once, and the store has it after the next flush."""
    server: Runtime = await server_factory(last_seen_flush_interval=0.2)
    station = await RawStation.open(server.ocpp_url, "CP-BUSY", ("ocpp1.6",))
    try:
        async with httpx.AsyncClient(base_url=server.http_url, headers=auth(admin_key(server))) as client:
            await station.call("BootNotification", BOOT16)
            booted = (await client.get("/api/v1/stations/CP-BUSY")).json()["last_seen"]
            await asyncio.sleep(0.05)  # so the next message has a later time
            status = {"connectorId": 1, "errorCode": "NoError", "status": "Available"}
            assert (await station.call("StatusNotification", status))[0] == 3
            shown = (await client.get("/api/v1/stations/CP-BUSY")).json()["last_seen"]
            assert datetime.fromisoformat(shown) > datetime.fromisoformat(booted)
            listed = (await client.get("/api/v1/stations", params={"q": "CP-BUSY"})).json()["items"]
            assert [s["last_seen"] for s in listed] == [shown]

            async def stored() -> bool:
                row = await server.store.read(lambda c: station_rows.get(c, "CP-BUSY"))
                return row is not None and row.last_seen == datetime.fromisoformat(shown)

            await poll(stored)
    finally:
        await station.close()
        await server.stop()
