"""Certificates end to end with the simulator: CSR signing round trips, root certificate
management (block M / 1.6 whitepaper § 3), security events, renewal of expiring certificates."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography import x509

from opencsms.domain import commands as c
from opencsms.runtime import Runtime
from opencsms.security.certificates import CertificateAuthority, certificate_pem, generate_key, key_pem
from opencsms.simulate.state import StationConfig
from opencsms.simulate.station16 import SimulatedStation16
from opencsms.simulate.station201 import SimulatedStation201
from opencsms.simulate.station_base import SimulatedStationBase
from tests.e2e.scripted import ChargingStation, command_answered
from tests.e2e.test_security_basic_auth import wait_events

pytestmark = pytest.mark.e2e


@pytest.fixture
async def csms(server_factory: Callable[..., Any], tmp_path: Path) -> AsyncIterator[Runtime]:
    """A server with an unsecured listener and a profile 3 listener trusting its own managed CA."""
    ca = CertificateAuthority.load_or_create(tmp_path / "ca")
    key = generate_key()
    (tmp_path / "server.pem").write_text(
        certificate_pem(ca.issue_server_certificate(key, ["127.0.0.1"])) + ca.pem
    )
    (tmp_path / "server.key").write_bytes(key_pem(key))
    rt: Runtime = await server_factory(
        listeners=f"0 profile=0; 0 profile=3 cert={tmp_path / 'server.pem'} key={tmp_path / 'server.key'}",
        ca_dir=str(tmp_path / "ca"),
    )
    try:
        yield rt
    finally:
        await rt.stop()


async def online(station: SimulatedStationBase) -> SimulatedStationBase:
    await station.connect()
    assert await station.boot() == "Accepted"
    return station


async def until(condition: Callable[[], bool], seconds: float = 5.0) -> None:
    for _ in range(int(seconds / 0.02)):
        if condition():
            return
        await asyncio.sleep(0.02)
    raise AssertionError("condition not met in time")


async def renew_and_reconnect_at_profile_3(csms: Runtime, station: SimulatedStationBase, ca_pem: str) -> None:
    result = await csms.sessions.execute(station.station_id, c.RenewCertificate())
    assert result.status == "Accepted"
    await until(lambda: station.security.certificate is not None)
    await csms.domain.certificates.wait_for_deliveries()
    certificate = station.security.certificate
    assert certificate is not None
    assert certificate.subject.rfc4514_string() == f"O=opencsms,CN={station.station_id}"
    records = await csms.domain.security.list_certificates(station.station_id)
    assert [r["serial_number"] for r in records] == [format(certificate.serial_number, "x")]
    # The new certificate opens the mutual TLS listener; from now on the station must use it.
    await station.disconnect()
    await csms.domain.security.set_security_profile(station.station_id, 3)
    station.security.profile = 3
    station.config = dataclasses.replace(station.config, url=csms.url_for_profile(3))
    assert station.security.install("CSMSRootCertificate", ca_pem) == "Accepted"
    await online(station)
    await station.disconnect()


async def test_tc_a_11_csms_update_charging_station_certificate_by_request_of_csms(
    csms: Runtime, tmp_path: Path
) -> None:
    """TC_A_11_CSMS: TriggerMessage SignChargingStationCertificate -> SignCertificate -> CertificateSigned."""
    station = await online(SimulatedStation201(StationConfig("CS-A11", url=csms.ocpp_url)))
    await renew_and_reconnect_at_profile_3(csms, station, (tmp_path / "ca" / "ca.pem").read_text())


async def test_tc_074_csms_update_charge_point_certificate_by_request_of_central_system(
    csms: Runtime, tmp_path: Path
) -> None:
    """TC_074_CSMS: ExtendedTriggerMessage SignChargePointCertificate, SignCertificate, CertificateSigned."""
    station = await online(SimulatedStation16(StationConfig("CP-074", url=csms.ocpp_url)))
    await renew_and_reconnect_at_profile_3(csms, station, (tmp_path / "ca" / "ca.pem").read_text())


async def test_tc_a_14_csms_invalid_certificate_is_rejected_and_reported(csms: Runtime) -> None:
    """TC_A_14_CSMS: a chain without the station's key is Rejected; the station reports a security event."""
    station = await online(SimulatedStation201(StationConfig("CS-A14", url=csms.ocpp_url)))
    stranger = CertificateAuthority.create("not the CSMS")
    result = await csms.sessions.execute(
        "CS-A14",
        c.RawCall(
            "CertificateSigned",
            {"certificateChain": stranger.pem, "certificateType": "ChargingStationCertificate"},
        ),
    )
    assert result.status == "Rejected"
    events = await wait_events(csms, "CS-A14")
    assert [(e.source, e.event_type) for e in events] == [("station", "InvalidChargingStationCertificate")]
    await station.disconnect()


