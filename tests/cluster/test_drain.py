"""Graceful drain of a real `opencsms serve` process on SIGTERM.

Stations charge against it; SIGTERM turns /ready to 503, closes their sockets with 1001 one after
another over OPENCSMS_DRAIN_WINDOW, and the process exits 0 with every acknowledged message stored.
"""

from __future__ import annotations

import asyncio
import signal
import sqlite3
from pathlib import Path

import httpx
import pytest

from tests.cluster.charging_station import ChargingStation
from tests.cluster.serve_process import start_serve

pytestmark = [pytest.mark.e2e]

WINDOW = 3.0


async def test_sigterm_drains_stations_over_the_window_and_loses_nothing_acknowledged(tmp_path: Path) -> None:
    db = tmp_path / "node" / "opencsms.db"
    node = await start_serve(
        tmp_path / "node",
        {"OPENCSMS_DATABASE_URL": f"sqlite+aiosqlite:///{db}", "OPENCSMS_DRAIN_WINDOW": str(WINDOW)},
    )
    stations = [ChargingStation(f"DRAIN{i}", node.ocpp_url, reconnect=False) for i in range(6)]
    runs = [asyncio.create_task(s.run()) for s in stations]
    try:
        async with httpx.AsyncClient(base_url=node.http_url, timeout=5) as http:
            while sum(len(s.stopped) for s in stations) < 6 or any(s.connections == 0 for s in stations):  # noqa: ASYNC110
                await asyncio.sleep(0.1)
            assert (await http.get("/ready")).status_code == 200
            loop = asyncio.get_running_loop()
            node.process.send_signal(signal.SIGTERM)
            signalled = loop.time()
            ready_codes: list[int] = []
            while any(not s.close_codes for s in stations):
                try:
                    ready_codes.append((await http.get("/ready")).status_code)
                except httpx.HTTPError:
                    break
                await asyncio.sleep(0.05)
        assert await asyncio.wait_for(node.process.wait(), 30) == 0, node.log()
        await asyncio.wait_for(asyncio.gather(*runs), 30)
    finally:
        await node.stop()
        for run in runs:
            run.cancel()

    assert ready_codes and set(ready_codes) == {503}, ready_codes
    assert all(s.close_codes == [1001] for s in stations), [s.close_codes for s in stations]
    # Spread over the window: the first closes at once, the last about a window later (not a storm).
    closes = sorted(s.closed_at[0] - signalled for s in stations)
    assert closes[0] < WINDOW / 2 and closes[-1] - closes[0] >= WINDOW * 0.5, closes

    with sqlite3.connect(db) as conn:
        rows = {r[0]: r[1] for r in conn.execute("SELECT id, stopped_at FROM transactions")}
        samples = dict(
            conn.execute("SELECT transaction_id, count(*) FROM meter_samples GROUP BY transaction_id")
        )
    for station in stations:
        for tx, meters in station.started.items():
            assert tx in rows, (station.station_id, tx)
            assert samples.get(tx, 0) >= meters, (station.station_id, tx)
        for tx in station.stopped:
            assert rows[tx] is not None, (station.station_id, tx)
