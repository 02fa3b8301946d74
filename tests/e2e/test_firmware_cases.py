"""OCA CSMS test cases of firmware updates and diagnostics (1.6 Firmware Management profile and
the security whitepaper's signed firmware; 2.0.1 block L): the operator's command, the call the
CSMS sends, the station's answer and status notifications passed on to the event stream, and the
new firmware version the station boots with."""

from __future__ import annotations

import asyncio
import base64
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from opencsms.bus.interface import EventFilter, Subscription
from opencsms.runtime import Runtime
from opencsms.security.certificates import CertificateAuthority
from opencsms.simulate import SimulatedStation16, StationConfig
from opencsms.simulate.station201 import SimulatedStation201
from opencsms.simulate.station_base import SimulatedStationBase
from tests.e2e.scripted import ChargingStation, command_answered, evse_status
from tests.simulate.csms import VALIDATORS

pytestmark = pytest.mark.e2e

FIRMWARE = "https://firmware.example.com/sim-2.0.bin"
SIGNING_CERTIFICATE = CertificateAuthority.create("firmware signing").pem
SIGNATURE = base64.b64encode(b"\x30\x45" + bytes(68)).decode()


@pytest.fixture
async def charge_point(server: Runtime) -> AsyncIterator[SimulatedStation16]:
    station = SimulatedStation16(StationConfig("CP-FW", server.ocpp_url), validator=VALIDATORS["1.6"])
    await station.connect()
    assert await station.boot() == "Accepted"
    yield station
    await station.disconnect()


@pytest.fixture
async def charging_station(server: Runtime) -> AsyncIterator[SimulatedStation201]:
    station = SimulatedStation201(StationConfig("CS-FW", server.ocpp_url), validator=VALIDATORS["2.0.1"])
    await station.connect()
    assert await station.boot() == "Accepted"
    yield station
    await station.disconnect()


async def command(http: httpx.AsyncClient, station_id: str, name: str, **args: Any) -> dict[str, Any]:
    response = await http.post(f"/api/v1/stations/{station_id}/commands/{name}", json=args)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def statuses(events: Subscription, until: set[str]) -> list[tuple[str, int | None]]:
    """Status events up to and including the first of ``until``."""
    seen: list[tuple[str, int | None]] = []
    while not seen or seen[-1][0] not in until:
        event = await asyncio.wait_for(events.get(), 15)
        seen.append((event.data["status"], event.data["request_id"]))
    return seen


async def firmware_version(server: Runtime, station: SimulatedStationBase, expected: str) -> None:
    for _ in range(200):
        record = await server.domain.stations.get(station.station_id)
        if record is not None and record.firmware_version == expected and station.online.is_set():
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"{station.station_id} did not boot with firmware {expected}")


async def test_tc_044_1_csms_firmware_update_download_and_install(
    server: Runtime, operator_http: httpx.AsyncClient, charge_point: SimulatedStation16
) -> None:
    """TC_044_1_CSMS: UpdateFirmware with location and retrieve date; Downloading, Downloaded,
    Installing, Installed; the charge point boots with the new version."""
    events = server.bus.subscribe(EventFilter.of(["station.firmware_status"], ["CP-FW"]))
    try:
        result = await command(operator_http, "CP-FW", "update_firmware", location=FIRMWARE, retries=2)
        assert result["action"] == "UpdateFirmware" and result["response"] == {}
        assert result["request"]["location"] == FIRMWARE and result["request"]["retries"] == 2
        assert result["request"]["retrieveDate"].endswith("Z")
        seen = await statuses(events, {"Installed", "InstallationFailed", "DownloadFailed"})
        assert seen == [
            ("Downloading", None),
            ("Downloaded", None),
            ("Installing", None),
            ("Installed", None),
        ]
    finally:
        events.close()
    await firmware_version(server, charge_point, "sim-2.0")


