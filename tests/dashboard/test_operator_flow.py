"""The operator's day in the browser, against a real opencsms fed by simulated stations.

An operator logs in, watches a station come online live, starts a session from the command
form, watches the power chart grow, stops the session and finds it in the session list; a
viewer sees the same pages without any command form, and the API refuses their commands.
Screenshots of the main pages are saved on the way (see ``screenshot_dir``).
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from playwright.async_api import Page, expect

from opencsms.domain import commands as c
from opencsms.runtime import Runtime
from opencsms.simulate import SimulatedStation16, SimulatedStation201, StationConfig
from tests.conftest import admin_key
from tests.simulate.csms import VALIDATOR, VALIDATORS

pytestmark = pytest.mark.e2e

TAG = "04A2B3C4D5"


def station_config(server: Runtime, station_id: str, **changes: object) -> StationConfig:
    options: dict[str, object] = {
        "vendor": "Alfen",
        "model": "Eve Double Pro",
        "firmware_version": "6.4.0",
        "meter_interval": 0.4,
        "unplug_seconds": 0.0,
        "boot_retry_seconds": 0.1,
        "ramp_seconds": 1.0,
        "seed": 7,
    } | changes
    return StationConfig(station_id, server.ocpp_url, **options)  # type: ignore[arg-type]


@pytest.fixture
async def fleet(server: Runtime) -> AsyncIterator[dict[str, SimulatedStation16 | SimulatedStation201]]:
    """The station the operator works with (not connected yet) and a small fleet around it."""
    await server.domain.tokens.add(TAG)
    stations: dict[str, SimulatedStation16 | SimulatedStation201] = {
        "CP-AMS-001": SimulatedStation16(station_config(server, "CP-AMS-001"), validator=VALIDATOR),
        "CP-AMS-002": SimulatedStation16(
            station_config(server, "CP-AMS-002", vendor="ABB", model="Terra AC", firmware_version="1.8.2"),
            validator=VALIDATOR,
        ),
        "CP-RTM-101": SimulatedStation201(
            station_config(
                server, "CP-RTM-101", vendor="Kempower", model="S-Series", firmware_version="2.3.1"
            ),
            validator=VALIDATORS["2.0.1"],
        ),
        "CP-UTR-007": SimulatedStation16(
            station_config(
                server, "CP-UTR-007", vendor="Wallbox", model="Copper SB", firmware_version="5.17.4"
            ),
            validator=VALIDATOR,
        ),
    }
    try:
        yield stations
    finally:
        for station in stations.values():
            await station.disconnect()


async def bring_online(station: SimulatedStation16 | SimulatedStation201) -> None:
    await station.connect()
    assert await station.boot() == "Accepted"
    await station.announce_statuses()


async def log_in(page: Page, server: Runtime, key: str, path: str = "/") -> None:
    """Open ``path``: the dashboard sends to its login page, then back once the key is accepted."""
    await page.goto(server.http_url + path)
    await expect(page).to_have_url(re.compile(r"/login\?next="))
    await page.fill("input[name=api_key]", key)
    await page.click("button[type=submit]")
    await expect(page).to_have_url(re.compile(re.escape(server.http_url + path) + r"(#\w*)?$"))
    # The page's script has wired its tabs and buttons (a click before that does nothing).
    await page.wait_for_selector("body[data-ready='true']", state="attached")


async def test_tc_011_1_012_csms_operator_starts_watches_stops_a_session_viewer_cannot(
    server: Runtime,
    fleet: dict[str, SimulatedStation16 | SimulatedStation201],
    browser_page: Page,
    screenshot_dir: Path,
) -> None:
    """TC_011_1_CSMS (remote start) and TC_012_CSMS (remote stop), driven from the dashboard.

    TC_011_1_CSMS: the operator's remote start from the dashboard reaches the charge point, which starts the
        session.
    TC_012_CSMS: the operator's remote stop from the dashboard ends it.
    """
    page = browser_page
    operator = await server.api_keys.create("Dana (operations)", "operator")
    viewer = await server.api_keys.create("Sam (support)", "viewer")
    # Around the station under test: one 1.6 station faulted, one 2.0.1, one gone offline.
    for station_id in ("CP-AMS-002", "CP-RTM-101", "CP-UTR-007"):
        await bring_online(fleet[station_id])
    await fleet["CP-AMS-002"].send_status(2, "Faulted", "GroundFailure")  # type: ignore[call-arg]
    await fleet["CP-UTR-007"].disconnect()
    started = await server.sessions.execute("CP-RTM-101", c.RemoteStart(id_token=TAG, evse_id=1))
    assert started.status == "Accepted"

    await log_in(page, server, operator.key)
    await expect(page.locator("#user-name")).to_have_text("Dana (operations)")
    await expect(page.locator("#live-indicator")).to_have_attribute("data-state", "live")  # the event stream
    await expect(page.locator("#kpi-stations")).to_have_text("3")
    await expect(page.locator("#kpi-online")).to_have_text("2")

    # The station comes online: the overview follows without a reload.
    await bring_online(fleet["CP-AMS-001"])
    await expect(page.locator("#kpi-online")).to_have_text("3")
    await expect(page.locator("#kpi-stations")).to_have_text("4")
    await expect(page.locator("#kpi-faulted")).to_have_text("1")
    await expect(page.locator("#attention tr[data-station-id='CP-UTR-007']")).to_contain_text("Offline")

    await page.click("nav >> text=Stations")
    row = page.locator("#stations tr[data-station-id='CP-AMS-001']")
    await expect(row.locator(".station-status")).to_have_text("Online")
    await page.fill("#filters input[name=q]", "AMS")
    await expect(page.locator("#stations tbody tr")).to_have_count(2)
    await page.fill("#filters input[name=q]", "")
    await expect(page.locator("#stations tbody tr")).to_have_count(4)
    await page.screenshot(path=screenshot_dir / "stations.png")
    await row.click()

    # Start a session from the command form; the form shows the station's answer.
    await expect(page).to_have_url(
        re.compile(re.escape(server.http_url + "/stations/CP-AMS-001") + r"(#\w*)?$")
    )
    await expect(page.locator(".connector[data-connector-id='1']")).to_contain_text("Available")
    await page.click(".tabs [data-tab=commands]")
    form = page.locator("form[data-command=remote_start]")
    await form.locator("input[name=id_token]").fill(TAG)
    await form.locator("input[name=connector_id]").fill("1")
    await form.locator("button[type=submit]").click()
    await expect(form.locator(".command-answer")).to_contain_text("Accepted")
    await expect(form.locator(".command-answer")).to_contain_text("RemoteStartTransaction")

    await page.click(".tabs [data-tab=connectors]")
    await expect(page.locator(".connector[data-connector-id='1']")).to_contain_text("Charging")
    # Its live power follows the meter values.
    power = page.locator(".connector[data-connector-id='1'] .connector-power")
    await expect(power).to_contain_text(" kW now")
    await page.screenshot(path=screenshot_dir / "station.png")
    await page.click(".tabs [data-tab=sessions]")
    session_row = page.locator("#station-sessions tbody tr").first
    await expect(session_row).to_contain_text("Charging")
    await session_row.click()

    # The session page: the power chart grows as samples arrive.
    await expect(page).to_have_url(re.compile(r"/sessions/\d+$"))
    transaction_id = int(page.url.rsplit("/", 1)[1])
    power = page.locator("#chart-power svg")
    await expect(power).not_to_have_attribute("data-points", re.compile(r"^[01]$"))
    seen = int(await power.get_attribute("data-points") or 0)
    await expect(power).not_to_have_attribute("data-points", str(seen), timeout=5000)
    assert int(await power.get_attribute("data-points") or 0) > seen
    await expect(page.locator("#chart-energy svg")).not_to_have_attribute("data-points", "0")
    await expect(page.locator("#s-power")).to_contain_text("kW")
    await page.wait_for_timeout(1200)  # a few more samples make a better picture
    await page.screenshot(path=screenshot_dir / "session.png")

    # Stop it; the page follows the end of the session.
    await page.click("#stop-session")
    await expect(page.locator("#stop-answer")).to_contain_text("Accepted")
    await expect(page.locator("#session-status")).to_contain_text("Remote")
    await expect(page.locator("#events")).to_contain_text("Ended")

    # It is in the session list, ended.
    await page.click("nav >> text=Sessions")
    listed = page.locator(f"#sessions tr[data-transaction-id='{transaction_id}']")
    await expect(listed.locator(".session-status")).to_have_text("Remote")
    await page.screenshot(path=screenshot_dir / "sessions.png")
    await page.fill("#filters input[name=station_id]", "CP-AMS-001")
    await expect(page.locator("#sessions tbody tr")).to_have_count(1)

    await page.goto(server.http_url + "/")
    await expect(page.locator("#kpi-energy")).not_to_have_text("0 Wh")
    await expect(page.locator("#kpi-sessions")).to_have_text("1")  # the 2.0.1 station charges on
    await page.screenshot(path=screenshot_dir / "overview.png")

    # A viewer sees the station but no command form, and the API refuses their commands.
    await page.click("#logout")
    await expect(page).to_have_url(re.compile(r"/login"))
    await log_in(page, server, viewer.key, "/stations/CP-AMS-001")
    await expect(page.locator("#user-role")).to_have_text("viewer")
    await expect(page.locator(".connector[data-connector-id='1']")).to_be_visible()
    await expect(page.locator(".tabs [data-tab=commands]")).to_have_count(0)
    await expect(page.locator("form[data-command]")).to_have_count(0)
    status = await page.evaluate(
        """async () => (await fetch('/api/v1/stations/CP-AMS-001/commands/reset', {
            method: 'POST', headers: {'Content-Type': 'application/json'}, body: '{"kind": "Soft"}'
        })).status"""
    )
    assert status == 403
    await page.goto(f"{server.http_url}/sessions/{transaction_id}")
    await expect(page.locator("#session-status")).to_contain_text("Remote")
    await expect(page.locator("#stop-session")).to_have_count(0)
    assert admin_key(server)  # the bootstrap admin exists; the two people above are separate keys
