"""The raw message log over HTTP, and /metrics."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx

from opencsms.message_log import log_file_of
from opencsms.runtime import Runtime
from tests.conftest import admin_key, auth
from tests.e2e.wsclient import RawStation
from tests.simulate.csms import poll

BOOT16 = {"chargePointVendor": "Acme", "chargePointModel": "AC22"}


async def test_every_frame_in_and_out_is_logged_with_direction_and_time(
    server: Runtime, client: httpx.AsyncClient
) -> None:
    st = await RawStation.open(server.ocpp_url, "CP-LOG", ("ocpp1.6",))
    try:
        await st.call("BootNotification", BOOT16)
        await st.send_raw('[2,"bad","Heartbeat",{"extra": 1}]')
        await st.recv()
        assert server.message_log is not None
        await server.message_log.flush()
        page = (await client.get("/api/v1/stations/CP-LOG/messages", params={"sort": "id"})).json()
        items = page["items"]
        assert [m["direction"] for m in items] == ["in", "out", "in", "out"]
        assert items[0]["frame"].startswith("[2,") and "BootNotification" in items[0]["frame"]
        assert (
            items[1]["frame"].startswith("[3,") and items[2]["frame"] == '[2,"bad","Heartbeat",{"extra": 1}]'
        )
        assert items[3]["frame"].startswith('[4,"bad"')
        inbound = (await client.get("/api/v1/stations/CP-LOG/messages", params={"direction": "in"})).json()
        assert inbound["total"] == 2 and inbound["items"][0]["id"] > inbound["items"][1]["id"]
        later = page["items"][2]["timestamp"]
        since = (
            await client.get("/api/v1/stations/CP-LOG/messages", params={"timestamp_from": later})
        ).json()
        assert since["total"] == 2
        metrics = (await client.get("/metrics")).text
        code = items[3]["frame"].split(",")[2].strip('"')
        assert f'opencsms_ocpp_schema_violations_total{{code="{code}"}} 1.0' in metrics
    finally:
        await st.close()


async def test_metrics_count_stations_messages_transactions_and_energy(
    server: Runtime, anonymous: httpx.AsyncClient, client: httpx.AsyncClient
) -> None:
    await server.domain.tokens.add("M")
    st = await RawStation.open(server.ocpp_url, "CP-MET", ("ocpp1.6",))
    try:
        await st.call("BootNotification", BOOT16)
        start = await st.call(
            "StartTransaction",
            {"connectorId": 1, "idTag": "M", "meterStart": 100, "timestamp": "2026-01-01T00:00:00Z"},
        )
        body = (await anonymous.get("/metrics")).text  # no key needed
        assert 'opencsms_stations_connected{ocpp_version="1.6"} 1.0' in body
        assert "opencsms_transactions_active 1.0" in body
        assert (
            'opencsms_ocpp_messages_total{action="BootNotification",direction="in",result="ok"} 1.0' in body
        )
        assert (
            'opencsms_ocpp_call_latency_seconds_count{action="StartTransaction",direction="in"} 1.0' in body
        )
        await st.call(
            "StopTransaction",
            {
                "transactionId": start[2]["transactionId"],
                "meterStop": 2600,
                "timestamp": "2026-01-01T01:00:00Z",
            },
        )
        await client.post("/api/v1/stations/CP-MET/commands/clear_cache", params={"timeout": 0.1})
        body = (await anonymous.get("/metrics")).text
        assert "opencsms_transactions_active 0.0" in body
        assert "opencsms_energy_delivered_wh_total 2500.0" in body
        assert (
            'opencsms_ocpp_messages_total{action="ClearCache",direction="out",result="timeout"} 1.0' in body
        )
    finally:
        await st.close()
    await poll(lambda: "CP-MET" not in server.sessions.sessions)


async def test_with_the_log_turned_off_no_frames_are_listed(server_factory: Callable[..., Any]) -> None:
    rt: Runtime = await server_factory(message_log_retention_days=0)
    try:
        st = await RawStation.open(rt.ocpp_url, "CP-NOLOG", ("ocpp1.6",))
        await st.call("BootNotification", BOOT16)
        await st.close()
        async with httpx.AsyncClient(base_url=rt.http_url, headers=auth(admin_key(rt)), timeout=10) as api:
            page = (await api.get("/api/v1/stations/CP-NOLOG/messages")).json()
        assert page == {"items": [], "total": 0, "limit": 50, "offset": 0}
        assert not log_file_of(rt.store.engine.url).exists()  # type: ignore[union-attr]
    finally:
        await rt.stop()
