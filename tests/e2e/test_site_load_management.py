"""Site load management end to end: 20 simulated stations (1.6, 2.0.1 and 2.1) on a 100 kW site, and
a price-driven session, measured on the simulated EVs themselves.

Stated bounds: after a change (sessions starting or stopping), every session that can take it
gets its fair share (within FAIR_SHARE_TOLERANCE) within SETTLE_MAX seconds (typically well under
a second; the bound is loose because the suite runs on shared machines); from then on, the sum of
the simulated power stays under the site limit plus TOLERANCE.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from opencsms.domain import commands as c
from opencsms.domain.load_management import NodeLimit
from opencsms.domain.sites import Site
from opencsms.runtime import Runtime
from opencsms.simulate import SimulatedStation16, SimulatedStation201, SimulatedStationBase, StationConfig
from tests.conftest import admin_key, auth
from tests.simulate.csms import VALIDATORS, poll

pytestmark = pytest.mark.e2e

TAG = "SITE-TAG"
SITE_LIMIT_W = 100_000.0
TOLERANCE_W = 0.01 * SITE_LIMIT_W  # 1 %
SETTLE_MAX = 15.0  # seconds from a change until the shares are fair
HOLD = 2.0  # seconds the settled state is watched
FAIR_SHARE_TOLERANCE = 0.05  # 5 % of the fair share
FULL_POWER_W = 32 * 3 * 230.0  # 22.08 kW per station


@pytest.fixture
async def manager_server(server_factory: Callable[..., Any]) -> AsyncIterator[Runtime]:
    rt = await server_factory(load_manager_tick=0.2)
    try:
        yield rt
    finally:
        await rt.stop()


async def api(rt: Runtime, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
    async with httpx.AsyncClient(base_url=rt.http_url, headers=auth(admin_key(rt))) as client:
        response = await client.request(method, path, json=body)
    assert response.status_code < 300, response.text
    return response.json() if response.content else None


def station(rt: Runtime, n: int, *, max_power_w: float = FULL_POWER_W) -> SimulatedStationBase:
    config = StationConfig(
        f"LM{n:02d}",
        rt.ocpp_url,
        connectors=1,
        evses=1,
        id_tags=(TAG,),
        meter_interval=0.2,
        unplug_seconds=0.0,
        ramp_seconds=0.0,
        max_power_w=max_power_w,
        seed=n,
    )
    if n % 4 == 3:
        return SimulatedStation201(config, validator=VALIDATORS["2.1"], version="2.1")
    if n % 2:
        return SimulatedStation201(config, validator=VALIDATORS["2.0.1"])
    return SimulatedStation16(config, validator=VALIDATORS["1.6"])


async def online(stations: list[SimulatedStationBase]) -> None:
    async def one(st: SimulatedStationBase) -> None:
        await st.connect()
        assert await st.boot() == "Accepted"

    await asyncio.gather(*(one(st) for st in stations))


async def start_sessions(rt: Runtime, stations: list[SimulatedStationBase]) -> None:
    for st in stations:
        result = await rt.sessions.execute(st.station_id, c.RemoteStart(TAG, connector_id=1, evse_id=1))
        assert result.status == "Accepted"
    await poll(lambda: all(st.charging for st in stations), timeout=10)


class PowerWatch:
    """Samples the sum of the simulated power every 50 ms; remembers when the last change was made."""

    def __init__(self, stations: list[SimulatedStationBase]) -> None:
        self.stations = stations
        self.samples: list[tuple[float, float]] = []
        self.changed_at = self.settled_at = time.monotonic()
        self._task = asyncio.create_task(self._run())

    async def _run(self) -> None:
        while True:
            self.samples.append((time.monotonic(), sum(st.power_w for st in self.stations)))
            await asyncio.sleep(0.05)

    def change(self) -> None:
        self.changed_at = time.monotonic()

    def settled(self) -> None:
        self.settled_at = time.monotonic()
        assert self.settled_at - self.changed_at <= SETTLE_MAX

    def settled_peak(self) -> float:
        return max((w for t, w in self.samples if t >= self.settled_at), default=0.0)

    async def stop(self) -> None:
        self._task.cancel()
        await asyncio.gather(self._task, return_exceptions=True)


async def test_twenty_stations_share_a_100_kw_site_fairly(manager_server: Runtime) -> None:
    rt = manager_server
    await rt.domain.tokens.add(TAG)
    await api(rt, "PUT", "/api/v1/sites/depot", {"limit_kw": SITE_LIMIT_W / 1000, "fail_safe_current_a": 6})
    # The EVs at LM00 (1.6), LM01 (2.0.1) and LM03 (2.1) take only 2 kW.
    low = {0, 1, 3}
    stations = [station(rt, n, max_power_w=2_000.0 if n in low else FULL_POWER_W) for n in range(20)]
    full = [st for n, st in enumerate(stations) if n not in low]
    for st in stations:
        await api(
            rt, "PUT", f"/api/v1/sites/depot/stations/{st.station_id}", {"max_current_a": 32, "phases": 3}
        )
    await online(stations)
    watch = PowerWatch(stations)
    try:
        await start_sessions(rt, stations)
        watch.change()
        # What the three 2 kW EVs leave (beyond the minimum current each keeps) goes to the other 17:
        # the load manager knows it from their measured power, whatever their OCPP version.
        fair = (SITE_LIMIT_W - len(low) * 6 * 690) / len(full)

        def shares_fair(active: list[SimulatedStationBase], share: float) -> bool:
            return all(abs(st.power_w - share) <= FAIR_SHARE_TOLERANCE * share for st in active)

        await poll(lambda: shares_fair(full, fair), timeout=SETTLE_MAX)
        watch.settled()
        await asyncio.sleep(HOLD)
        assert shares_fair(full, fair)
        for n in low:
            assert stations[n].power_w == pytest.approx(2_000.0, rel=0.03)
        assert watch.settled_peak() <= SITE_LIMIT_W + TOLERANCE_W
        power = await api(rt, "GET", "/api/v1/sites/depot/power")
        assert len(power["sessions"]) == 20 and power["planned_w"] <= SITE_LIMIT_W + TOLERANCE_W
        measured = {s["station_id"]: s["measured_w"] for s in power["sessions"]}
        for n in low:
            assert measured[stations[n].station_id] == pytest.approx(2_000.0, rel=0.05)

        # Half of them leave: the rest get twice as much (still within the limit).
        for st in stations[10:]:
            await st.end_session(1)
        watch.change()
        staying = [st for st in full if st in stations[:10]]
        fair = (SITE_LIMIT_W - len(low) * 6 * 690) / len(staying)
        fair = min(fair, FULL_POWER_W)
        await poll(lambda: shares_fair(staying, fair), timeout=SETTLE_MAX)
        watch.settled()
        await asyncio.sleep(HOLD)
        assert shares_fair(staying, fair)
        assert watch.settled_peak() <= SITE_LIMIT_W + TOLERANCE_W
        assert sum(st.power_w for st in stations) <= SITE_LIMIT_W + TOLERANCE_W
    finally:
        await watch.stop()
        await asyncio.gather(*(st.disconnect() for st in stations))


async def test_a_price_driven_session_charges_only_in_the_cheapest_slots(manager_server: Runtime) -> None:
    """Five 3-second slots; the energy needs two of them at full power: the two cheapest are used."""
    rt = manager_server
    await rt.domain.tokens.add(TAG)
    await api(rt, "PUT", "/api/v1/sites/home", {"limit_kw": 50})
    st = station(rt, 31)
    await api(rt, "PUT", f"/api/v1/sites/home/stations/{st.station_id}", {"max_current_a": 32, "phases": 3})
    start = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=3)
    prices = [0.50, 0.10, 0.40, 0.20, 0.30]
    slot = 3
    slots = [{"start": (start + timedelta(seconds=slot * n)).isoformat(), "seconds": slot, "price": p}
             for n, p in enumerate(prices)]  # fmt: skip
    await api(rt, "PUT", "/api/v1/sites/home/prices", {"slots": slots})
    energy_wh = 2 * FULL_POWER_W * slot / 3600
    departure = start + timedelta(seconds=slot * len(prices))
    await api(rt, "PUT", f"/api/v1/stations/{st.station_id}/evses/1/needs",
              {"departure_time": departure.isoformat(), "energy_wh": energy_wh})  # fmt: skip
    await online([st])
    watch = PowerWatch([st])
    try:
        await start_sessions(rt, [st])
        wall_start = time.monotonic() + (start - datetime.now(UTC)).total_seconds()
        await asyncio.sleep(max(0.0, wall_start - time.monotonic()) + slot * len(prices))
    finally:
        await watch.stop()
        await st.disconnect()
    margin = 1.0  # seconds around slot boundaries: the tick, the message, the meter loop
    for n, price in enumerate(prices):
        begin, end = wall_start + n * slot + margin, wall_start + (n + 1) * slot - margin
        inside = [w for t, w in watch.samples if begin <= t <= end]
        assert inside, f"no samples in slot {n}"
        if price in (0.10, 0.20):
            assert min(inside) > 0.9 * FULL_POWER_W, f"slot {n} ({price}) should charge: {inside}"
        else:
            assert max(inside) < 0.05 * FULL_POWER_W, f"slot {n} ({price}) should wait: {inside}"
    power = await api(rt, "GET", "/api/v1/sites/home/power")
    assert power["sessions"][0]["plan"] is not None


async def test_the_load_manager_survives_a_restart(server_factory: Callable[..., Any]) -> None:
    """Sessions running across a CSMS restart are managed again once their stations reconnect."""
    rt = await server_factory(load_manager_tick=0.2)
    stations: list[SimulatedStationBase] = []
    try:
        await rt.domain.tokens.add(TAG)
        await api(rt, "PUT", "/api/v1/sites/yard", {"limit_amps": 20, "fail_safe_current_a": 6})
        stations = [station(rt, n) for n in (40, 41)]
        for st in stations:
            await api(rt, "PUT", f"/api/v1/sites/yard/stations/{st.station_id}", {"max_current_a": 32})
        await online(stations)
        await start_sessions(rt, stations)
        await poll(lambda: all(abs(st.power_w - 10 * 690) < 1 for st in stations), timeout=SETTLE_MAX)
    finally:
        await rt.stop()
    rt = await server_factory(load_manager_tick=0.2)
    try:
        assert rt.load_manager is not None
        await poll(lambda: len(rt.load_manager.sessions) == 2 if rt.load_manager else False)
        await rt.domain.sites.put_site(Site("yard", NodeLimit(amps=12)))  # the limit changes meanwhile
        for st in stations:
            st.config = replace(st.config, url=rt.ocpp_url)
            if isinstance(st, SimulatedStation201):
                await st.go_online()
            else:
                await st.reboot()
        await poll(lambda: all(abs(st.power_w - 6 * 690) < 1 for st in stations), timeout=SETTLE_MAX)
    finally:
        await asyncio.gather(*(st.disconnect() for st in stations))
        await rt.stop()
