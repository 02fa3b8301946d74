"""The load generator against the ceiling server, in-process: calls are counted and timed."""

from __future__ import annotations

import pytest
from benchmarks.ceiling import start_ceiling
from benchmarks.load import LoadConfig, run_load
from benchmarks.mixes import MIXES


@pytest.mark.parametrize("client", ["picows", "websockets"])
@pytest.mark.parametrize("mix", sorted(MIXES))
async def test_busy_stations_are_counted_and_timed(mix: str, client: str) -> None:
    server = await start_ceiling("127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        config = LoadConfig(url=f"ws://127.0.0.1:{port}/ocpp", stations=2, mix=mix, client=client)
        result = await run_load(config, warmup=0.1, window=0.5)
    finally:
        server.close()
        await server.wait_closed()

    assert result["connected"] == 2
    assert result["errors"] == 0
    assert result["calls"] > 0
    latencies = result["latencies_us"]
    assert sum(len(values) for values in latencies.values()) == result["calls"]
    assert {step.name for step in MIXES[mix].cycle} >= set(latencies)
    assert all(value >= 0 for values in latencies.values() for value in values)


async def test_idle_stations_send_nothing_after_booting() -> None:
    server = await start_ceiling("127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        config = LoadConfig(url=f"ws://127.0.0.1:{port}/ocpp", stations=3, idle=True)
        result = await run_load(config, warmup=0.1, window=0.3)
    finally:
        server.close()
        await server.wait_closed()

    assert result["connected"] == 3
    assert result["calls"] == 0


async def test_a_ceiling_with_work_per_call_still_answers_every_call() -> None:
    server = await start_ceiling("127.0.0.1", 0, work_us=50)
    port = server.sockets[0].getsockname()[1]
    try:
        config = LoadConfig(url=f"ws://127.0.0.1:{port}/ocpp", stations=2, mix="1.6")
        result = await run_load(config, warmup=0.1, window=0.3)
    finally:
        server.close()
        await server.wait_closed()
    assert result["connected"] == 2 and result["errors"] == 0 and result["calls"] > 0
