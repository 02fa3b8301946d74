"""The simulator against the real opencsms (OCPP listener, domain, SQLite store) on 127.0.0.1."""

from __future__ import annotations

import asyncio
import io

import pytest

from opencsms.domain.commands import RemoteStart, RemoteStop
from opencsms.runtime import Runtime
from opencsms.simulate import (
    DEFAULT_ID_TAGS,
    FleetOptions,
    SimulatedStation16,
    SimulatedStation201,
    StationConfig,
    run_fleet,
)
from tests.simulate.csms import VALIDATOR, VALIDATORS, poll

pytestmark = pytest.mark.e2e


async def test_fleet_sessions_are_stored(server: Runtime) -> None:
    for tag in DEFAULT_ID_TAGS:
        await server.domain.tokens.add(tag)
    options = FleetOptions(
        url=server.ocpp_url, stations=3, duration=2.0, progress=False, report_interval=10.0,
        meter_interval=0.1, session_seconds=0.4, idle_seconds=0.1, unplug_seconds=0.05, seed=2,
    )  # fmt: skip
    summary = await run_fleet(options, out=io.StringIO())
    assert summary.boots_accepted == 3 and summary.errors == 0 and summary.auth_rejected == 0
    assert summary.sessions_completed >= 3
    stored = await server.domain.transactions.list(active=False)
    assert len(stored) >= 3
    energies = [(tx.meter_start_wh or 0.0, tx.meter_stop_wh) for tx in stored if tx.meter_stop_wh is not None]
    assert energies and all(stop >= start for start, stop in energies)


async def test_remote_start_and_stop_through_the_csms(server: Runtime) -> None:
    await server.domain.tokens.add("REMOTE-1")
    station = SimulatedStation16(
        StationConfig("E2E-REMOTE", server.ocpp_url, meter_interval=0.1, unplug_seconds=0.0),
        validator=VALIDATOR,
    )
    await station.connect()
    try:
        assert await station.boot() == "Accepted"
        await station.announce_statuses()
        result = await server.sessions.execute("E2E-REMOTE", RemoteStart("REMOTE-1", connector_id=1))
        assert result.status == "Accepted"
        await poll(lambda: station.connectors[1].transaction is not None)
        transaction = station.connectors[1].transaction
        assert transaction is not None
        transaction_id = transaction.transaction_id
        await asyncio.sleep(0.25)  # a few MeterValues
        result = await server.sessions.execute("E2E-REMOTE", RemoteStop(transaction_id))
        assert result.status == "Accepted"

        async def stopped() -> bool:
            tx = await server.domain.transactions.get(transaction_id)
            return tx is not None and tx.stopped_at is not None

        await poll(stopped)
        tx = await server.domain.transactions.get(transaction_id)
        assert tx is not None
        assert tx.stop_reason == "Remote" and tx.meter_stop_wh is not None
        assert len(await server.domain.transactions.meter_values_of(transaction_id)) >= 2
    finally:
        await station.disconnect()


async def test_mixed_fleet_sessions_are_stored(server: Runtime) -> None:
    for tag in DEFAULT_ID_TAGS:
        await server.domain.tokens.add(tag)
    options = FleetOptions(
        url=server.ocpp_url, stations=2, version="mixed", duration=1.5, progress=False, report_interval=10.0,
        meter_interval=0.1, session_seconds=0.4, idle_seconds=0.1, unplug_seconds=0.05, seed=4,
    )  # fmt: skip
    summary = await run_fleet(options, out=io.StringIO())
    assert summary.boots_accepted == 2 and summary.errors == 0 and summary.auth_rejected == 0
    stored = await server.domain.transactions.list(active=False)
    assert {tx.station_id for tx in stored} == {"SIM0000", "SIM0001"}
    refs = [tx for tx in stored if tx.station_id == "SIM0001" and tx.stopped_at is not None]
    assert refs and all(tx.stop_reason == "Local" and tx.meter_stop_wh is not None for tx in refs)


async def test_2_0_1_offline_replay_resend_and_remote_stop(server: Runtime) -> None:
    await server.domain.tokens.add("TAG-201")
    station = SimulatedStation201(
        StationConfig("E2E-201", server.ocpp_url, meter_interval=0.1, unplug_seconds=0.0),
        validator=VALIDATORS["2.0.1"],
    )
    await station.connect()
    try:
        assert await station.boot() == "Accepted"
        await station.announce_statuses()
        ref = await station.start_transaction(1, "TAG-201")
        await station.send_meter_values(1)
        assert await station.resend_last_transaction_event() == {}  # a resend of an Updated: idempotent
        await station.go_offline()
        await asyncio.sleep(0.05)
        await station.send_meter_values(1)
        await station.go_online()
        assert len(station.outbox) == 0
        stored = await server.domain.transactions.find("E2E-201", ref)
        assert stored is not None and stored.stopped_at is None

        result = await server.sessions.execute("E2E-201", RemoteStop(stored.id))
        assert result.status == "Accepted"

        async def stopped() -> bool:
            tx = await server.domain.transactions.get(stored.id)
            return tx is not None and tx.stopped_at is not None

        await poll(stopped)
        tx = await server.domain.transactions.get(stored.id)
        assert tx is not None and tx.stop_reason == "Remote" and tx.meter_stop_wh is not None
        assert tx.meter_start_wh is not None and tx.meter_stop_wh >= tx.meter_start_wh

        result = await server.sessions.execute("E2E-201", RemoteStart("TAG-201", evse_id=2))
        assert result.status == "Accepted"
        await poll(lambda: station.evses[2].transaction is not None)
    finally:
        await station.disconnect()