@pytest.mark.parametrize(
    ("location", "ending"),
    [
        ("https://firmware.example.com/download-fails/sim-2.1.bin", ["Downloading", "DownloadFailed"]),
        (
            "https://firmware.example.com/install-fails/sim-2.1.bin",
            ["Downloading", "Downloaded", "Installing", "InstallationFailed"],
        ),
    ],
    ids=["TC_044_2_CSMS", "TC_044_3_CSMS"],
)
async def test_tc_044_2_044_3_csms_firmware_update_download_or_installation_failed(
    server: Runtime,
    operator_http: httpx.AsyncClient,
    charge_point: SimulatedStation16,
    location: str,
    ending: list[str],
) -> None:
    """TC_044_2_CSMS (DownloadFailed) and TC_044_3_CSMS (InstallationFailed): the statuses reach the
    event stream and the firmware version stays.

    TC_044_2_CSMS: UpdateFirmware; Downloading, DownloadFailed; the version stays.
    TC_044_3_CSMS: UpdateFirmware; Downloading, Downloaded, Installing, InstallationFailed; the version stays.
    """
    events = server.bus.subscribe(EventFilter.of(["station.firmware_status"], ["CP-FW"]))
    try:
        await command(operator_http, "CP-FW", "update_firmware", location=location)
        seen = await statuses(events, {"Installed", "InstallationFailed", "DownloadFailed"})
        assert [status for status, _ in seen] == ending
    finally:
        events.close()
    record = await server.domain.stations.get("CP-FW")
    assert record is not None and record.firmware_version == "sim-1.0"


async def test_tc_045_1_csms_get_diagnostics(
    server: Runtime, operator_http: httpx.AsyncClient, charge_point: SimulatedStation16
) -> None:
    """TC_045_1_CSMS: GetDiagnostics with the upload location; the answer names the file;
    Uploading and Uploaded reach the event stream."""
    events = server.bus.subscribe(EventFilter.of(["station.diagnostics_status"], ["CP-FW"]))
    try:
        result = await command(
            operator_http, "CP-FW", "get_diagnostics", location="ftp://logs.example.com/", retries=1
        )
        assert result["request"] == {"location": "ftp://logs.example.com/", "retries": 1}
        assert result["response"] == {"fileName": "CP-FW-diagnostics.log"}
        assert await statuses(events, {"Uploaded", "UploadFailed"}) == [
            ("Uploading", None),
            ("Uploaded", None),
        ]
    finally:
        events.close()


async def test_tc_080_081_csms_secure_firmware_update(
    server: Runtime, operator_http: httpx.AsyncClient, charge_point: SimulatedStation16
) -> None:
    """TC_080_CSMS: SignedUpdateFirmware with the signing certificate and signature; the steps with
    the request id, SignatureVerified among them, and the new version. TC_081_CSMS: a bad signature
    ends at InvalidSignature."""
    events = server.bus.subscribe(EventFilter.of(["station.firmware_status"], ["CP-FW"]))
    try:
        bad = await command(
            operator_http,
            "CP-FW",
            "update_firmware",
            location="https://firmware.example.com/sim-3.0.bin",
            signing_certificate=SIGNING_CERTIFICATE,
            signature="not base64!",
        )
        assert bad["action"] == "SignedUpdateFirmware" and bad["status"] == "Accepted"
        bad_id = bad["request"]["requestId"]
        assert await statuses(events, {"InvalidSignature", "Installed"}) == [
            ("Downloading", bad_id),
            ("Downloaded", bad_id),
            ("InvalidSignature", bad_id),
        ]
        good = await command(
            operator_http,
            "CP-FW",
            "update_firmware",
            location=FIRMWARE,
            signing_certificate=SIGNING_CERTIFICATE,
            signature=SIGNATURE,
        )
        firmware = good["request"]["firmware"]
        assert firmware["signingCertificate"] == SIGNING_CERTIFICATE and firmware["signature"] == SIGNATURE
        request_id = good["request"]["requestId"]
        seen = await statuses(events, {"InvalidSignature", "Installed", "InstallationFailed"})
        assert seen == [
            (status, request_id)
            for status in ("Downloading", "Downloaded", "SignatureVerified", "Installing", "Installed")
        ]
    finally:
        events.close()
    await firmware_version(server, charge_point, "sim-2.0")


