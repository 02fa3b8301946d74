"""Abuse on 127.0.0.1, bounded in count and time: slowloris handshakes, connection floods, message
floods and oversized frames. Each test checks that a well-behaved station is still served.

Attackers bind to 127.0.0.2 (still the loopback interface, talking to the server on 127.0.0.1)
so that limits per address can be told apart from the global ones.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from typing import Any

import orjson
import pytest
from sqlalchemy import func, select
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from opencsms.runtime import Runtime
from opencsms.store.schema_operator_api import message_log
from tests.e2e.test_security_basic_auth import wait_events
from tests.e2e.wsclient import RawStation

pytestmark = pytest.mark.e2e

ATTACKER = ("127.0.0.2", 0)


async def served(rt: Runtime, station_id: str, timeout: float = 5.0) -> float:
    """Connect a fresh station, boot it and send a heartbeat; returns how long that took."""
    loop = asyncio.get_running_loop()
    started = loop.time()
    station = await asyncio.wait_for(RawStation.open(rt.ocpp_url, station_id), timeout)
    boot = await station.call(
        "BootNotification", {"chargePointVendor": "V", "chargePointModel": "M"}, timeout
    )
    assert boot[2]["status"] == "Accepted"
    assert (await station.call("Heartbeat", {}, timeout))[0] == 3
    await station.close()
    return loop.time() - started


async def open_slow_handshake(port: int) -> asyncio.StreamWriter:
    """A slowloris client: connects and sends half an HTTP request, then nothing."""
    _, writer = await asyncio.open_connection("127.0.0.1", port, local_addr=ATTACKER)
    writer.write(b"GET /ocpp/SLOW HTTP/1.1\r\nHost: 127.0.0.1\r\n")
    await writer.drain()
    return writer


@pytest.fixture
async def guarded(server_factory: Callable[..., Any]) -> AsyncIterator[Runtime]:
    rt: Runtime = await server_factory(
        max_pending_handshakes=40,
        max_pending_handshakes_per_ip=10,
        handshake_timeout=1.0,
        # Slow refill: the flood's outcome does not depend on how fast this machine connects.
        connections_per_ip=0.5,
        connection_burst_per_ip=30.0,
        station_message_rate=20.0,
        station_message_burst=40.0,
    )
    try:
        yield rt
    finally:
        await rt.stop()


async def test_slowloris_handshakes_are_capped_and_dropped_while_others_are_served(guarded: Runtime) -> None:
    writers = [await open_slow_handshake(guarded.ocpp_port) for _ in range(30)]
    try:
        pending = guarded.listener.pending_handshakes  # type: ignore[attr-defined]
        for _ in range(100):  # until the server has accepted all of them
            if pending.count + pending.dropped >= 30:
                break
            await asyncio.sleep(0.02)
        assert pending.held("127.0.0.2") == 10  # the rest were dropped at once
        assert pending.dropped >= 20
        assert await served(guarded, "CP-POLITE-1") < 2.0
        # The held handshakes time out: the attacker's slots are freed, nothing stays pending.
        for _ in range(100):
            if pending.count == 0:
                break
            await asyncio.sleep(0.05)
        assert pending.count == 0
    finally:
        for writer in writers:
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()


async def test_connection_flood_from_one_address_is_refused_while_others_are_served(guarded: Runtime) -> None:
    statuses: list[int] = []
    for i in range(60):
        try:
            ws = await connect(f"{guarded.ocpp_url}/FLOOD{i}", subprotocols=["ocpp1.6"], local_addr=ATTACKER)  # type: ignore[list-item]
        except InvalidStatus as refused:
            statuses.append(refused.response.status_code)
        else:
            statuses.append(101)
            await ws.close()
    assert statuses[:30] == [101] * 30  # the burst
    assert statuses.count(429) >= 20  # the rest, but for what refilled while they came in
    assert await served(guarded, "CP-POLITE-2") < 2.0


async def test_message_flood_closes_the_station_with_1008_while_others_are_served(guarded: Runtime) -> None:
    flooder = await RawStation.open(guarded.ocpp_url, "CP-FLOOD")
    frames = [orjson.dumps([2, f"f{i}", "Heartbeat", {}]).decode() for i in range(300)]
    with pytest.raises(ConnectionClosed) as closed:
        for frame in frames:
            await flooder.ws.send(frame)
        while True:
            await flooder.ws.recv()
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 1008
    assert closed.value.rcvd.reason == "message rate exceeded"
    assert [e.event_type for e in await wait_events(guarded, "CP-FLOOD")] == ["MessageRateExceeded"]
    assert await served(guarded, "CP-POLITE-3") < 2.0


async def test_oversized_frame_closes_the_connection_with_1009(guarded: Runtime) -> None:
    big = await RawStation.open(guarded.ocpp_url, "CP-BIG")
    with pytest.raises(ConnectionClosed) as closed:
        await big.ws.send('[2,"x","DataTransfer",{"vendorId":"v","data":"' + "x" * (4 * 1024 * 1024) + '"}]')
        await big.ws.recv()
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 1009
    assert await served(guarded, "CP-POLITE-4") < 2.0


async def test_half_open_upgrades_from_eleven_addresses_leave_room_for_everyone_else(
    server_factory: Callable[..., Any],
) -> None:
    """Attack 5: slowloris from 11 addresses used to fill the global pending limit, and stations
    from uninvolved addresses then failed 15 of 20 connects. A newcomer from an address holding
    less now takes the busiest address's oldest slot."""
    rt: Runtime = await server_factory(
        max_pending_handshakes=40,
        max_pending_handshakes_per_ip=10,
        handshake_timeout=60.0,
        handshake_request_timeout=60.0,  # the held requests do not time out during the test
    )
    writers = []
    try:
        for attacker in range(11):
            for _ in range(10):
                _, writer = await asyncio.open_connection(
                    "127.0.0.1", rt.ocpp_port, local_addr=(f"127.0.0.{10 + attacker}", 0)
                )
                writer.write(b"GET /ocpp/SLOW HTTP/1.1\r\nHost: 127.0.0.1\r\n")
                writers.append(writer)
        pending = rt.listener.pending_handshakes  # type: ignore[attr-defined]
        for _ in range(100):  # until the server has accepted all of them
            if pending.count + pending.dropped >= 110:
                break
            await asyncio.sleep(0.02)
        assert pending.count == 40  # full
        for i in range(20):
            assert await served(rt, f"CP-UNINVOLVED-{i}") < 5.0
        assert pending.evicted >= 20
        assert max(pending.held(f"127.0.0.{10 + a}") for a in range(11)) <= 10
    finally:
        for writer in writers:
            writer.close()
        await rt.stop()


