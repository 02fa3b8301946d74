"""A second connection claiming a connected station's id: never a hijack, never a ghost lock-out."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from websockets.exceptions import ConnectionClosed

from opencsms.runtime import Runtime
from tests.e2e.test_security_basic_auth import PASSWORD, basic, open_station, refused_status, wait_events

pytestmark = pytest.mark.e2e


@pytest.fixture
async def secured(server_factory: Callable[..., Any]) -> AsyncIterator[Runtime]:
    rt: Runtime = await server_factory(listeners="0 profile=1", takeover_ping_timeout=0.5)
    try:
        await rt.domain.security.set_password("CP-LIVE", PASSWORD)
        yield rt
    finally:
        await rt.stop()


async def test_wrong_password_for_a_connected_station_never_touches_its_session(secured: Runtime) -> None:
    url = secured.url_for_profile(1)
    live = await open_station(url, "CP-LIVE", basic("CP-LIVE", PASSWORD))
    assert (await live.call("Heartbeat", {}))[0] == 3
    session = secured.sessions.sessions["CP-LIVE"]
    for headers in ({}, basic("CP-LIVE", "not-the-password-1"), basic("CP-OTHER", PASSWORD)):
        assert await refused_status(url, "CP-LIVE", headers) == 401
    assert secured.sessions.sessions["CP-LIVE"] is session
    assert (await live.call("Heartbeat", {}))[0] == 3
    await live.close()


async def test_authenticated_second_connection_does_not_take_over_a_live_session(secured: Runtime) -> None:
    url = secured.url_for_profile(1)
    live = await open_station(url, "CP-LIVE", basic("CP-LIVE", PASSWORD))
    assert (await live.call("Heartbeat", {}))[0] == 3
    session = secured.sessions.sessions["CP-LIVE"]
    intruder = await open_station(url, "CP-LIVE", basic("CP-LIVE", PASSWORD))
    with pytest.raises(ConnectionClosed) as closed:
        await intruder.call("Heartbeat", {})
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 1008
    assert secured.sessions.sessions["CP-LIVE"] is session
    assert (await live.call("Heartbeat", {}))[0] == 3
    events = await wait_events(secured, "CP-LIVE")
    assert [e.event_type for e in events] == ["DuplicateConnectionRefused"]
    await live.close()


async def test_a_dead_socket_is_replaced_by_an_authenticated_reconnect(secured: Runtime) -> None:
    url = secured.url_for_profile(1)
    ghost = await open_station(url, "CP-LIVE", basic("CP-LIVE", PASSWORD))
    assert (await ghost.call("Heartbeat", {}))[0] == 3
    ghost.ws.transport.pause_reading()  # a half-open socket: it no longer answers pings
    fresh = await open_station(url, "CP-LIVE", basic("CP-LIVE", PASSWORD))
    assert (await fresh.call("Heartbeat", {}))[0] == 3
    events = await wait_events(secured, "CP-LIVE")
    assert [e.event_type for e in events] == ["ConnectionTakeover"]
    await fresh.close()
    ghost.ws.transport.abort()
    await asyncio.sleep(0)


async def test_a_station_cannot_stop_another_stations_transaction(server_factory: Callable[..., Any]) -> None:
    """A StopTransaction naming another station's transaction id is answered like any unknown one
    (no CALLERROR, nothing revealed), leaves that transaction running, and is a security event."""
    rt: Runtime = await server_factory()
    try:
        await rt.domain.tokens.add("OWNER")
        owner = await open_station(rt.ocpp_url, "CP-OWNER", {})
        intruder = await open_station(rt.ocpp_url, "CP-INTRUDER", {})
        start = await owner.call(
            "StartTransaction",
            {"connectorId": 1, "idTag": "OWNER", "meterStart": 0, "timestamp": "2026-01-01T00:00:00Z"},
        )
        transaction_id = start[2]["transactionId"]
        stop = {"transactionId": transaction_id, "meterStop": 999, "timestamp": "2026-01-01T00:10:00Z"}
        answer = await intruder.call("StopTransaction", stop)
        assert answer[0] == 3 and answer[2] == {}
        transaction = await rt.domain.transactions.get(transaction_id)
        assert transaction is not None and transaction.station_id == "CP-OWNER"
        assert transaction.stopped_at is None
        events = await wait_events(rt, "CP-INTRUDER")
        assert [e.event_type for e in events] == ["ForeignTransactionRefused"]
        assert await rt.domain.security.list_events(station_id="CP-OWNER") == []
        # The owner still stops its own transaction normally.
        assert (await owner.call("StopTransaction", {**stop, "meterStop": 5000}))[0] == 3
        ended = await rt.domain.transactions.get(transaction_id)
        assert ended is not None and ended.meter_stop_wh == 5000
        await owner.close()
        await intruder.close()
    finally:
        await rt.stop()
