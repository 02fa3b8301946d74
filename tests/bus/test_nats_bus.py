"""The NATS bus against a real server: events cross nodes, once, within one cluster prefix."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from opencsms.bus import EventFilter
from opencsms.bus.memory import MemorySubscription
from opencsms.bus.nats_bus import NatsBus, connect, decode_event, encode_event
from opencsms.domain.events import DomainEvent

pytestmark = pytest.mark.nats


@pytest.fixture
async def node_factory(nats_url: str) -> AsyncIterator[Callable[..., Any]]:
    started: list[NatsBus] = []

    async def start(prefix: str, node_id: str) -> NatsBus:
        bus = await NatsBus.start(await connect(nats_url, node_id), prefix=prefix, node_id=node_id)
        for other in (b for b in started if b.subject == bus.subject):
            await heard(bus, other)
            await heard(other, bus)
        started.append(bus)
        for node in started:
            node.received = 0  # the tests count their own events only
        return bus

    yield start
    for bus in started:
        await bus.aclose()
        await bus.connection.close()


async def heard(speaker: NatsBus, listener: NatsBus) -> None:
    """Wait until ``listener`` receives what ``speaker`` publishes, publishing a probe again now and
    then: core NATS delivers at most once, and on a busy machine a message sent the moment a node
    joined has been seen to go missing. The tests then start from nodes known to hear each other."""
    before = listener.received
    for _ in range(100):
        speaker.publish(DomainEvent("bus.probe", "PROBE"))
        for _ in range(10):
            if listener.received > before:
                await speaker.connection.flush(timeout=5)
                await asyncio.sleep(0.05)  # a straggling probe lands before the test subscribes
                return
            await asyncio.sleep(0.02)
    raise AssertionError(f"{listener.node_id} never heard {speaker.node_id}")


async def next_event(subscription: MemorySubscription) -> DomainEvent:
    return await asyncio.wait_for(subscription.get(), 20)


async def test_an_event_published_on_one_node_reaches_the_subscribers_of_the_others(
    node_factory: Callable[..., Any], bus_prefix: str
) -> None:
    node_a, node_b = await node_factory(bus_prefix, "a"), await node_factory(bus_prefix, "b")
    status_on_b = node_b.subscribe(EventFilter.of(["connector.*"], ["CP1"]))
    everything_on_a = node_a.subscribe()
    event = DomainEvent("connector.status", "CP1", {"status": "Charging", "evse_id": 1})
    node_a.publish(DomainEvent("transaction.started", "CP1"))  # filtered out on b
    node_a.publish(event)
    assert await next_event(status_on_b) == event
    assert node_b.received == 2
    # a's own subscriber had them at once, and never again from NATS (no echo): the next
    # event it sees is one b published after receiving a's.
    assert [(await next_event(everything_on_a)).kind for _ in range(2)] == [
        "transaction.started",
        "connector.status",
    ]
    node_b.publish(DomainEvent("station.booted", "CP2"))
    assert (await next_event(everything_on_a)).kind == "station.booted"


async def test_a_local_only_subscriber_sees_only_its_own_nodes_events(
    node_factory: Callable[..., Any], bus_prefix: str
) -> None:
    node_a, node_b = await node_factory(bus_prefix, "a"), await node_factory(bus_prefix, "b")
    all_on_b = node_b.subscribe()
    local_on_b = node_b.subscribe(EventFilter(local_only=True))
    node_a.publish(DomainEvent("station.booted", "FROM-A"))
    assert (await next_event(all_on_b)).station_id == "FROM-A"
    node_b.publish(DomainEvent("station.booted", "FROM-B"))
    assert (await next_event(local_on_b)).station_id == "FROM-B"
    assert local_on_b.get_nowait() is None


async def test_clusters_with_other_prefixes_do_not_see_each_other(
    node_factory: Callable[..., Any], bus_prefix: str
) -> None:
    node_a = await node_factory(bus_prefix, "a")
    stranger = await node_factory(bus_prefix + "-other", "x")
    peer = await node_factory(bus_prefix, "b")
    on_stranger, on_peer = stranger.subscribe(), peer.subscribe()
    node_a.publish(DomainEvent("station.booted", "CP1"))
    assert (await next_event(on_peer)).station_id == "CP1"
    stranger.publish(DomainEvent("station.booted", "ITS-OWN"))
    assert (await next_event(on_stranger)).station_id == "ITS-OWN"
    assert on_stranger.get_nowait() is None


async def test_ready_while_connected_and_not_after(node_factory: Callable[..., Any], bus_prefix: str) -> None:
    node = await node_factory(bus_prefix, "a")
    assert await node.ready()
    await node.connection.close()
    assert not await node.ready()
    node.publish(DomainEvent("station.booted", "CP1"))  # kept in the outbox, never raises


def test_events_round_trip_and_garbage_is_refused() -> None:
    event = DomainEvent("transaction.meter", "CP.1 *>", {"energy_wh": 12.5, "nested": {"a": [1, 2]}})
    assert decode_event(encode_event(event, "node-1")) == ("node-1", event)
    with pytest.raises(ValueError):
        decode_event(b"[1, 2]")
    with pytest.raises(ValueError):
        decode_event(b"not json")


def test_a_single_node_runtime_does_not_load_the_nats_client() -> None:
    code = "import sys, opencsms.runtime, opencsms.cli.main; print('nats' in sys.modules)"
    output = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert output.stdout.strip() == "False"


async def test_an_unreachable_server_is_an_os_error_without_credentials_in_it() -> None:
    with pytest.raises(OSError, match=r"NATS at 127\.0\.0\.1:1 is unreachable") as raised:
        await connect("nats://user:secret@127.0.0.1:1", "test", timeout=1)
    assert "secret" not in str(raised.value)
