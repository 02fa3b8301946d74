"""The dashboard in a real browser: a real opencsms fed by simulated stations, seen live."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from playwright.async_api import Page, expect

from opencsms.domain import commands as c
from opencsms.domain.model import AuthorizationStatus
from opencsms.runtime import Runtime
from opencsms.simulate import SimulatedStation16, SimulatedStation201, StationConfig
from opencsms.store.schema import stations
from tests.conftest import admin_key
from tests.simulate.csms import VALIDATOR, VALIDATORS

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
    # The page's script has wired its tabs and buttons (a click before that does nothing).
    await page.wait_for_selector("body[data-ready='true']", state="attached")


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


@pytest.mark.parametrize("version", ["2.0.1", "2.1"])
async def test_a_2x_station_page_shows_the_live_power_of_its_evse(
    server: Runtime, browser_page: Page, version: str
) -> None:
    """Only a 2.x transaction's Started event names its EVSE: the power its later events report
    still shows on that EVSE's card."""
    page = browser_page
    await server.domain.tokens.add("DASH-TAG")
    config = StationConfig(
        "CP-DASH-2X",
        server.ocpp_url,
        evses=2,
        meter_interval=0.3,
        unplug_seconds=0.0,
        ramp_seconds=0.0,
        boot_retry_seconds=0.1,
    )
    station = SimulatedStation201(config, validator=VALIDATORS[version], version=version)
    try:
        await station.connect()
        assert await station.boot() == "Accepted"
        await station.announce_statuses()
        await log_in(page, server, admin_key(server), "/stations/CP-DASH-2X")
        card = page.locator(".connector[data-evse-id='2'][data-connector-id='1']")
        await expect(card).to_contain_text("Available")
        started = await server.sessions.execute("CP-DASH-2X", c.RemoteStart(id_token="DASH-TAG", evse_id=2))
        assert started.status == "Accepted"
        await expect(card).to_contain_text("Occupied")
        await expect(card.locator(".connector-power")).to_contain_text(" kW now")
        await expect(page.locator(".connector[data-evse-id='1'] .connector-power")).to_be_hidden()
    finally:
        await station.disconnect()


async def test_tc_019_1_021_csms_configuration_read_from_station_and_edited_in_the_browser(
    server: Runtime, station: SimulatedStation16, browser_page: Page
) -> None:
    """TC_019_1_CSMS (GetConfiguration) and TC_021_CSMS (ChangeConfiguration) from the configuration tab.

    TC_019_1_CSMS: GetConfiguration from the configuration tab; the keys are shown.
    TC_021_CSMS: ChangeConfiguration from the configuration tab; the new value is kept.
    """
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


async def test_pages_stay_usable_with_thousands_of_stations(server: Runtime, browser_page: Page) -> None:
    """The list is paged by the server and the overview counts in the store: 3000 stations are fine."""
    count = 3000
    now = datetime.now(UTC)
    rows = [
        {
            "id": f"CP-{n:05d}",
            "registration_status": "Accepted",
            "vendor": "Alfen",
            "model": "Eve Single",
            "firmware_version": "6.4.0",
            "ocpp_version": "1.6" if n % 3 else "2.0.1",
            "connected": n % 10 != 0,
            "last_seen": now,
            "created_at": now,
        }
        for n in range(count)
    ]
    await server.store.write(lambda connection: connection.execute(stations.insert(), rows))
    page = browser_page
    await log_in(page, server, admin_key(server))
    # None of them is connected (the stored flag alone does not make a station online).
    await expect(page.locator("#kpi-stations")).to_have_text("3,000")
    await expect(page.locator("#kpi-offline")).to_have_text("3,000")
    await expect(page.locator("#attention tbody tr")).to_have_count(20)
    await expect(page.locator("#attention-count")).to_have_text("20 of 3000")

    await page.goto(server.http_url + "/stations")
    await expect(page.locator("#count")).to_have_text("3,000 stations")
    await expect(page.locator("#stations tbody tr")).to_have_count(50)
    await page.click("#pager >> text=Last »")
    await expect(page.locator("#pager")).to_contain_text("2951\u20133000 of 3,000")
    await expect(page.locator("#stations tbody tr").last).to_have_attribute("data-station-id", "CP-02999")
    await page.select_option("#filters select[name=ocpp_version]", "2.0.1")
    await expect(page.locator("#count")).to_have_text("1,000 stations")
    await page.fill("#filters input[name=q]", "CP-0299")
    await expect(page.locator("#stations tbody tr")).to_have_count(3)  # 2991, 2994, 2997 are 2.0.1
    await page.fill("#filters input[name=q]", "2997")
    await expect(page.locator("#stations tbody tr")).to_have_count(1)
    await expect(page.locator("#stations tbody tr")).to_have_attribute("data-station-id", "CP-02997")
    await expect(page).to_have_url(re.compile(r"ocpp_version=2.0.1"))


