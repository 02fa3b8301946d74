"""The Revenue page in a real browser: a billed session shows by day and by site."""

from __future__ import annotations

import httpx
import pytest
from playwright.async_api import Page, expect

from opencsms.runtime import Runtime
from tests.conftest import admin_key, auth
from tests.dashboard.test_pages import log_in
from tests.e2e.test_billing import BOOT16, EXPECTED, STOP, _cdrs, _session16, _setup
from tests.e2e.wsclient import RawStation

pytestmark = pytest.mark.e2e


async def test_the_revenue_page_shows_billed_sessions_by_day_site_and_station(
    server: Runtime, browser_page: Page
) -> None:
    page = browser_page
    await server.domain.tokens.add("CARD-1")
    async with httpx.AsyncClient(
        base_url=server.http_url, headers=auth(admin_key(server)), timeout=30
    ) as http:
        await _setup(http)
        st = await RawStation.open(server.ocpp_url, "CP16")
        await st.call("BootNotification", BOOT16)
        tx = await _session16(st, "CARD-1")
        await st.call("StopTransaction", {"transactionId": tx, "meterStop": 12000, "timestamp": STOP})
        await _cdrs(http, 1)
        await st.close()

    # The session's page shows its cost.
    await log_in(page, server, admin_key(server), f"/sessions/{tx}")
    await expect(page.locator("#s-cost")).to_have_text(f"{EXPECTED['incl_vat']} EUR")
    await expect(page.locator("#s-cost-note")).to_contain_text("final")
    await page.goto(server.http_url + "/revenue")
    await page.wait_for_selector("body[data-ready='true']", state="attached")
    no_site = page.locator("#groups tbody tr[data-key='']")  # the station is on no site
    await expect(no_site).to_have_count(1)
    await expect(no_site.locator(".revenue-incl")).to_have_text(EXPECTED["incl_vat"])
    await expect(page.locator("#by-day")).to_have_attribute("data-bars", "1")
    await expect(page.locator("#totals")).to_contain_text(f"1 sessions, {EXPECTED['incl_vat']} EUR")
    await page.select_option("#filters select[name=group]", "station")
    await expect(page.locator("#groups tbody tr[data-key='CP16']")).to_have_count(1)
    await expect(page.locator("#group-name")).to_have_text("Station")
    await page.fill("#filters input[name=from]", "2026-11-25")
    await expect(page.locator("#empty")).to_be_visible()
    await expect(page.locator("#by-day")).to_have_attribute("data-bars", "0")
