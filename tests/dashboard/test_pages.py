"""The dashboard in a real browser: a real opencsms fed by simulated stations, seen live."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import pytest
from playwright.async_api import Page, expect

from opencsms.runtime import Runtime
from opencsms.simulate import SimulatedStation16, StationConfig
from tests.conftest import admin_key
from tests.simulate.csms import VALIDATOR

pytestmark = pytest.mark.e2e


@pytest.fixture
async def station(server: Runtime) -> AsyncIterator[SimulatedStation16]:
    """A 1.6 station, not yet connected: the test decides when it comes online."""
    await server.domain.tokens.add("DASH-TAG")
    st = SimulatedStation16(
        StationConfig(
            "CP-DASH-1",
            server.ocpp_url,
            vendor="Alfen",
            model="Eve Double",
            firmware_version="4.12.0",
            meter_interval=0.5,
            unplug_seconds=0.0,
            boot_retry_seconds=0.1,
        ),
        validator=VALIDATOR,
    )
    yield st
    await st.disconnect()


async def log_in(page: Page, server: Runtime, key: str, path: str = "/") -> None:
    """Open ``path``: the dashboard sends to its login page, then back once the key is accepted."""
    await page.goto(server.http_url + path)
    await expect(page).to_have_url(re.compile(r"/login\?next="))
    await page.fill("input[name=api_key]", key)
    await page.click("button[type=submit]")
    await expect(page).to_have_url(re.compile(re.escape(server.http_url + path) + r"(#\w*)?$"))


async def bring_online(station: SimulatedStation16) -> None:
    await station.connect()
    assert await station.boot() == "Accepted"
    await station.announce_statuses()


async def test_station_comes_online_live_on_overview_and_stations_pages(
    server: Runtime, station: SimulatedStation16, browser_page: Page
) -> None:
    page = browser_page
    await log_in(page, server, admin_key(server))
    await expect(page.locator("#kpi-stations")).to_have_text("0")

    await bring_online(station)
    # No reload: the overview follows the station's boot and connector statuses.
    await expect(page.locator("#kpi-online")).to_have_text("1")
    await expect(page.locator("#connector-bars [data-label='Available'] .bar-count")).to_have_text("2")

    await page.goto(server.http_url + "/stations")
    row = page.locator("#stations tr[data-station-id='CP-DASH-1']")
    await expect(row.locator(".station-status")).to_have_text("Online")
    await expect(row).to_contain_text("Alfen · Eve Double")
    await expect(row).to_contain_text("4.12.0")

    await station.disconnect()
    await expect(row.locator(".station-status")).to_have_text("Offline")


async def test_tc_019_csms_configuration_read_from_station_and_edited_in_the_browser(
    server: Runtime, station: SimulatedStation16, browser_page: Page
) -> None:
    """TC_019_1_CSMS (GetConfiguration) and TC_021_CSMS (ChangeConfiguration) from the configuration tab."""
    page = browser_page
    await bring_online(station)
    await log_in(page, server, admin_key(server), "/stations/CP-DASH-1")
    await page.click(".tabs [data-tab=configuration]")
    await page.click("#config-load")
    row = page.locator("#config tr[data-key='MeterValueSampleInterval']")
    await expect(row.locator("input")).to_be_enabled()
    await expect(page.locator("#config tr[data-key='NumberOfConnectors'] input")).to_be_disabled()
    await page.fill("#config-filter", "metervaluesample")
    await expect(page.locator("#config tbody tr:visible")).to_have_count(1)

    await row.locator("input").fill("15")
    await row.locator("button").click()
    await expect(row.locator(".command-answer")).to_contain_text("Accepted")
    assert station.configuration.number("MeterValueSampleInterval") == 15
