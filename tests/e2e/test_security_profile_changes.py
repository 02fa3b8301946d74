"""Changing a connected station's password and raising its security profile, end to end: the
operator API, the simulated station reconnecting with its new credentials, and the handshake
refusing the old ones afterwards (1.6 whitepaper § 2.3-2.4; 2.0.1 A01, A05)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from opencsms.cli.main import main as cli_main
from opencsms.runtime import Runtime
from opencsms.simulate.state import StationConfig
from opencsms.simulate.station16 import SimulatedStation16
from opencsms.simulate.station201 import SimulatedStation201
from opencsms.simulate.station_base import SimulatedStationBase
from tests.conftest import admin_key, auth
from tests.e2e.test_security_basic_auth import basic, open_station, refused_status, wait_events
from tests.e2e.tls_material import TlsMaterial, make_tls_material

pytestmark = pytest.mark.e2e

OLD = "old-password-0123"  # 17 characters: fits 1.6 and 2.0.1
NEW = "new-password-4567"


@pytest.fixture
def tls(tmp_path: Path) -> TlsMaterial:
    return make_tls_material(tmp_path / "tls")


@pytest.fixture
async def csms(server_factory: Callable[..., Any], tls: TlsMaterial) -> AsyncIterator[Runtime]:
    """Listeners of profiles 1 and 2 (TLS with a certificate of the test CA)."""
    rt: Runtime = await server_factory(listeners=tls.listeners(1, 2))
    try:
        yield rt
    finally:
        await rt.stop()


@pytest.fixture
async def api(csms: Runtime) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=csms.http_url, headers=auth(admin_key(csms)), timeout=30) as client:
        yield client


async def connected_station(
    csms: Runtime, tls: TlsMaterial, station_id: str, version: str
) -> SimulatedStationBase:
    """A station at profile 1 with password OLD, booted; it knows the profile 2 endpoint."""
    await csms.domain.security.set_password(station_id, OLD, version=version, security_profile=1)
    config = StationConfig(
        station_id,
        url=csms.url_for_profile(1),
        password=OLD,
        security_profile=1,
        ca_cert=str(tls.ca_file),
        profile_urls={2: csms.url_for_profile(2)},
        heartbeat_interval=3600,
    )
    station: SimulatedStationBase
    station = SimulatedStation16(config) if version == "1.6" else SimulatedStation201(config)
    await station.connect()
    assert await station.boot() == "Accepted"
    return station


async def until(condition: Callable[[], Any], seconds: float = 15.0) -> None:
    for _ in range(int(seconds / 0.05)):
        if await condition():
            return
        await asyncio.sleep(0.05)
    raise AssertionError("condition not met in time")


async def reconnected_with_new_password(csms: Runtime, station: SimulatedStationBase) -> bool:
    security = await csms.domain.security.station_security(station.station_id)
    assert security is not None
    return (
        station.online.is_set()
        and station.station_id in csms.sessions.sessions
        and not security.password_change_pending
    )


async def assert_new_password_only(csms: Runtime, station_id: str, protocol: str) -> None:
    url = csms.url_for_profile(1)
    assert await refused_status(url, station_id, basic(station_id, OLD), protocol) == 401
    await csms.sessions.sessions[station_id].connection.close()  # the station reconnects itself
    probe = await open_station(url, station_id, basic(station_id, NEW), protocol)
    await probe.close()


async def assert_password_masked(csms: Runtime, api: httpx.AsyncClient, station_id: str) -> None:
    assert csms.message_log is not None
    await csms.message_log.flush()
    frames = (await api.get(f"/api/v1/stations/{station_id}/messages", params={"limit": 100})).json()
    text = repr(frames["items"])
    assert "********" in text
    assert NEW not in text and NEW.encode().hex() not in text and OLD not in text
    configuration = (await api.get(f"/api/v1/stations/{station_id}/configuration")).json()
    assert NEW not in repr(configuration) and NEW.encode().hex() not in repr(configuration)


async def test_tc_073_csms_update_charge_point_password_for_http_basic_authentication(
    csms: Runtime, tls: TlsMaterial, api: httpx.AsyncClient
) -> None:
    """TC_073_CSMS: ChangeConfiguration AuthorizationKey (hex), the station reconnects with the new
    password, the old one is refused from then on, and the password is in no log."""
    station = await connected_station(csms, tls, "CP-073", "1.6")
    try:
        answer = await api.post("/api/v1/stations/CP-073/security/password", json={"password": NEW})
        assert answer.status_code == 200, answer.text
        body = answer.json()
        assert body["status"] == "Accepted" and body["steps"] == [["ChangeConfiguration", "Accepted"]]
        assert body["security"]["password_change_pending"] is True  # until the station comes back
        await until(lambda: reconnected_with_new_password(csms, station))
        assert station.security.password == NEW
        await assert_new_password_only(csms, "CP-073", "ocpp1.6")
        await assert_password_masked(csms, api, "CP-073")
    finally:
        await station.disconnect()


async def test_tc_a_09_csms_update_charging_station_password_accepted(
    csms: Runtime, tls: TlsMaterial, api: httpx.AsyncClient
) -> None:
    """TC_A_09_CSMS: SetVariables SecurityCtrlr.BasicAuthPassword, Accepted, the station
    reconnects with the new password; the old one no longer opens the door."""
    station = await connected_station(csms, tls, "CS-A09", "2.0.1")
    try:
        answer = await api.post("/api/v1/stations/CS-A09/security/password", json={"password": NEW})
        assert answer.status_code == 200, answer.text
        assert answer.json()["steps"] == [["SetVariables", "Accepted"]]
        await until(lambda: reconnected_with_new_password(csms, station))
        await assert_new_password_only(csms, "CS-A09", "ocpp2.0.1")
        await assert_password_masked(csms, api, "CS-A09")
    finally:
        await station.disconnect()


async def test_tc_a_10_csms_update_charging_station_password_rejected(
    csms: Runtime, tls: TlsMaterial, api: httpx.AsyncClient
) -> None:
    """TC_A_10_CSMS: a station that rejects the new password keeps the old one, and so does the CSMS."""
    station = await connected_station(csms, tls, "CS-A10", "2.0.1")
    assert isinstance(station, SimulatedStation201)
    set_variables = station.device_model.set_variables

    def refuse_passwords(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
        results = set_variables([i for i in items if i["variable"]["name"] != "BasicAuthPassword"])
        refused = [
            {**i, "attributeStatus": "Rejected"}
            for i in items
            if i["variable"]["name"] == "BasicAuthPassword"
        ]
        return [{k: v for k, v in r.items() if k != "attributeValue"} for r in refused] + results

    station.device_model.set_variables = refuse_passwords  # type: ignore[method-assign]
    try:
        answer = await api.post("/api/v1/stations/CS-A10/security/password", json={"password": NEW})
        assert answer.status_code == 200, answer.text
        body = answer.json()
        assert body["status"] == "Rejected" and body["security"]["password_change_pending"] is False
        url = csms.url_for_profile(1)
        assert await refused_status(url, "CS-A10", basic("CS-A10", NEW), "ocpp2.0.1") == 401
        assert station.connected and station.security.password == OLD
    finally:
        await station.disconnect()


async def test_a_weak_password_is_refused_before_anything_is_sent(
    csms: Runtime, tls: TlsMaterial, api: httpx.AsyncClient
) -> None:
    station = await connected_station(csms, tls, "CP-WEAK", "1.6")
    try:
        too_long_for_16 = "x" * 30  # fine for 2.0.1, over 20 bytes for a 1.6 AuthorizationKey
        answer = await api.post(
            "/api/v1/stations/CP-WEAK/security/password", json={"password": too_long_for_16}
        )
        assert answer.status_code == 422
        assert answer.headers["content-type"].startswith("application/problem+json")
        security = (await api.get("/api/v1/stations/CP-WEAK/security")).json()
        assert security["password_change_pending"] is False and security["has_password"] is True
        assert station.stats.calls_received == 0
    finally:
        await station.disconnect()


async def test_tc_083_csms_upgrade_charge_point_security_profile_accepted(
    csms: Runtime, tls: TlsMaterial, api: httpx.AsyncClient
) -> None:
    """TC_083_CSMS: ChangeConfiguration SecurityProfile 2; the station reconnects over TLS; once it
    has, the profile 1 listener refuses it."""
    station = await connected_station(csms, tls, "CP-083", "1.6")
    try:
        answer = await api.post("/api/v1/stations/CP-083/security/profile", json={"profile": 2})
        assert answer.status_code == 200, answer.text
        body = answer.json()
        assert body["steps"] == [["ChangeConfiguration", "Accepted"]]
        assert body["security"]["pending_security_profile"] == 2
        await until(lambda: raised_to(csms, station, 2))
        assert station.endpoint_url.startswith(csms.url_for_profile(2))
        url = csms.url_for_profile(1)
        assert await refused_status(url, "CP-083", basic("CP-083", OLD)) == 403
        events = await wait_events(csms, "CP-083", 2)
        assert {"SecurityProfileRaised", "SecurityProfileDowngradeRefused"} <= {e.event_type for e in events}
    finally:
        await station.disconnect()


async def test_tc_a_19_csms_upgrade_charging_station_security_profile_accepted(
    csms: Runtime, tls: TlsMaterial, api: httpx.AsyncClient
) -> None:
    """TC_A_19_CSMS: SetNetworkProfile with the profile 2 url, NetworkConfigurationPriority with
    that slot first, Reset; the station comes back over TLS at profile 2 and cannot go lower."""
    station = await connected_station(csms, tls, "CS-A19", "2.0.1")
    try:
        answer = await api.post("/api/v1/stations/CS-A19/security/profile", json={"profile": 2})
        assert answer.status_code == 200, answer.text
        body = answer.json()
        assert body["status"] == "Accepted"
        assert body["steps"] == [
            ["SetNetworkProfile", "Accepted"],
            ["SetVariables", "Accepted"],
            ["Reset", "Accepted"],
        ]
        await until(lambda: raised_to(csms, station, 2))
        assert isinstance(station, SimulatedStation201)
        assert station.device_model.value("OCPPCommCtrlr", "NetworkConfigurationPriority").startswith("1")
        url = csms.url_for_profile(1)
        assert await refused_status(url, "CS-A19", basic("CS-A19", OLD), "ocpp2.0.1") == 403
    finally:
        await station.disconnect()


async def test_a_lower_profile_is_refused_by_the_csms(
    csms: Runtime, tls: TlsMaterial, api: httpx.AsyncClient
) -> None:
    station = await connected_station(csms, tls, "CP-DOWN", "1.6")
    try:
        answer = await api.post("/api/v1/stations/CP-DOWN/security/profile", json={"profile": 1})
        assert answer.status_code == 422
        assert station.stats.calls_received == 0
    finally:
        await station.disconnect()


async def raised_to(csms: Runtime, station: SimulatedStationBase, profile: int) -> bool:
    security = await csms.domain.security.station_security(station.station_id)
    assert security is not None
    return (
        security.security_profile == profile
        and security.pending_security_profile is None
        and station.online.is_set()
        and station.station_id in csms.sessions.sessions
    )


async def test_a_generated_password_from_the_cli_reaches_the_station_and_nobody_else(
    csms: Runtime, tls: TlsMaterial, capsys: pytest.CaptureFixture[str]
) -> None:
    station = await connected_station(csms, tls, "CP-CLI-PW", "1.6")
    try:
        args = [
            "command",
            "--server",
            csms.http_url,
            "--api-key",
            admin_key(csms),
            "change-password",
            "CP-CLI-PW",
        ]
        code = await asyncio.to_thread(cli_main, args)
        out = capsys.readouterr().out
        assert code == 0, out
        assert json.loads(out)["status"] == "Accepted"
        await until(lambda: reconnected_with_new_password(csms, station))
        generated = station.security.password
        assert generated is not None and generated != OLD and len(generated) == 20
        assert generated not in out and generated.encode().hex() not in out
    finally:
        await station.disconnect()


async def test_root_certificates_are_installed_and_listed_from_the_cli(
    csms: Runtime, tls: TlsMaterial, capsys: pytest.CaptureFixture[str]
) -> None:
    station = await connected_station(csms, tls, "CS-CLI-CA", "2.0.1")
    base = ["command", "--server", csms.http_url, "--api-key", admin_key(csms)]
    try:
        install = [*base, "install-certificate", "CS-CLI-CA", "--type", "ManufacturerRootCertificate"]
        code = await asyncio.to_thread(cli_main, [*install, "--file", str(tls.ca_file)])
        out = capsys.readouterr().out
        assert code == 0 and json.loads(out)["status"] == "Accepted", out
        assert len(station.security.installed["ManufacturerRootCertificate"]) == 1
        listing = [
            *base,
            "get-installed-certificate-ids",
            "CS-CLI-CA",
            "--type",
            "ManufacturerRootCertificate",
        ]
        code = await asyncio.to_thread(cli_main, listing)
        answer = json.loads(capsys.readouterr().out)
        assert code == 0 and answer["status"] == "Accepted"
        chains = answer["response"]["certificateHashDataChain"]
        assert [c["certificateType"] for c in chains] == ["ManufacturerRootCertificate"]
    finally:
        await station.disconnect()
