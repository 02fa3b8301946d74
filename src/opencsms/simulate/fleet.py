"""Many simulated stations at once, for demos and load tests: ``opencsms simulate``.

Stations are named ``f"{prefix}{i:04d}"`` and started at ``connect_rate`` per second, so a big
fleet does not hit the CSMS with every handshake in the same instant. They speak OCPP 1.6, 2.0.1
or 2.1, or several in turn: ``mixed`` is 1.6 and 2.0.1 (SIM0000 1.6, SIM0001 2.0.1, ...), a list
such as ``1.6,2.0.1,2.1`` its versions in that order.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import sys
from dataclasses import dataclass, field
from typing import TextIO

from opencsms.ocppj import V16, V21, V201
from opencsms.simulate.arguments import add_arguments as add_arguments
from opencsms.simulate.defaults import DEFAULT_ID_TAGS, DEFAULT_URL
from opencsms.simulate.progress import LIVE_REFRESH_SECONDS, FleetDisplay, FleetSummary
from opencsms.simulate.state import StationConfig
from opencsms.simulate.station16 import SimulatedStation16
from opencsms.simulate.station201 import SimulatedStation201
from opencsms.simulate.station_base import SimulatedStationBase
from opencsms.transport.connection import Validator

MIXED = "mixed"
SIMULATED_VERSIONS = (V16, V201, V21, MIXED)


class UnsupportedVersion(ValueError):
    """The fleet cannot simulate stations of that OCPP version."""


@dataclass(frozen=True, slots=True)
class FleetOptions:
    """A fleet. Durations are seconds (fractions allowed); ``duration`` 0 runs until stopped."""

    url: str = DEFAULT_URL
    stations: int = 5
    version: str = "1.6"  # or "2.0.1", "2.1", "mixed" (1.6 and 2.0.1), a list "1.6,2.0.1,2.1"
    prefix: str = "SIM"
    connectors: int = 2  # per 1.6 station; EVSEs (of one connector) per 2.x station
    meter_interval: float = 10.0
    session_seconds: float = 120.0
    idle_seconds: float = 30.0
    duration: float = 0.0
    id_tags: tuple[str, ...] = DEFAULT_ID_TAGS
    max_power_w: float = 22_000.0
    unplug_seconds: float = 2.0
    password: str | None = None
    #: OCPP security profile 0-3 (None: 1 with a password, else 0); 2 and 3 need a wss:// url.
    security_profile: int | None = None
    #: PEM files of each station's certificate and key (profile 3); "{station_id}" is replaced.
    client_cert: str | None = None
    client_key: str | None = None
    ca_cert: str | None = None  # PEM file of the CA the CSMS's server certificate chains to
    #: 1.6: the url to move to when the CSMS raises the security profile (profile -> url).
    profile_urls: dict[int, str] = field(default_factory=dict)
    validate: bool = True  # check what is sent and received against the OCPP schemas
    progress: bool | None = None  # live table; None: when the output is a terminal
    report_interval: float = 5.0  # seconds between one-line summaries; 0: none (live: 0.5 s refresh)
    connect_rate: float = 50.0  # stations started per second
    seed: int | None = None


def station_configs(options: FleetOptions) -> list[StationConfig]:
    """One configuration per station of the fleet."""
    return [
        StationConfig(
            station_id=f"{options.prefix}{i:04d}",
            url=options.url,
            connectors=options.connectors,
            evses=options.connectors,
            id_tags=options.id_tags,
            max_power_w=options.max_power_w,
            password=options.password,
            security_profile=options.security_profile,
            client_cert=_per_station(options.client_cert, f"{options.prefix}{i:04d}"),
            client_key=_per_station(options.client_key, f"{options.prefix}{i:04d}"),
            ca_cert=options.ca_cert,
            profile_urls=dict(options.profile_urls),
            meter_interval=options.meter_interval,
            session_seconds=options.session_seconds,
            idle_seconds=options.idle_seconds,
            unplug_seconds=options.unplug_seconds,
            seed=None if options.seed is None else options.seed + i,
        )
        for i in range(options.stations)
    ]


def _per_station(template: str | None, station_id: str) -> str | None:
    return None if template is None else template.replace("{station_id}", station_id)


def fleet_versions(version: str) -> tuple[str, ...]:
    """The versions a fleet's stations speak in turn, from ``FleetOptions.version``.

    Raises:
        UnsupportedVersion: one is not a version the simulator speaks.
    """
    versions = (V16, V201) if version == MIXED else tuple(v.strip() for v in version.split(","))
    for one in versions:
        if one not in SIMULATED_VERSIONS or one == MIXED:
            supported = ", ".join(SIMULATED_VERSIONS)
            raise UnsupportedVersion(
                f"no OCPP {one!r} stations to simulate; choose one of {supported} "
                "or a list such as 1.6,2.0.1,2.1"
            )
    return versions


def station_version(options: FleetOptions, index: int) -> str:
    """The OCPP version of station ``index``."""
    versions = fleet_versions(options.version)
    return versions[index % len(versions)]


def build_station(config: StationConfig, version: str, validator: Validator | None) -> SimulatedStationBase:
    """A station of ``version`` (1.6, 2.0.1 or 2.1)."""
    if version == V16:
        return SimulatedStation16(config, validator=validator)
    return SimulatedStation201(config, validator=validator, version=version)


def _validator(options: FleetOptions, version: str) -> Validator | None:
    if not options.validate:
        return None
    from opencsms.messages import get_validator

    return get_validator(version)


async def run_fleet(
    options: FleetOptions, *, stop: asyncio.Event | None = None, out: TextIO | None = None
) -> FleetSummary:
    """Run the fleet until ``duration`` has passed, ``stop`` is set or the task is cancelled; every
    station is disconnected and every task ended on the way out. Returns the summary taken just
    before the stations stop (so connected/booted/charging are meaningful).

    Raises:
        UnsupportedVersion: ``options.version`` is not one the simulator speaks.
        ValueError: fewer than one station or connector.
    """
    fleet_versions(options.version)
    if options.stations < 1:
        raise ValueError("a fleet needs at least one station")
    stations: list[SimulatedStationBase] = []
    for index, config in enumerate(station_configs(options)):
        version = station_version(options, index)
        stations.append(build_station(config, version, _validator(options, version)))
    out = out or sys.stdout
    loop = asyncio.get_running_loop()
    started = loop.time()

    def snapshot() -> FleetSummary:
        return FleetSummary.of(stations, loop.time() - started)

    live = out.isatty() if options.progress is None else options.progress
    display = FleetDisplay(
        snapshot,
        stations,
        live=live,
        interval=LIVE_REFRESH_SECONDS if live else options.report_interval,
        out=out,
        title=f"opencsms simulate -> {options.url}",
    )
    runs: list[asyncio.Task[None]] = []

    async def start_stations() -> None:
        for station in stations:
            runs.append(asyncio.create_task(station.run(), name=f"{station.station_id} run"))
            if options.connect_rate > 0:
                await asyncio.sleep(1.0 / options.connect_rate)

    starter = asyncio.create_task(start_stations(), name="fleet starter")
    showing = asyncio.create_task(display.run(), name="fleet display")
    stop = stop or asyncio.Event()
    try:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), options.duration or None)
        return snapshot()
    finally:
        for task in (starter, showing, *runs):
            task.cancel()
        await asyncio.gather(starter, showing, *runs, return_exceptions=True)


def options_from_args(args: argparse.Namespace) -> FleetOptions:
    """The fleet the parsed ``opencsms simulate`` arguments describe."""
    return FleetOptions(
        url=args.url,
        stations=args.stations,
        version=args.version,
        prefix=args.prefix,
        connectors=args.connectors,
        meter_interval=args.meter_interval,
        session_seconds=args.session_seconds,
        idle_seconds=args.idle_seconds,
        duration=args.duration,
        id_tags=tuple(args.id_tags) if args.id_tags else DEFAULT_ID_TAGS,
        max_power_w=args.max_power_kw * 1000.0,
        password=args.password,
        security_profile=args.security_profile,
        client_cert=args.client_cert,
        client_key=args.client_key,
        ca_cert=args.ca_cert,
        profile_urls=dict(args.profile_url),
        validate=not args.no_validate,
        connect_rate=args.connect_rate,
        seed=args.seed,
    )


async def run_from_args(args: argparse.Namespace) -> int:
    """Run ``opencsms simulate``; Ctrl-C (SIGINT) or SIGTERM stops it cleanly.

    Returns the exit code: 0; 1 when no station was ever accepted by the CSMS; 2 for options the
    simulator cannot honour (such as an unsupported OCPP version).
    """
    options = options_from_args(args)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    handled: list[signal.Signals] = []
    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(sig, stop.set)
        except (NotImplementedError, RuntimeError, ValueError):  # not the main thread, or Windows
            continue
        handled.append(sig)
    try:
        summary = await run_fleet(options, stop=stop)
    except ValueError as exc:  # UnsupportedVersion included
        print(f"opencsms simulate: {exc}", file=sys.stderr)
        return 2
    finally:
        for sig in handled:
            loop.remove_signal_handler(sig)
    print(f"simulation ended: {summary.line()}", flush=True)
    if summary.boots_accepted == 0:
        print("opencsms simulate: no station was accepted by the CSMS", file=sys.stderr)
        return 1
    return 0
