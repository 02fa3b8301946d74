"""The fleet runner and the ``opencsms simulate`` arguments."""

from __future__ import annotations

import argparse
import asyncio
import io
from dataclasses import replace

import pytest

from opencsms.simulate import (
    FleetOptions,
    UnsupportedVersion,
    add_arguments,
    options_from_args,
    run_fleet,
    run_from_args,
)
from opencsms.simulate.fleet import station_configs
from opencsms.simulate.progress import FleetDisplay, FleetSummary
from tests.simulate.csms import FakeCsms

FAST = FleetOptions(meter_interval=0.1, session_seconds=0.4, idle_seconds=0.1, unplug_seconds=0.05)


def parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="opencsms simulate")
    add_arguments(parser)
    return parser.parse_args(argv)


async def test_five_stations_boot_and_charge(csms: FakeCsms) -> None:
    out = io.StringIO()
    options = replace(
        FAST, url=csms.url, stations=5, duration=2.0, progress=False, report_interval=0.5, seed=1
    )
    summary = await run_fleet(options, out=out)
    assert summary.stations == 5
    assert summary.boots_accepted == 5 and summary.connected == 5 and summary.booted == 5
    assert summary.sessions_completed >= 5
    assert summary.errors == 0
    assert {sid for sid, call in csms.received if call.action == "BootNotification"} == {
        f"SIM{i:04d}" for i in range(5)
    }
    assert len(csms.calls("StopTransaction")) == summary.sessions_completed
    lines = out.getvalue().splitlines()
    assert len(lines) >= 3 and "connected 5/5" in lines[-1] and "calls/s" in lines[-1]


async def test_a_2_0_1_fleet_boots_and_charges(csms: FakeCsms) -> None:
    options = replace(FAST, url=csms.url, stations=3, version="2.0.1", duration=3.0, progress=False, seed=2)
    summary = await run_fleet(options, out=io.StringIO())
    assert summary.boots_accepted == 3 and summary.booted == 3 and summary.errors == 0
    # How many sessions fit in the run depends on how busy the machine is; at least one must.
    assert summary.sessions_completed >= 1
    assert set(csms.versions.values()) == {"2.0.1"}
    ended = [e for e in csms.calls("TransactionEvent") if e["eventType"] == "Ended"]
    assert len(ended) == summary.sessions_completed
    assert {p["evseId"] for p in csms.calls("StatusNotification")} == {1, 2}  # --connectors: EVSEs


async def test_mixed_and_2_1_fleets(csms: FakeCsms) -> None:
    options = replace(FAST, url=csms.url, stations=4, version="mixed", duration=1.0, progress=False, seed=3)
    summary = await run_fleet(options, out=io.StringIO())
    assert summary.boots_accepted == 4 and summary.errors == 0
    assert csms.versions == {"SIM0000": "1.6", "SIM0001": "2.0.1", "SIM0002": "1.6", "SIM0003": "2.0.1"}
    assert csms.calls("StartTransaction") and csms.calls("TransactionEvent")
    args = parse(
        "--url", csms.url, "--stations", "1", "--version", "2.1", "--prefix", "V21", "--duration", "0.3"
    )
    assert await run_from_args(args) == 0
    assert csms.versions["V210000"] == "2.1"


async def test_live_table(csms: FakeCsms) -> None:
    out = io.StringIO()
    options = replace(FAST, url=csms.url, stations=2, prefix="LIVE", duration=1.2, progress=True)
    summary = await run_fleet(options, out=out)
    assert summary.boots_accepted == 2
    text = out.getvalue()
    assert "sessions done" in text and "LIVE0001" in text


async def test_stop_event_and_cancellation_end_the_fleet(csms: FakeCsms) -> None:
    stop = asyncio.Event()
    options = replace(FAST, url=csms.url, stations=2, prefix="STOP", progress=False)
    running = asyncio.create_task(run_fleet(options, stop=stop, out=io.StringIO()))
    await csms.wait_for("BootNotification", 2)
    stop.set()
    summary = await running
    # Both boots reached the CSMS; whether their answers arrived before the stop is a race.
    assert summary.connected == 2 and summary.boots == 2

    cancelled = asyncio.create_task(run_fleet(options, out=io.StringIO()))
    await csms.wait_for("BootNotification", 4)
    cancelled.cancel()
    with pytest.raises(asyncio.CancelledError):
        await cancelled