async def test_an_upgrade_request_that_trickles_in_is_dropped_early(
    server_factory: Callable[..., Any],
) -> None:
    rt: Runtime = await server_factory(handshake_timeout=60.0, handshake_request_timeout=0.5)
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", rt.ocpp_port, local_addr=ATTACKER)
        request = b"GET /ocpp/TRICKLE HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
        with contextlib.suppress(ConnectionError):
            for byte in request:  # one byte every 50 ms: 3 s for the request, never done in 0.5 s
                writer.write(bytes([byte]))
                await writer.drain()
                await asyncio.sleep(0.05)
        try:
            answer = await asyncio.wait_for(reader.read(), 5.0)
        except ConnectionError:  # the server dropped it while bytes were still being sent
            answer = b""
        assert answer == b""  # dropped, not answered
        pending = rt.listener.pending_handshakes  # type: ignore[attr-defined]
        assert pending.timed_out == 1 and pending.count == 0
        assert await served(rt, "CP-AFTER-TRICKLE") < 2.0
        writer.close()
    finally:
        await rt.stop()


async def test_a_station_reconnecting_after_each_1008_gets_no_fresh_budget(
    server_factory: Callable[..., Any],
) -> None:
    """Attack 3: the message limit was per socket, so a station reconnecting after each 1008 close
    got a full burst every time. The budget is now the station's: a reconnect is first refused for
    a while (longer each time), then gets only what refilled meanwhile."""
    rt: Runtime = await server_factory(
        station_message_rate=1.0,
        station_message_burst=40.0,
        station_message_cooldown=0.3,
        station_message_max_cooldown=1.0,
    )

    async def flood() -> int:
        """Call as fast as answers come until the connection closes; returns the calls answered."""
        station = await RawStation.open(rt.ocpp_url, "CP-LOOP")
        answered = 0
        with contextlib.suppress(ConnectionClosed):
            for _ in range(500):
                await station.call("Heartbeat", {})
                answered += 1
        return answered

    async def reconnect_status() -> int:
        try:
            station = await RawStation.open(rt.ocpp_url, "CP-LOOP")
        except InvalidStatus as refused:
            return refused.response.status_code
        await station.close()
        return 101

    try:
        first = await flood()
        assert 40 <= first < 100  # the burst and what refilled meanwhile
        assert await reconnect_status() == 429  # refused while cooling down
        rounds = []
        for _ in range(3):
            for _ in range(100):  # until the cool-down has passed
                if await reconnect_status() != 429:
                    break
                await asyncio.sleep(0.1)
            rounds.append(await flood())
        # Each later session got only the refill of the cool-down, far below a fresh burst.
        assert all(answered < 20 for answered in rounds), rounds
        assert rt.handshake.refusals["cooling_down"] >= 4
        assert await served(rt, "CP-POLITE-LOOP") < 2.0
    finally:
        await rt.stop()


