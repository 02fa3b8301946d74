"""The audit log page in a real browser: admins see who did what; others have no link to it."""

from __future__ import annotations

import re

import httpx
import pytest
from playwright.async_api import Page, expect

from opencsms.runtime import Runtime
from tests.conftest import admin_key, auth
from tests.dashboard.test_pages import log_in

pytestmark = pytest.mark.e2e


async def test_an_admin_reads_the_audit_log_and_an_operator_has_no_link(
    server: Runtime, browser_page: Page
) -> None:
    page = browser_page
    operator = await server.api_keys.create("Dana (operations)", "operator")
    async with httpx.AsyncClient(base_url=server.http_url, headers=auth(admin_key(server))) as admin:
        assert (await admin.post("/api/v1/stations", json={"id": "CP-AUDIT"})).status_code == 201
    async with httpx.AsyncClient(base_url=server.http_url, headers=auth(operator.key)) as ops:
        assert (await ops.post("/api/v1/stations/CP-AUDIT/commands/reset")).status_code == 409

    await log_in(page, server, admin_key(server), "/audit")
    rows = page.locator("#audit tbody tr")
    reset = rows.filter(has_text="POST /api/v1/stations/{station_id}/commands/reset")
    await expect(reset).to_have_count(1)
    await expect(reset).to_contain_text("Dana (operations)")
    await expect(reset).to_contain_text("CP-AUDIT")
    await expect(reset.locator(".audit-result")).to_have_text("409")
    # The admin's own login through this page is recorded too.
    await expect(rows.filter(has_text="login api_key")).to_have_count(1)

    await page.fill("#filters input[name=target]", "CP-AUDIT")
    await expect(rows).to_have_count(1)  # the reset (the registration names the station in its body)
    href = await page.get_attribute("#export", "href")
    assert href == "/api/v1/audit/export.csv?target=CP-AUDIT"

    await page.click("#logout")
    await expect(page).to_have_url(re.compile(r"/login$"))
    await log_in(page, server, operator.key, "/")
    await expect(page.locator("nav a[href='/audit']")).to_have_count(0)
