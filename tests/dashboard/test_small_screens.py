"""The dashboard on a phone and on a laptop, in the browser, against a real opencsms.

On a phone the pages are reachable from a bar across the top (the sidebar used to vanish below
900 px with nothing in its place) and no page is wider than the screen; on a 1400 px window the
overview's figures fit their cards ("Energy today" used to end in an ellipsis).
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from playwright.async_api import Page, expect

from opencsms.runtime import Runtime
from opencsms.simulate import SimulatedStation16, SimulatedStation201, StationConfig
from tests.conftest import admin_key
from tests.dashboard.test_operator_flow import log_in
from tests.simulate.csms import VALIDATOR, VALIDATORS

pytestmark = pytest.mark.e2e

PHONE = {"width": 390, "height": 844}
LAPTOP = {"width": 1400, "height": 900}
#: The widest figures the overview's cards show (format.js: two decimals of kWh, one of kW).
WIDEST = {"#kpi-energy": "999.99 kWh", "#kpi-power": "999.9 kW", "#kpi-stations": "10,000"}


@pytest.fixture
async def stations(server: Runtime) -> AsyncIterator[list[SimulatedStation16 | SimulatedStation201]]:
    fleet: list[SimulatedStation16 | SimulatedStation201] = [
        SimulatedStation16(StationConfig("CP-PHONE-16", server.ocpp_url), validator=VALIDATOR),
        SimulatedStation201(StationConfig("CS-PHONE-201", server.ocpp_url), validator=VALIDATORS["2.0.1"]),
    ]
    try:
        for station in fleet:
            await station.connect()
            assert await station.boot() == "Accepted"
            await station.announce_statuses()
        yield fleet
    finally:
        for station in fleet:
            await station.disconnect()


async def assert_fits_the_screen(page: Page) -> None:
    width, screen = await page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert width <= screen, f"{page.url} is {width} px wide on a {screen} px screen"


async def go_to(page: Page, label: str, path: str) -> None:
    """Follow the navigation link ``label``: it must be on screen, not hidden or scrolled away."""
    link = page.locator(".sidebar nav a", has_text=label)
    await expect(link).to_be_visible()
    box = await link.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], box
    await link.click()
    await expect(page).to_have_url(re.compile(re.escape(path) + r"(\?.*)?$"))
    await page.wait_for_selector("body[data-ready='true']", state="attached")
    await expect(link).to_have_class(re.compile(r"\bactive\b"))
    await assert_fits_the_screen(page)


async def test_on_a_phone_every_page_is_reachable_and_fits(
    server: Runtime,
    stations: list[SimulatedStation16 | SimulatedStation201],
    browser_page: Page,
    screenshot_dir: Path,
) -> None:
    page = browser_page
    await page.set_viewport_size(PHONE)  # type: ignore[arg-type]
    await log_in(page, server, admin_key(server))
    await expect(page.locator("#kpi-online")).to_have_text("2")
    await assert_fits_the_screen(page)
    await page.screenshot(path=screenshot_dir / "phone-overview.png", full_page=True)

    await go_to(page, "Stations", "/stations")
    await expect(page.locator("#stations tbody tr")).to_have_count(2)
    await page.locator("#stations tbody tr", has_text="CS-PHONE-201").click()
    await expect(page).to_have_url(re.compile(r"/stations/CS-PHONE-201"))
    await page.wait_for_selector("body[data-ready='true']", state="attached")
    await assert_fits_the_screen(page)
    # Every tab of the station page can be reached (its row scrolls inside the page).
    for tab in await page.locator(".tabs button").all():
        await tab.click()
        await expect(tab).to_have_class(re.compile(r"\bactive\b"))
    await assert_fits_the_screen(page)
    await page.screenshot(path=screenshot_dir / "phone-station.png")

    await go_to(page, "Sessions", "/sessions")
    await go_to(page, "Id tokens", "/tokens")
    await go_to(page, "Overview", "/")


async def test_on_a_laptop_the_overview_figures_fit_their_cards(
    server: Runtime, stations: list[SimulatedStation16 | SimulatedStation201], browser_page: Page
) -> None:
    page = browser_page
    await page.set_viewport_size(LAPTOP)  # type: ignore[arg-type]
    await log_in(page, server, admin_key(server))
    await expect(page.locator("#kpi-online")).to_have_text("2")
    # Set and measure in one go, before a live update can change the figure.
    overflowing = await page.evaluate(
        """(widest) => Object.entries(widest).flatMap(([selector, text]) => {
            const value = document.querySelector(selector);
            value.textContent = text;
            return value.scrollWidth > value.clientWidth
                ? [`${selector}: ${text} needs ${value.scrollWidth} px, has ${value.clientWidth}`] : [];
        })""",
        WIDEST,
    )
    assert overflowing == []