async def test_csr_for_another_station_id_is_rejected_and_recorded(csms: Runtime) -> None:
    station = await online(SimulatedStation201(StationConfig("CS-CSR", url=csms.ocpp_url)))
    station.security.station_id = "CS-SOMEONE-ELSE"  # the CSR will carry this CN
    answer = await station.call("SignCertificate", {"csr": station.security.new_csr()})
    assert answer == {"status": "Rejected"}
    events = await wait_events(csms, "CS-CSR")
    assert [e.event_type for e in events] == ["CsrRejected"]
    assert await csms.domain.security.list_certificates("CS-CSR") == []
    await station.disconnect()


async def test_tc_077_csms_invalid_charge_point_certificate_security_event(csms: Runtime) -> None:
    """TC_077_CSMS (1.6 security): CertificateSigned with a chain that does not carry the charge
    point's key is Rejected; the charge point's SecurityEventNotification
    InvalidChargePointCertificate is answered, stored and counted."""
    station = await online(SimulatedStation16(StationConfig("CP-077", url=csms.ocpp_url)))
    stranger = CertificateAuthority.create("not the CSMS")
    result = await csms.sessions.execute(
        "CP-077", c.RawCall("CertificateSigned", {"certificateChain": stranger.pem})
    )
    assert result.status == "Rejected"
    events = await wait_events(csms, "CP-077")
    assert [(e.source, e.event_type) for e in events] == [("station", "InvalidChargePointCertificate")]
    # counted once stored, as the handler resumes after the write
    await until(lambda: csms.domain.security.event_counts[("station", "InvalidChargePointCertificate")] == 1)
    await station.disconnect()


def root_certificate(name: str) -> str:
    return CertificateAuthority.create(name).pem


async def test_tc_m_01_02_13_18_19_20_csms_certificate_management(csms: Runtime) -> None:
    """Root certificates installed, listed and deleted on a 2.0.1 station; a leaf certificate is
    refused as a root and a second delete is NotFound.

    TC_M_19_CSMS: GetInstalledCertificateIds before any install: NotFound.
    TC_M_01_CSMS: InstallCertificate CSMSRootCertificate, Accepted.
    TC_M_02_CSMS: InstallCertificate ManufacturerRootCertificate, Accepted.
    TC_M_13_CSMS: GetInstalledCertificateIds for ManufacturerRootCertificate lists that one.
    TC_M_18_CSMS: GetInstalledCertificateIds for all types lists both.
    TC_M_20_CSMS: DeleteCertificate with the listed hash data, Accepted; one certificate is left."""
    station = await online(SimulatedStation201(StationConfig("CS-M", url=csms.ocpp_url)))
    run = csms.sessions.execute
    assert (await run("CS-M", c.GetInstalledCertificateIds())).status == "NotFound"  # TC_M_19
    assert (
        await run("CS-M", c.InstallCertificate("CSMSRootCertificate", root_certificate("root A")))
    ).status == "Accepted"
    assert (
        await run("CS-M", c.InstallCertificate("ManufacturerRootCertificate", root_certificate("maker")))
    ).status == "Accepted"
    leaf_ca = CertificateAuthority.create("x")
    leaf = certificate_pem(leaf_ca.issue_server_certificate(generate_key(), ["leaf.example"]))
    assert (await run("CS-M", c.InstallCertificate("CSMSRootCertificate", leaf))).status == "Rejected"
    makers = await run("CS-M", c.GetInstalledCertificateIds(("ManufacturerRootCertificate",)))  # TC_M_13
    assert [e["certificateType"] for e in makers.response["certificateHashDataChain"]] == [
        "ManufacturerRootCertificate"
    ]
    everything = await run("CS-M", c.GetInstalledCertificateIds())  # TC_M_18
    chain = everything.response["certificateHashDataChain"]
    assert sorted(e["certificateType"] for e in chain) == [
        "CSMSRootCertificate",
        "ManufacturerRootCertificate",
    ]
    target = chain[0]["certificateHashData"]
    assert (await run("CS-M", c.DeleteCertificate(target))).status == "Accepted"  # TC_M_20
    assert (await run("CS-M", c.DeleteCertificate(target))).status == "NotFound"
    assert len((await run("CS-M", c.GetInstalledCertificateIds())).response["certificateHashDataChain"]) == 1
    await station.disconnect()


