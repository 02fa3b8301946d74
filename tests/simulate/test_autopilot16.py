"""SimulatedStation16.run: a station on its own, with fast timings."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from opencsms.simulate import SimulatedStation16
from tests.simulate.csms import FakeCsms

SESSION = [
    "Preparing",
    "Authorize",
    "StartTransaction",
    "Charging",
    "MeterValues",
    "StopTransaction",
    "Finishing",
    "Available",
]


def session_steps(csms: FakeCsms, connector_id: int) -> list[str]:
    """The messages about one connector, StatusNotifications shown as their status."""
    steps = []
    for _, call in csms.received:
        payload = call.payload
        if call.action == "StatusNotification" and payload["connectorId"] == connector_id:
            steps.append(payload["status"])
        elif call.action in ("Authorize", "StopTransaction") or (
            call.action in ("StartTransaction", "MeterValues") and payload["connectorId"] == connector_id
        ):
            steps.append(call.action)
    return steps


def collapse(steps: list[str]) -> list[str]:
    return [step for i, step in enumerate(steps) if i == 0 or steps[i - 1] != step]


async def test_runs_boot_heartbeats_and_sessions(make_station: Callable[..., SimulatedStation16]) -> None:
    async with FakeCsms(interval=1) as csms:
        st = make_station("AUTO1", url=csms.url, connectors=1, session_seconds=0.4, idle_seconds=0.1)
        await st.run(duration=1.6)
        assert not st.connected and not st.autonomous
    actions = csms.actions()
    assert actions[0] == "BootNotification"
    assert actions.count("Heartbeat") >= 1
    assert st.stats.sessions_completed >= 1
    steps = collapse(session_steps(csms, 1))
    assert steps[0] == "Available"  # announced after the boot
    assert steps[1 : 1 + len(SESSION)] == SESSION
    stop = csms.calls("StopTransaction")[0]
    assert stop["reason"] == "Local" and len(stop["transactionData"]) == 2
    registers = [
        float(p["meterValue"][0]["sampledValue"][0]["value"])
        for p in csms.calls("MeterValues")
        if p.get("transactionId") == 1
    ]
    assert len(registers) >= 2 and registers == sorted(registers) and registers[-1] > registers[0]


async def test_reconnects_when_the_connection_drops(make_station: Callable[..., SimulatedStation16]) -> None:
    async with FakeCsms() as csms:
        st = make_station("AUTO2", url=csms.url, idle_seconds=10.0)
        running = asyncio.create_task(st.run())
        await csms.wait_for("BootNotification")
        await csms.connections["AUTO2"].close()
        await csms.wait_for("BootNotification", 2)
        assert csms.connects["AUTO2"] == 2
        assert await csms.call("AUTO2", "Reset", {"type": "Soft"}) == {"status": "Accepted"}
        await csms.wait_for("BootNotification", 3)
        await csms.wait_until(lambda: st.online.is_set())
        assert csms.connects["AUTO2"] == 3 and st.stats.resets == 1
        running.cancel()
        await asyncio.gather(running, return_exceptions=True)
        assert not st.connected


async def test_pending_boot_is_retried_until_accepted(
    make_station: Callable[..., SimulatedStation16],
) -> None:
    async with FakeCsms(boot_statuses=("Pending", "Rejected", "Accepted"), interval=0) as csms:
        st = make_station("AUTO3", url=csms.url, idle_seconds=10.0, boot_retry_seconds=0.05)
        running = asyncio.create_task(st.run())
        await csms.wait_until(lambda: st.online.is_set())
        await csms.wait_for("StatusNotification", 3)
        assert csms.actions()[:3] == ["BootNotification"] * 3
        running.cancel()
        await asyncio.gather(running, return_exceptions=True)


async def test_unreachable_csms_is_retried_with_back_off(
    make_station: Callable[..., SimulatedStation16],
) -> None:
    async with FakeCsms() as csms:
        url = csms.url
    st = make_station("AUTO4", url=url)  # the server is gone: nothing listens there
    await st.run(duration=0.5)
    assert st.stats.connects == 0 and 2 <= st.stats.connect_failures <= 12


async def test_remote_start_while_running_ends_on_its_own(
    make_station: Callable[..., SimulatedStation16],
) -> None:
    async with FakeCsms() as csms:
        st = make_station("AUTO5", url=csms.url, connectors=1, idle_seconds=30.0, session_seconds=0.3)
        running = asyncio.create_task(st.run())
        await csms.wait_until(lambda: st.online.is_set())
        assert await csms.call("AUTO5", "RemoteStartTransaction", {"idTag": "TAG-R"}) == {
            "status": "Accepted"
        }
        stop = (await csms.wait_for("StopTransaction"))[0]
        assert stop["reason"] == "Local"
        running.cancel()
        await asyncio.gather(running, return_exceptions=True)
