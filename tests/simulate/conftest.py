"""Fixtures: an in-test CSMS and step-by-step stations connected to nothing yet.

Every test also fails when the simulator or a connection logged an error: an invalid message of
our own, or a handler that raised, would otherwise only show in a background task's log.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import pytest

from opencsms.simulate import SimulatedStation16, SimulatedStation201, SimulatedStationBase, StationConfig
from tests.simulate.csms import VALIDATORS, FakeCsms

#: Fast timings for tests; the EV ramps up within 0.2 s.
FAST: dict[str, Any] = {
    "meter_interval": 0.1,
    "unplug_seconds": 0.0,
    "session_seconds": 0.5,
    "idle_seconds": 0.1,
    "boot_retry_seconds": 0.1,
    "reconnect_min_seconds": 0.05,
    "reconnect_max_seconds": 0.2,
    "ramp_seconds": 0.2,
    "call_timeout": 5.0,
    "seed": 7,
}


@pytest.fixture(autouse=True)
def no_logged_errors(caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    caplog.set_level(logging.INFO, logger="opencsms")
    yield
    errors = [r.getMessage() for r in caplog.get_records("call") if r.levelno >= logging.ERROR]
    assert not errors, errors


@pytest.fixture
async def csms() -> AsyncIterator[FakeCsms]:
    async with FakeCsms() as server:
        yield server


@pytest.fixture
async def built_stations() -> AsyncIterator[list[SimulatedStationBase]]:
    """Stations built by a test; all are disconnected at the end."""
    built: list[SimulatedStationBase] = []
    yield built
    for station in built:
        await station.disconnect()


@pytest.fixture
def make_station(
    csms: FakeCsms, built_stations: list[SimulatedStationBase]
) -> Callable[..., SimulatedStation16]:
    """Build 1.6 stations against ``csms`` (fast timings, validated messages)."""

    def make(station_id: str = "CP1", *, validate: bool = True, **overrides: Any) -> SimulatedStation16:
        config = StationConfig(station_id, **{"url": csms.url, **FAST, **overrides})
        station = SimulatedStation16(config, validator=VALIDATORS["1.6"] if validate else None)
        built_stations.append(station)
        return station

    return make


@pytest.fixture
def make_station201(
    csms: FakeCsms, built_stations: list[SimulatedStationBase]
) -> Callable[..., SimulatedStation201]:
    """Build 2.0.1 (``version="2.1"``: 2.1) stations against ``csms``, validated both ways."""

    def make(
        station_id: str = "CS1", *, version: str = "2.0.1", validate: bool = True, **overrides: Any
    ) -> SimulatedStation201:
        config = StationConfig(station_id, **{"url": csms.url, **FAST, **overrides})
        validator = VALIDATORS[version] if validate else None
        station = SimulatedStation201(config, validator=validator, version=version)
        built_stations.append(station)
        return station

    return make


@pytest.fixture
async def station(make_station: Callable[..., SimulatedStation16]) -> SimulatedStation16:
    """A connected and booted 1.6 station CP1."""
    st = make_station()
    await st.connect()
    assert await st.boot() == "Accepted"
    return st


@pytest.fixture
async def station201(make_station201: Callable[..., SimulatedStation201]) -> SimulatedStation201:
    """A connected and booted 2.0.1 station CS1 (two EVSEs of one connector)."""
    st = make_station201()
    await st.connect()
    assert await st.boot() == "Accepted"
    return st