async def test_tc_l_01_csms_secure_firmware_update_installation_successful(
    server: Runtime, operator_http: httpx.AsyncClient, charging_station: SimulatedStation201
) -> None:
    """TC_L_01_CSMS: UpdateFirmware with requestId, location, retrieveDateTime, signing certificate
    and signature; FirmwareStatusNotifications with the request id up to Installed; the station
    boots (reason FirmwareUpdate) with the new version."""
    events = server.bus.subscribe(EventFilter.of(["station.firmware_status"], ["CS-FW"]))
    try:
        result = await command(
            operator_http,
            "CS-FW",
            "update_firmware",
            location=FIRMWARE,
            signing_certificate=SIGNING_CERTIFICATE,
            signature=SIGNATURE,
            retries=3,
            retry_interval=60,
        )
        assert result["action"] == "UpdateFirmware" and result["status"] == "Accepted"
        sent = result["request"]
        assert sent["retries"] == 3 and sent["retryInterval"] == 60
        assert sent["firmware"]["location"] == FIRMWARE and sent["firmware"]["retrieveDateTime"].endswith("Z")
        request_id = sent["requestId"]
        seen = await statuses(events, {"Installed", "InstallationFailed", "InvalidSignature"})
        assert seen[-1] == ("Installed", request_id) and ("SignatureVerified", request_id) in seen
    finally:
        events.close()
    await firmware_version(server, charging_station, "sim-2.0")


async def test_tc_l_05_csms_secure_firmware_update_invalid_certificate(
    server: Runtime, operator_http: httpx.AsyncClient, charging_station: SimulatedStation201
) -> None:
    """TC_L_05_CSMS: a signing certificate the station cannot use is answered InvalidCertificate."""
    result = await command(
        operator_http,
        "CS-FW",
        "update_firmware",
        location=FIRMWARE,
        signing_certificate="-----",
        signature=SIGNATURE,
    )
    assert result["status"] == "InvalidCertificate"


@pytest.mark.parametrize(
    ("answer", "notifications"),
    [
        (
            "Accepted",
            ["Downloading", "Downloaded", "SignatureVerified", "InstallScheduled", "Installing", "Installed"],
        ),
        (
            "Accepted",
            [
                "DownloadScheduled",
                "Downloading",
                "Downloaded",
                "SignatureVerified",
                "Installing",
                "Installed",
            ],
        ),
        ("RevokedCertificate", []),
        ("Accepted", ["Downloading", "Downloaded", "InvalidSignature"]),
        ("Accepted", ["Downloading", "DownloadFailed"]),
        ("Accepted", ["Downloading", "Downloaded", "SignatureVerified", "InstallVerificationFailed"]),
        ("Accepted", ["Downloading", "Downloaded", "SignatureVerified", "Installing", "InstallationFailed"]),
    ],
    ids=[
        "TC_L_02_CSMS",
        "TC_L_03_CSMS",
        "TC_L_04_CSMS",
        "TC_L_06_CSMS",
        "TC_L_07_CSMS",
        "TC_L_08_CSMS",
        "TC_L_09_CSMS",
    ],
)
async def test_tc_l_02_03_04_06_07_08_09_csms_secure_firmware_update_outcomes(
    server: Runtime, operator_http: httpx.AsyncClient, answer: str, notifications: list[str]
) -> None:
    """TC_L_02-04, 06-09_CSMS: UpdateFirmware with signing certificate and signature; whatever the
    station answers and reports (InstallScheduled, DownloadScheduled, RevokedCertificate,
    InvalidSignature, DownloadFailed, InstallVerificationFailed, InstallationFailed), the operator
    sees the answer and every FirmwareStatusNotification is answered and passed on with the request
    id.

    TC_L_02_CSMS: Accepted; Downloading, Downloaded, SignatureVerified, InstallScheduled, Installing,
        Installed.
    TC_L_03_CSMS: Accepted; DownloadScheduled, Downloading, Downloaded, SignatureVerified, Installing,
        Installed.
    TC_L_04_CSMS: the station answers RevokedCertificate; the operator sees it.
    TC_L_06_CSMS: Accepted; Downloading, Downloaded, InvalidSignature.
    TC_L_07_CSMS: Accepted; Downloading, DownloadFailed.
    TC_L_08_CSMS: Accepted; Downloading, Downloaded, SignatureVerified, InstallVerificationFailed.
    TC_L_09_CSMS: Accepted; Downloading, Downloaded, SignatureVerified, Installing, InstallationFailed.
    """
    station = await ChargingStation.online(server, "CS-L")
    events = server.bus.subscribe(EventFilter.of(["station.firmware_status"], ["CS-L"]))
    try:
        args = {"location": FIRMWARE, "signing_certificate": SIGNING_CERTIFICATE, "signature": SIGNATURE}
        sent, result = await command_answered(
            operator_http, station.raw, "CS-L", "update_firmware", args, "UpdateFirmware", {"status": answer}
        )
        assert result["status"] == answer and sent["firmware"]["signature"] == SIGNATURE
        request_id = sent["requestId"]
        for status in notifications:
            assert (
                await station.call("FirmwareStatusNotification", {"status": status, "requestId": request_id})
                == {}
            )
        seen = [await asyncio.wait_for(events.get(), 10) for _ in notifications]
        assert [(e.data["status"], e.data["request_id"]) for e in seen] == [
            (s, request_id) for s in notifications
        ]
    finally:
        events.close()
    await station.close()