async def test_unknown_versions_are_refused() -> None:
    with pytest.raises(UnsupportedVersion, match=r"'1\.5'.*2\.0\.1, 2\.1, mixed"):
        await run_fleet(FleetOptions(version="1.5"))
    with pytest.raises(UnsupportedVersion, match=r"'mixed'"):
        await run_fleet(FleetOptions(version="1.6,mixed"))
    assert await run_from_args(parse("--version", "3.0")) == 2
    assert await run_from_args(parse("--version", "1.6,2.0")) == 2


async def test_a_list_of_versions_is_spoken_in_turn(csms: FakeCsms) -> None:
    options = replace(
        FAST, url=csms.url, stations=4, version="1.6,2.0.1,2.1", duration=0.5, progress=False, seed=4
    )
    summary = await run_fleet(options, out=io.StringIO())
    assert summary.boots_accepted == 4
    assert csms.versions == {"SIM0000": "1.6", "SIM0001": "2.0.1", "SIM0002": "2.1", "SIM0003": "1.6"}


def test_arguments_and_their_defaults() -> None:
    options = options_from_args(parse())
    assert options == FleetOptions(url="ws://127.0.0.1:9000/ocpp", stations=5, version="1.6", prefix="SIM")
    options = options_from_args(
        parse(
            "--stations",
            "3",
            "--id-tag",
            "A",
            "--id-tag",
            "B",
            "--max-power-kw",
            "11",
            "--no-validate",
            "--duration",
            "2.5",
        )
    )
    assert options.id_tags == ("A", "B") and options.max_power_w == 11_000 and not options.validate
    assert options.stations == 3 and options.duration == 2.5


async def test_run_from_args(csms: FakeCsms, capsys: pytest.CaptureFixture[str]) -> None:
    args = parse("--url", csms.url, "--stations", "2", "--duration", "0.5", "--meter-interval", "0.1")
    assert await run_from_args(args) == 0
    assert "simulation ended: " in capsys.readouterr().out


async def test_run_from_args_fails_when_no_station_is_accepted(capsys: pytest.CaptureFixture[str]) -> None:
    async with FakeCsms() as gone:
        url = gone.url
    assert await run_from_args(parse("--url", url, "--stations", "1", "--duration", "0.3")) == 1
    assert "no station was accepted" in capsys.readouterr().err


def test_security_arguments_reach_each_station() -> None:
    argv = [
        "--url", "wss://127.0.0.1:9443/ocpp", "--stations", "2", "--prefix", "SEC",
        "--password", "0123456789abcdef", "--security-profile", "3",
        "--client-cert", "certs/{station_id}.pem", "--client-key", "certs/{station_id}.key",
        "--ca-cert", "ca.pem", "--profile-url", "2=wss://127.0.0.1:9443/ocpp",
    ]  # fmt: skip
    configs = station_configs(options_from_args(parse(*argv)))
    assert [(c.station_id, c.client_cert, c.client_key) for c in configs] == [
        ("SEC0000", "certs/SEC0000.pem", "certs/SEC0000.key"),
        ("SEC0001", "certs/SEC0001.pem", "certs/SEC0001.key"),
    ]
    assert {(c.security_profile, c.ca_cert, c.password) for c in configs} == {
        (3, "ca.pem", "0123456789abcdef")
    }
    assert configs[0].profile_urls == {2: "wss://127.0.0.1:9443/ocpp"}
    with pytest.raises(SystemExit):
        parse("--profile-url", "9=wss://x")


def _counting_display(*, live: bool, interval: float) -> tuple[FleetDisplay, list[float]]:
    """A display whose snapshots are counted (each redraw or summary line takes one)."""
    taken: list[float] = []

    def snapshot() -> FleetSummary:
        taken.append(0.0)
        return FleetSummary.of([], elapsed_seconds=float(len(taken)))

    return FleetDisplay(snapshot, [], live=live, interval=interval, out=io.StringIO()), taken


async def test_a_display_with_nothing_to_show_does_not_wake_up() -> None:
    # `opencsms serve --demo` runs its fleet with no terminal and no summaries: the display used
    # to redraw its table on every turn of the event loop, a whole core with nothing happening.
    display, taken = _counting_display(live=False, interval=0)
    showing = asyncio.create_task(display.run())
    for _ in range(200):
        await asyncio.sleep(0)
    assert showing.done() and showing.exception() is None
    assert taken == []


async def test_a_live_table_with_no_interval_redraws_on_its_own_clock() -> None:
    display, taken = _counting_display(live=True, interval=0)
    showing = asyncio.create_task(display.run())
    for _ in range(200):
        await asyncio.sleep(0)
    showing.cancel()
    with pytest.raises(asyncio.CancelledError):
        await showing
    assert len(taken) <= 2  # the first draw, not one per turn of the loop