async def test_tc_075_1_075_2_076_csms_install_and_delete_certificates_on_a_1_6_station(
    csms: Runtime,
) -> None:
    """TC_075_1/2_CSMS install Manufacturer and Central System roots; TC_076_CSMS delete one.

    TC_075_1_CSMS: InstallCertificate ManufacturerRootCertificate, Accepted.
    TC_075_2_CSMS: InstallCertificate CentralSystemRootCertificate (1.6 spelling), Accepted.
    TC_076_CSMS: GetInstalledCertificateIds, then DeleteCertificate with its hash data, Accepted; listing
        again is NotFound.
    """
    station = await online(SimulatedStation16(StationConfig("CP-075", url=csms.ocpp_url)))
    run = csms.sessions.execute
    assert (
        await run("CP-075", c.InstallCertificate("ManufacturerRootCertificate", root_certificate("m")))
    ).status == "Accepted"
    assert (
        await run("CP-075", c.InstallCertificate("CSMSRootCertificate", root_certificate("cs")))
    ).status == "Accepted"
    listed = await run("CP-075", c.GetInstalledCertificateIds(("CentralSystemRootCertificate",)))
    assert listed.request == {"certificateType": "CentralSystemRootCertificate"}
    [hash_data] = listed.response["certificateHashData"]
    assert (await run("CP-075", c.DeleteCertificate(hash_data))).status == "Accepted"
    assert (
        await run("CP-075", c.GetInstalledCertificateIds(("CentralSystemRootCertificate",)))
    ).status == "NotFound"
    with pytest.raises(c.InvalidCommand):
        await run("CP-075", c.InstallCertificate("V2GRootCertificate", root_certificate("v2g")))
    await station.disconnect()


async def test_expiring_certificates_trigger_a_renewal(csms: Runtime) -> None:
    station = await online(SimulatedStation201(StationConfig("CS-OLD", url=csms.ocpp_url)))
    ca = csms.domain.certificates.ca()
    assert ca is not None
    soon = ca.sign_station_csr(station.security.new_csr(), "CS-OLD", days=10)
    from opencsms.security.certificates import certificate_record

    await csms.domain.security.record_certificate(
        {
            **certificate_record(soon, "CS-OLD", "ChargingStationCertificate"),
            "issued_at": dt.datetime.now(dt.UTC),
        }
    )
    asked = await csms.domain.certificates.trigger_renewals(
        dt.timedelta(days=30), csms.sessions.sessions.__contains__
    )
    assert asked == ["CS-OLD"]
    await until(lambda: station.security.certificate is not None)
    await csms.domain.certificates.wait_for_deliveries()
    # The renewed certificate is the newest one: nothing is due any more.
    assert await csms.domain.certificates.trigger_renewals(dt.timedelta(days=30), lambda _: True) == []
    assert isinstance(station.security.certificate, x509.Certificate)
    await station.disconnect()


HASH_DATA = {
    "hashAlgorithm": "SHA256",
    "issuerNameHash": "a" * 64,
    "issuerKeyHash": "b" * 64,
    "serialNumber": "1f",
}


async def test_tc_m_05_csms_install_ca_certificate_failed(
    server: Runtime, operator_http: httpx.AsyncClient
) -> None:
    """TC_M_05_CSMS: InstallCertificate of a CSMSRootCertificate; the station answers Failed and the
    operator is shown Failed."""
    station = await ChargingStation.online(server, "CS-M05")
    root = root_certificate("root M05")
    sent, result = await command_answered(
        operator_http,
        station.raw,
        "CS-M05",
        "install_certificate",
        {"certificate_type": "CSMSRootCertificate", "certificate": root},
        "InstallCertificate",
        {"status": "Failed"},
    )
    assert sent == {"certificateType": "CSMSRootCertificate", "certificate": root}
    assert result["action"] == "InstallCertificate" and result["status"] == "Failed"
    await station.close()


async def test_tc_m_21_csms_delete_certificate_failed(
    server: Runtime, operator_http: httpx.AsyncClient
) -> None:
    """TC_M_21_CSMS: DeleteCertificate with the certificate's hash data; the station answers Failed
    and the operator is shown Failed."""
    station = await ChargingStation.online(server, "CS-M21")
    sent, result = await command_answered(
        operator_http,
        station.raw,
        "CS-M21",
        "delete_certificate",
        {"certificate_hash_data": HASH_DATA},
        "DeleteCertificate",
        {"status": "Failed"},
    )
    assert sent == {"certificateHashData": HASH_DATA}
    assert result["action"] == "DeleteCertificate" and result["status"] == "Failed"
    await station.close()