async def test_message_log_expands_frames_filters_by_action_and_follows_live(
    server: Runtime, station: SimulatedStation16, browser_page: Page
) -> None:
    page = browser_page
    await bring_online(station)
    await log_in(page, server, admin_key(server), "/stations/CP-DASH-1#messages")
    log = page.locator("#message-log li")
    boot = page.locator("#message-log li[data-action=BootNotification]")
    await expect(boot).to_have_count(2)  # the call and its result
    await page.fill("#log-action", "StatusNotification")
    await expect(log).to_have_count(6)  # connectors 0, 1, 2: a call and its result each
    await expect(page.locator("#message-log li:not([data-action=StatusNotification])")).to_have_count(0)
    first = log.first
    await first.locator("summary").click()
    await expect(first.locator("pre")).to_be_visible()
    await expect(first.locator("pre")).to_contain_text("[")

    await station.send_status(1, "Unavailable")
    await expect(log).to_have_count(8)
    await expect(page.locator("#message-log pre").filter(has_text="Unavailable")).to_have_count(1)


async def test_security_events_of_the_station_are_listed(
    server: Runtime, station: SimulatedStation16, browser_page: Page
) -> None:
    await bring_online(station)
    server.domain.security.record("CP-DASH-1", "InvalidChargingStationCertificate", "CN does not match")
    page = browser_page
    await log_in(page, server, admin_key(server), "/stations/CP-DASH-1#security")
    row = page.locator("#security-events tbody tr").first
    await expect(row).to_contain_text("InvalidChargingStationCertificate")
    await expect(row).to_contain_text("CN does not match")


async def test_id_tokens_are_added_with_expiry_and_group_and_blocked(
    server: Runtime, browser_page: Page, screenshot_dir: Path
) -> None:
    for token, status, group in (
        ("04E1A2B3C4D5E6", "Accepted", "FLEET-ACME"),
        ("04F7C8D9E0A1B2", "Accepted", "FLEET-ACME"),
        ("APP-7F3A9C", "Accepted", None),
        ("04C0FFEE123456", "Blocked", None),
    ):
        await server.domain.tokens.add(token, status=AuthorizationStatus(status), parent_id_token=group)
    page = browser_page
    await log_in(page, server, admin_key(server), "/tokens")
    await expect(page.locator("#count")).to_have_text("4 tokens")

    form = page.locator("#token-add")
    await form.locator("input[name=id_token]").fill("04AB12CD34EF56")
    await form.locator("input[name=expiry_date]").fill("2027-06-30T12:00")
    await form.locator("input[name=parent_id_token]").fill("FLEET-ACME")
    await form.locator("button[type=submit]").click()
    row = page.locator("#tokens tr[data-id-token='04AB12CD34EF56']")
    await expect(row).to_contain_text("2027-06-30 12:00")
    await expect(row).to_contain_text("FLEET-ACME")
    await expect(row.locator(".token-status")).to_have_text("Accepted")
    token = await server.domain.tokens.get("04AB12CD34EF56")
    assert token is not None and token.expiry_date is not None and token.parent_id_token == "FLEET-ACME"
    await page.screenshot(path=screenshot_dir / "tokens.png")

    await row.locator("button", has_text="Block").click()
    await expect(row.locator(".token-status")).to_have_text("Blocked")
    blocked = await server.domain.tokens.get("04AB12CD34EF56")
    assert blocked is not None and blocked.status is AuthorizationStatus.BLOCKED

    await page.fill("#filters input[name=q]", "04F7")
    await expect(page.locator("#tokens tbody tr")).to_have_count(1)


async def test_reservation_local_list_and_firmware_forms_reach_the_station(
    server: Runtime, station: SimulatedStation16, browser_page: Page
) -> None:
    page = browser_page
    await bring_online(station)
    await log_in(page, server, admin_key(server), "/stations/CP-DASH-1")
    await page.click(".tabs [data-tab=commands]")
    reserve = page.locator("form[data-command=reserve_now]")
    await reserve.locator("input[name=id_token]").fill("DASH-TAG")
    await reserve.locator("input[name=connector_id]").fill("2")
    await reserve.locator("button[type=submit]").click()
    await expect(reserve.locator(".command-answer")).to_contain_text("Accepted")
    assert station.reservations[2].id_tag == "DASH-TAG"
    await page.click(".tabs [data-tab=connectors]")
    await expect(page.locator(".connector[data-connector-id='2']")).to_contain_text("Reserved")

    await page.click(".tabs [data-tab=commands]")
    local_list = page.locator("form[data-command=send_local_list]")
    await local_list.locator("button[type=submit]").click()
    await expect(local_list.locator(".command-answer")).to_contain_text("Accepted")
    assert "DASH-TAG" in station.local_list and station.local_list_version == 1

    firmware = page.locator("form[data-command=update_firmware]")
    await firmware.locator("input[name=location]").fill("https://firmware.example.com/eve-5.0.bin")
    await firmware.locator("button[type=submit]").click()
    await expect(firmware.locator(".command-answer")).to_contain_text("UpdateFirmware")
    await expect(page.locator("[data-fact=firmware_version]")).to_have_text("eve-5.0", timeout=15_000)
