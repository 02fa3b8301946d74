"""Security profile 1 (HTTP Basic auth) against a real server: OCA block A and 1.6 security cases."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

from opencsms.runtime import Runtime
from tests.e2e.wsclient import RawStation

pytestmark = pytest.mark.e2e

PASSWORD = "correct-horse-battery"  # 21 characters: fine for 2.0.1
PASSWORD_16 = "0123456789abcdefXY"  # 18 characters: fits the 1.6 hex AuthorizationKey


def basic(user: str, password: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}


async def open_station(
    url: str, station_id: str, headers: dict[str, str], protocol: str = "ocpp1.6"
) -> RawStation:
    ws = await connect(f"{url}/{station_id}", subprotocols=[protocol], additional_headers=headers)  # type: ignore[list-item]
    return RawStation(ws)


async def refused_status(
    url: str, station_id: str, headers: dict[str, str], protocol: str = "ocpp1.6"
) -> int:
    with pytest.raises(InvalidStatus) as refused:
        await open_station(url, station_id, headers, protocol)
    return refused.value.response.status_code


@pytest.fixture
async def secured(server_factory: Callable[..., Any]) -> AsyncIterator[Runtime]:
    """A server with an unsecured (profile 0) and a Basic auth (profile 1) listener."""
    rt: Runtime = await server_factory(listeners="0 profile=0; 0 profile=1")
    try:
        yield rt
    finally:
        await rt.stop()


async def test_tc_a_01_csms_basic_authentication_valid_username_password(secured: Runtime) -> None:
    """TC_A_01_CSMS: a 2.0.1 station with the right id and password is admitted on profile 1."""
    await secured.domain.security.set_password("CS-A01", PASSWORD, security_profile=1)
    st = await open_station(secured.url_for_profile(1), "CS-A01", basic("CS-A01", PASSWORD), "ocpp2.0.1")
    boot = await st.call(
        "BootNotification",
        {"reason": "PowerUp", "chargingStation": {"model": "M", "vendorName": "V"}},
    )
    assert boot[2]["status"] == "Accepted"
    await st.close()


async def test_tc_085_csms_basic_authentication_valid_username_password(secured: Runtime) -> None:
    """TC_085_CSMS: the same for a 1.6 station."""
    await secured.domain.security.set_password("CP-085", PASSWORD_16, version="1.6")
    st = await open_station(secured.url_for_profile(1), "CP-085", basic("CP-085", PASSWORD_16))
    assert (await st.call("Heartbeat", {}))[0] == 3
    await st.close()


async def test_tc_a_02_csms_basic_authentication_username_is_not_the_station_id(secured: Runtime) -> None:
    """TC_A_02_CSMS: another station's id as username is refused with 401 and recorded."""
    await secured.domain.security.set_password("CS-A02", PASSWORD)
    await secured.domain.security.set_password("CS-OTHER", PASSWORD)
    url = secured.url_for_profile(1)
    assert await refused_status(url, "CS-A02", basic("CS-OTHER", PASSWORD), "ocpp2.0.1") == 401
    events = await wait_events(secured, "CS-A02")
    assert [(e.event_type, e.tech_info) for e in events] == [
        ("AuthenticationFailed", "username is not the station id")
    ]


async def test_tc_a_03_csms_basic_authentication_invalid_password(secured: Runtime) -> None:
    """TC_A_03_CSMS: a wrong password is refused with 401 and recorded; the password is nowhere."""
    await secured.domain.security.set_password("CS-A03", PASSWORD)
    status = await refused_status(secured.url_for_profile(1), "CS-A03", basic("CS-A03", "wrong-password-123"))
    assert status == 401
    events = await wait_events(secured, "CS-A03")
    assert [e.event_type for e in events] == ["AuthenticationFailed"]
    assert "wrong-password-123" not in repr(events) and PASSWORD not in repr(events)


async def test_missing_credentials_are_refused_with_a_challenge(secured: Runtime) -> None:
    await secured.domain.security.set_password("CS-NOAUTH", PASSWORD)
    with pytest.raises(InvalidStatus) as refused:
        await open_station(secured.url_for_profile(1), "CS-NOAUTH", {})
    assert refused.value.response.status_code == 401
    assert refused.value.response.headers["WWW-Authenticate"].startswith("Basic")


async def test_station_without_a_password_cannot_use_a_basic_auth_listener(secured: Runtime) -> None:
    status = await refused_status(secured.url_for_profile(1), "CS-NEW", basic("CS-NEW", PASSWORD))
    assert status == 401
    assert [e.tech_info for e in await wait_events(secured, "CS-NEW")] == ["no password set for this station"]


async def test_station_at_profile_1_is_refused_on_an_unsecured_listener(secured: Runtime) -> None:
    """A station registered at profile N cannot connect at a lower one (403), even with its password."""
    await secured.domain.security.set_password("CS-LOW", PASSWORD, security_profile=1)
    url = secured.url_for_profile(0)
    assert await refused_status(url, "CS-LOW", basic("CS-LOW", PASSWORD)) == 403
    assert await refused_status(url, "CS-LOW", {}) == 403
    assert {e.event_type for e in await wait_events(secured, "CS-LOW", 2)} == {
        "SecurityProfileDowngradeRefused"
    }


async def test_unknown_station_on_the_unsecured_listener_follows_the_registration_policy(
    server_factory: Callable[..., Any],
) -> None:
    rt: Runtime = await server_factory(registration_policy="reject")
    try:
        assert await refused_status(rt.ocpp_url, "CS-STRANGER", {}) == 404
        assert [e.event_type for e in await wait_events(rt, "CS-STRANGER")] == ["UnknownStationRefused"]
    finally:
        await rt.stop()


async def wait_events(rt: Runtime, station_id: str, count: int = 1) -> list[Any]:
    """Security events are written behind: poll briefly until ``count`` are stored."""
    import asyncio

    for _ in range(100):
        events = await rt.domain.security.list_events(station_id=station_id)
        if len(events) >= count:
            return events
        await asyncio.sleep(0.02)
    return await rt.domain.security.list_events(station_id=station_id)
