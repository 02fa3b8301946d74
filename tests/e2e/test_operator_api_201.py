"""An operator drives a 2.0.1 session over HTTP only: start, watch live, webhook, stop, CSV."""

from __future__ import annotations

import asyncio
import csv
import io
import time
from typing import Any

import httpx
import pytest

from opencsms.simulate import StationConfig
from opencsms.simulate.station201 import SimulatedStation201
from opencsms.webhooks import SIGNATURE_HEADER, verify
from tests.api.receivers import sse_events, webhook_receiver
from tests.conftest import admin_key, auth
from tests.simulate.csms import poll

pytestmark = pytest.mark.e2e


async def test_tc_f_03_e_21_csms_remote_start_and_stop_through_the_api_watched_signed_exported(
    server_factory: Any,
) -> None:
    """TC_F_03_CSMS (remote start first, AuthorizeRemoteStart false: RequestStartTransaction with
    token and EVSE, then Started RemoteStart without an Authorize) and TC_E_21_CSMS
    (RequestStopTransaction, Ended RemoteStop, stoppedReason Remote), driven through the operator
    API: the session shows on the event stream with live power and energy, a signed webhook
    reports its start and end, and the CSV export has it.

    TC_F_03_CSMS: RequestStartTransaction with token and EVSE, Accepted; Started RemoteStart without an
        Authorize; stored with trigger RemoteStart.
    TC_E_21_CSMS: RequestStopTransaction, Accepted; Ended RemoteStop, stoppedReason Remote, stored so.
    """
    server = await server_factory(webhook_backoff=0.05)
    station = SimulatedStation201(
        StationConfig("E2E-201", server.ocpp_url, meter_interval=0.1, unplug_seconds=0.0, ramp_seconds=0.0)
    )
    events: list[tuple[str, dict[str, Any]]] = []
    try:
        async with httpx.AsyncClient(
            base_url=server.http_url, headers=auth(admin_key(server)), timeout=10
        ) as api:
            assert (await api.put("/api/v1/id-tokens/E2E-TAG", json={})).status_code == 200
            with webhook_receiver() as receiver:
                hook = await api.post(
                    "/api/v1/webhooks",
                    json={
                        "url": receiver.url,
                        "event_kinds": ["transaction.started", "transaction.ended"],
                        "station_ids": ["E2E-201"],
                    },
                )
                secret = hook.json()["secret"]

                async def watch() -> None:
                    params = {"station_id": "E2E-201", "kind": "transaction.*"}
                    async with api.stream("GET", "/api/v1/events", params=params, timeout=None) as stream:
                        async for event in sse_events(stream):
                            events.append(event)

                watcher = asyncio.create_task(watch())
                await asyncio.sleep(0.2)  # the stream is open before anything happens
                await station.connect()
                assert await station.boot() == "Accepted"
                await station.announce_statuses()

                started = await api.post(
                    "/api/v1/stations/E2E-201/commands/remote_start",
                    json={"id_token": "E2E-TAG", "evse_id": 1},
                )
                assert started.status_code == 200 and started.json()["action"] == "RequestStartTransaction"
                assert started.json()["status"] == "Accepted"
                assert started.json()["request"]["idToken"]["idToken"] == "E2E-TAG"
                assert started.json()["request"]["evseId"] == 1

                def seen(kind: str) -> list[dict[str, Any]]:
                    return [data for name, data in events if name == kind]

                await poll(
                    lambda: any((d["data"]["energy_wh"] or 0) > 0 for d in seen("transaction.updated")), 10
                )
                (start_event,) = seen("transaction.started")
                tx_id = start_event["data"]["transaction_id"]
                live = [d["data"] for d in seen("transaction.updated")]
                assert all(d["transaction_id"] == tx_id for d in live)
                assert any((d["power_w"] or 0) > 0 for d in live)

                stopped = await api.post(
                    "/api/v1/stations/E2E-201/commands/remote_stop", json={"transaction_id": tx_id}
                )
                assert (
                    stopped.json()["action"] == "RequestStopTransaction"
                    and stopped.json()["status"] == "Accepted"
                )
                await poll(lambda: bool(seen("transaction.ended")), 10)
                assert seen("transaction.ended")[0]["data"]["transaction_id"] == tx_id
                watcher.cancel()

                await poll(lambda: len(receiver.received) >= 2, 10)
                kinds = [r.json["kind"] for r in receiver.received]
                assert kinds == ["transaction.started", "transaction.ended"]
                for delivery in receiver.received:
                    assert verify(
                        secret, delivery.headers[SIGNATURE_HEADER.lower()], delivery.body, time.time()
                    )
                    assert delivery.json["data"]["transaction_id"] == tx_id

            export = await api.get("/api/v1/transactions/export.csv", params={"station_id": "E2E-201"})
            (row,) = list(csv.DictReader(io.StringIO(export.text)))
            assert int(row["id"]) == tx_id and row["status"] == "ended" and row["stop_reason"] == "Remote"
            assert row["id_token"] == "E2E-TAG" and float(row["energy_wh"]) > 0
            tx = await server.domain.transactions.get(tx_id)
            assert tx is not None and (tx.start_trigger_reason, tx.trigger_reason) == (
                "RemoteStart",
                "RemoteStop",
            )
    finally:
        await station.disconnect()
        await server.stop()
