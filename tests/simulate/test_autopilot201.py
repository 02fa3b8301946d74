"""SimulatedStation201.run: a 2.0.1 station on its own, with fast timings."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from opencsms.simulate import SimulatedStation201
from tests.simulate.csms import FakeCsms


def session_steps(csms: FakeCsms, evse_id: int) -> list[str]:
    """The messages about one EVSE: statuses by their value, events by their type."""
    steps = []
    for _, call in csms.received:
        payload = call.payload
        if call.action == "StatusNotification" and payload["evseId"] == evse_id:
            steps.append(payload["connectorStatus"])
        elif call.action == "Authorize":
            steps.append("Authorize")
        elif call.action == "TransactionEvent" and payload["eventType"] != "Updated":
            steps.append(payload["eventType"])
        elif call.action == "TransactionEvent":
            steps.append("Updated")
    return [step for i, step in enumerate(steps) if i == 0 or steps[i - 1] != step]


async def test_runs_boot_heartbeats_and_sessions(make_station201: Callable[..., SimulatedStation201]) -> None:
    async with FakeCsms(interval=1) as csms:
        st = make_station201("AUTO1", url=csms.url, evses=1, session_seconds=0.4, idle_seconds=0.1)
        await st.run(duration=1.5)
        assert not st.connected and not st.autonomous
    assert csms.actions()[0] == "BootNotification" and csms.actions().count("Heartbeat") >= 1
    assert st.stats.sessions_completed >= 1 and st.stats.call_errors == 0
    steps = session_steps(csms, 1)
    assert steps[:7] == ["Available", "Occupied", "Authorize", "Started", "Updated", "Ended", "Available"]
    first = [
        e
        for e in csms.events()
        if e["transactionInfo"]["transactionId"] == csms.events()[0]["transactionInfo"]["transactionId"]
    ]
    assert [e["seqNo"] for e in first] == list(range(len(first)))
    assert (
        first[-1]["triggerReason"] == "StopAuthorized"
        and first[-1]["transactionInfo"]["stoppedReason"] == "Local"
    )


async def test_reconnects_without_booting_and_replays_what_happened_offline(
    make_station201: Callable[..., SimulatedStation201],
) -> None:
    async with FakeCsms() as csms:
        st = make_station201(
            "AUTO2", url=csms.url, evses=1, idle_seconds=0.05, session_seconds=30.0,
            meter_interval=0.05, reconnect_min_seconds=0.4, reconnect_max_seconds=0.4,
        )  # fmt: skip
        running = asyncio.create_task(st.run())
        await csms.wait_until(lambda: len(csms.events()) >= 2)
        await csms.connections["AUTO2"].close()
        await csms.wait_until(lambda: csms.connects["AUTO2"] == 2)
        await csms.wait_until(lambda: st.online.is_set() and any(e.get("offline") for e in csms.events()))
        events = csms.events()
        assert len(csms.calls("BootNotification")) == 1  # a reconnection is no reboot
        assert [e["seqNo"] for e in events] == list(range(len(events)))  # none lost, none twice
        offline = [e for e in events if e.get("offline")]
        assert len(offline) >= 2 and st.stats.events_queued == len(offline)

        assert await csms.call("AUTO2", "Reset", {"type": "Immediate"}) == {"status": "Accepted"}
        boots = await csms.wait_for("BootNotification", 2)
        assert boots[1]["reason"] == "RemoteReset" and st.stats.resets == 1
        await csms.wait_until(lambda: st.online.is_set())
        assert any(e["transactionInfo"].get("stoppedReason") == "ImmediateReset" for e in csms.events())
        running.cancel()
        await asyncio.gather(running, return_exceptions=True)
        assert not st.connected