async def test_storage_quotas_stop_a_station_filling_the_disk(server_factory: Callable[..., Any]) -> None:
    """Attack 4: valid MeterValues for a transaction that does not exist grew the database without
    bound. Over a quota the station's data is refused or no longer kept, and the operator is told
    by a StorageQuotaExceeded security event (on the event stream and to webhooks)."""
    rt: Runtime = await server_factory(
        max_sampled_values_per_message=100,
        max_orphan_sampled_values_per_day=250,
        max_message_log_bytes_per_station_day=20_000,
    )
    assert rt.message_log is not None
    try:
        station = await RawStation.open(rt.ocpp_url, "CP-DISK")

        def orphan_values(count: int, minute: int) -> dict[str, Any]:
            values = [{"value": str(v), "measurand": "Voltage"} for v in range(count)]
            return {
                "connectorId": 1,
                "transactionId": 424242,  # no such transaction
                "meterValue": [{"timestamp": f"2026-12-07T10:{minute:02d}:00Z", "sampledValue": values}],
            }

        # Too many values in one message: refused, nothing stored.
        refused = await station.call("MeterValues", orphan_values(101, 0))
        assert refused[:3] == [4, refused[1], "OccurenceConstraintViolation"]
        # Orphan values: kept up to the day's quota, then acknowledged but not kept.
        for minute in range(1, 11):
            assert (await station.call("MeterValues", orphan_values(50, minute)))[0] == 3
        stored = await rt.domain.transactions.meter_values_of_station("CP-DISK", limit=1000)
        assert sum(1 for _ in stored) == 250
        events = await wait_events(rt, "CP-DISK", 3)
        quota_events = [e.tech_info or "" for e in events if e.event_type == "StorageQuotaExceeded"]
        assert len(quota_events) == 3, quota_events
        assert any("in one message" in info for info in quota_events)
        assert any("naming no known transaction" in info for info in quota_events)
        assert any("bytes of frames logged today" in info for info in quota_events)
        await rt.message_log.flush()
        logged = await rt.message_log.frames.read(
            lambda connection: connection.execute(
                select(func.count()).select_from(message_log).where(message_log.c.station_id == "CP-DISK")
            ).scalar_one()
        )
        assert logged < 40  # 21 calls and answers would be 42 frames: the log stopped at its quota
        await station.close()
        assert await served(rt, "CP-POLITE-DISK") < 2.0
    finally:
        await rt.stop()
