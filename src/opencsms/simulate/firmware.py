"""A simulated station's firmware updates and diagnostics uploads: 1.6 UpdateFirmware (5.16) and
GetDiagnostics (5.9), the 1.6 whitepaper's SignedUpdateFirmware (§ 4) and GetLog (§ 5.2), 2.0.1
UpdateFirmware (L01) and GetLog (N01).

Nothing is downloaded: the station reports the steps a real one goes through, a moment apart, then
reboots with the new version (the file name of ``location``, without its extension). The
location chooses an outcome, so failures can be played: ``download-fails`` in it stops at
DownloadFailed, ``install-fails`` at InstallationFailed, ``upload-fails`` at UploadFailed
(diagnostics) or UploadFailure (a log). A signed update needs a PEM signing certificate (else
InvalidCertificate) and a base64 signature (else InvalidSignature after the download).
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import dataclasses
import logging
from typing import TYPE_CHECKING, Any
from urllib.parse import urlparse

from cryptography import x509

from opencsms.simulate.received_calls import optional, required
from opencsms.simulate.reservations16 import seconds_until
from opencsms.transport.connection import CallFailed, Payload

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from opencsms.simulate.station_base import SimulatedStationBase

    Handler = Callable[[SimulatedStationBase, Payload], Awaitable[Payload]]

log = logging.getLogger(__name__)
#: Seconds between two steps of an update or upload.
STEP_SECONDS = 0.2


def version_of(location: str) -> str:
    """The firmware version a location carries: its file name without the extension."""
    name = urlparse(location).path.rsplit("/", 1)[-1] or location
    return (name.rsplit(".", 1)[0] or name)[:50]


def _certificate_ok(pem: str | None) -> bool:
    if pem is None:
        return False
    try:
        x509.load_pem_x509_certificate(pem.encode())
    except ValueError:
        return False
    return True


def _signature_ok(signature: str | None) -> bool:
    if not signature:
        return False
    try:
        base64.b64decode(signature, validate=True)
    except (binascii.Error, ValueError):
        return False
    return True


def _steps(location: str, *, signed: bool, signature: str | None) -> list[str]:
    if "download-fails" in location:
        return ["Downloading", "DownloadFailed"]
    steps = ["Downloading", "Downloaded"]
    if signed:
        if not _signature_ok(signature):
            return [*steps, "InvalidSignature"]
        steps.append("SignatureVerified")
    if "install-fails" in location:
        return [*steps, "Installing", "InstallationFailed"]
    return [*steps, "Installing", "Installed"]


async def run_update(
    station: SimulatedStationBase,
    action: str,
    location: str,
    *,
    signed: bool,
    signature: str | None,
    request_id: int | None,
    delay: float,
) -> None:
    """Report each step of the update (``action``: the status notification to send), then reboot
    with the new version when it was installed."""
    await asyncio.sleep(delay)
    steps = _steps(location, signed=signed, signature=signature)
    for status in steps:
        payload: dict[str, Any] = {"status": status}
        if request_id is not None:
            payload["requestId"] = request_id
        try:
            await station.call(action, payload)
        except CallFailed as exc:
            log.info("%s: %s %s failed: %s", station.station_id, action, status, exc)
        await asyncio.sleep(STEP_SECONDS)
    if steps[-1] == "Installed":
        station.config = dataclasses.replace(station.config, firmware_version=version_of(location))
        if hasattr(station, "boot_reason"):  # a 2.x station says why it boots
            station.boot_reason = "FirmwareUpdate"
        await station.reboot()


def _delay(retrieve_at: str | None) -> float:
    return seconds_until(retrieve_at) if retrieve_at else 0.0


async def update_firmware_16(station: SimulatedStationBase, payload: Payload) -> Payload:
    """1.6 5.16: answered at once (empty); the steps follow from retrieveDate on."""
    location = required(payload, "location", str)
    delay = _delay(required(payload, "retrieveDate", str))
    station.spawn(
        run_update(
            station,
            "FirmwareStatusNotification",
            location,
            signed=False,
            signature=None,
            request_id=None,
            delay=delay,
        ),
        "firmware update",
    )
    return {}


async def signed_update_firmware(station: SimulatedStationBase, payload: Payload) -> Payload:
    """1.6 whitepaper § 4.1 / 2.0.1 L01: Accepted, or InvalidCertificate for a signing certificate
    that is not one; the steps (SignedFirmwareStatusNotification / FirmwareStatusNotification with
    the requestId) follow. 2.0.1 without a signature installs unsigned firmware."""
    request_id = required(payload, "requestId", int)
    firmware = required(payload, "firmware", dict)
    location = required(firmware, "location", str)
    certificate = optional(firmware, "signingCertificate", str)
    signature = optional(firmware, "signature", str)
    v16 = station.version == "1.6"
    signed = v16 or certificate is not None or signature is not None
    if signed and not _certificate_ok(certificate):
        return {"status": "InvalidCertificate"}
    action = "SignedFirmwareStatusNotification" if v16 else "FirmwareStatusNotification"
    delay = _delay(required(firmware, "retrieveDateTime", str))
    station.spawn(
        run_update(
            station, action, location, signed=signed, signature=signature, request_id=request_id, delay=delay
        ),
        "firmware update",
    )
    return {"status": "Accepted"}


async def get_diagnostics(station: SimulatedStationBase, payload: Payload) -> Payload:
    """1.6 5.9: the file name at once; DiagnosticsStatusNotification Uploading, then Uploaded (or
    UploadFailed)."""
    location = required(payload, "location", str)

    async def upload() -> None:
        for status in ("Uploading", "UploadFailed" if "upload-fails" in location else "Uploaded"):
            await asyncio.sleep(STEP_SECONDS)
            try:
                await station.call("DiagnosticsStatusNotification", {"status": status})
            except CallFailed as exc:
                log.info("%s: DiagnosticsStatusNotification failed: %s", station.station_id, exc)

    station.spawn(upload(), "diagnostics upload")
    return {"fileName": f"{station.station_id}-diagnostics.log"}


async def get_log(station: SimulatedStationBase, payload: Payload) -> Payload:
    """1.6 whitepaper § 5.2 / 2.0.1 N01: Accepted with the file name at once; LogStatusNotification
    Uploading, then Uploaded (or UploadFailure), with the request id, follow (N01.FR.07)."""
    request_id = required(payload, "requestId", int)
    log_type = required(payload, "logType", str)
    location = required(required(payload, "log", dict), "remoteLocation", str)

    async def upload() -> None:
        for status in ("Uploading", "UploadFailure" if "upload-fails" in location else "Uploaded"):
            await asyncio.sleep(STEP_SECONDS)
            try:
                await station.call("LogStatusNotification", {"status": status, "requestId": request_id})
            except CallFailed as exc:
                log.info("%s: LogStatusNotification failed: %s", station.station_id, exc)

    station.spawn(upload(), "log upload")
    return {"status": "Accepted", "filename": f"{station.station_id}-{log_type}.log"}


HANDLERS_16: dict[str, Handler] = {
    "UpdateFirmware": update_firmware_16,
    "SignedUpdateFirmware": signed_update_firmware,
    "GetDiagnostics": get_diagnostics,
    "GetLog": get_log,
}
HANDLERS_201: dict[str, Handler] = {"UpdateFirmware": signed_update_firmware, "GetLog": get_log}