async def update_firmware(
    http: httpx.AsyncClient, station: ChargingStation, location: str, answer: str
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The operator's secure update_firmware command, answered by ``station`` with ``answer``."""
    args = {"location": location, "signing_certificate": SIGNING_CERTIFICATE, "signature": SIGNATURE}
    return await command_answered(
        http, station.raw, station.station_id, "update_firmware", args, "UpdateFirmware", {"status": answer}
    )


async def report(station: ChargingStation, request_id: int, *steps: str) -> None:
    """FirmwareStatusNotifications of ``steps`` for ``request_id``, each answered with an empty payload."""
    for status in steps:
        answer = await station.call("FirmwareStatusNotification", {"status": status, "requestId": request_id})
        assert answer == {}


async def passed_on(events: Subscription, count: int) -> list[tuple[str, int | None]]:
    seen = [await asyncio.wait_for(events.get(), 10) for _ in range(count)]
    return [(event.data["status"], event.data["request_id"]) for event in seen]


async def test_tc_l_10_csms_secure_firmware_update_accepted_canceled(
    server: Runtime, operator_http: httpx.AsyncClient
) -> None:
    """TC_L_10_CSMS: while the first update downloads, a second UpdateFirmware (new request id) is
    answered AcceptedCanceled; the new update's Downloading to Installed are answered and passed on
    with the new request id."""
    station = await ChargingStation.online(server, "CS-L10")
    events = server.bus.subscribe(EventFilter.of(["station.firmware_status"], ["CS-L10"]))
    try:
        first, result = await update_firmware(operator_http, station, FIRMWARE, "Accepted")
        assert result["status"] == "Accepted"
        await report(station, first["requestId"], "Downloading")
        newer = "https://firmware.example.com/sim-2.1.bin"
        second, result = await update_firmware(operator_http, station, newer, "AcceptedCanceled")
        assert result["status"] == "AcceptedCanceled"
        assert second["firmware"]["location"] == newer and second["requestId"] != first["requestId"]
        steps = ("Downloading", "Downloaded", "SignatureVerified", "Installing", "Installed")
        await report(station, second["requestId"], *steps)
        assert await passed_on(events, 1 + len(steps)) == [("Downloading", first["requestId"])] + [
            (status, second["requestId"]) for status in steps
        ]
    finally:
        events.close()
        await station.close()


async def test_tc_l_11_csms_secure_firmware_update_unable_to_cancel(
    server: Runtime, operator_http: httpx.AsyncClient
) -> None:
    """TC_L_11_CSMS: while the first update downloads, a second UpdateFirmware is answered Rejected
    (the station cannot cancel); the operator sees Rejected and the first update goes on to
    Installed under its own request id."""
    station = await ChargingStation.online(server, "CS-L11")
    events = server.bus.subscribe(EventFilter.of(["station.firmware_status"], ["CS-L11"]))
    try:
        first, result = await update_firmware(operator_http, station, FIRMWARE, "Accepted")
        assert result["status"] == "Accepted"
        await report(station, first["requestId"], "Downloading")
        second, result = await update_firmware(
            operator_http, station, "https://firmware.example.com/sim-2.1.bin", "Rejected"
        )
        assert result["status"] == "Rejected" and second["requestId"] != first["requestId"]
        steps = ("Downloaded", "SignatureVerified", "Installing", "Installed")
        await report(station, first["requestId"], *steps)
        assert await passed_on(events, 1 + len(steps)) == [
            (status, first["requestId"]) for status in ("Downloading", *steps)
        ]
    finally:
        events.close()
        await station.close()


async def test_tc_l_13_csms_secure_firmware_update_with_ongoing_transaction(
    server: Runtime, operator_http: httpx.AsyncClient
) -> None:
    """TC_L_13_CSMS: an update requested while EVSE 1 charges: DownloadScheduled, the idle EVSE goes
    Unavailable (status and NotifyEvent), the download waits as InstallScheduled while the
    transaction goes on; once it ends EVSE 1 goes Unavailable too, then Installing and Installed.
    The CSMS answers each message and stores the statuses and the transaction as the station
    reports them."""
    await server.domain.tokens.add("RFID-L13")
    station = await ChargingStation.online(server, "CS-L13")
    events = server.bus.subscribe(EventFilter.of(["station.firmware_status"], ["CS-L13"]))
    try:
        # Reusable state EnergyTransferStarted on EVSE 1.
        accepted = {"idTokenInfo": {"status": "Accepted"}}
        assert await station.event("Started", "Authorized", "tx-l13", token="RFID-L13", evse=1) == accepted
        await station.availability(1, 1, "Occupied")
        await station.event("Updated", "CablePluggedIn", "tx-l13", state="EVConnected")
        await station.event("Updated", "ChargingStateChanged", "tx-l13", state="Charging")

        sent, result = await update_firmware(operator_http, station, FIRMWARE, "Accepted")
        assert result["status"] == "Accepted"
        request_id = sent["requestId"]
        await report(station, request_id, "DownloadScheduled")
        await station.availability(2, 1, "Unavailable")
        await report(
            station, request_id, "Downloading", "Downloaded", "SignatureVerified", "InstallScheduled"
        )
        assert await evse_status(server, "CS-L13", 2) == "Unavailable"
        tx = await server.domain.transactions.find("CS-L13", "tx-l13")
        assert tx is not None and tx.status == "active"  # the update waits for the transaction

        # The driver stops: the transaction ends, then the EVSE goes Unavailable for the install.
        await station.event(
            "Ended", "StopAuthorized", "tx-l13", token="RFID-L13", state="Idle", stopped="Local"
        )
        await station.availability(1, 1, "Unavailable")
        await report(station, request_id, "Installing", "Installed")
        tx = await server.domain.transactions.find("CS-L13", "tx-l13")
        assert tx is not None and tx.status != "active" and tx.stop_reason == "Local"
        assert await evse_status(server, "CS-L13", 1) == "Unavailable"
        steps = ("DownloadScheduled", "Downloading", "Downloaded", "SignatureVerified", "InstallScheduled")
        assert await passed_on(events, len(steps) + 2) == [
            (status, request_id) for status in (*steps, "Installing", "Installed")
        ]
    finally:
        events.close()
        await station.close()
