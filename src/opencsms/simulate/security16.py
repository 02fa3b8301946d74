"""CSMS -> station calls of the OCPP 1.6 security extension, as a simulated station answers them
(Improved security for OCPP 1.6-J, edition 2: §3 certificates, §4 ExtendedTriggerMessage)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from opencsms.simulate.received_calls import one_of, required
from opencsms.transport.connection import Payload

if TYPE_CHECKING:
    from opencsms.simulate.station16 import SimulatedStation16

_TYPES = ("CentralSystemRootCertificate", "ManufacturerRootCertificate")


async def send_csr(station: SimulatedStation16) -> None:
    """SignCertificate with a CSR for a new key (§3.2)."""
    await station.call("SignCertificate", {"csr": station.security.new_csr(station.config.vendor)})


async def extended_trigger_message(station: SimulatedStation16, payload: Payload) -> Payload:
    """§4: SignChargePointCertificate and Heartbeat are sent after the answer; the rest NotImplemented."""
    message = required(payload, "requestedMessage", str)
    if message == "SignChargePointCertificate":
        station.spawn(send_csr(station), "trigger SignCertificate")
    elif message == "Heartbeat":
        station.spawn(station.heartbeat(), "trigger Heartbeat")
    else:
        return {"status": "NotImplemented"}
    return {"status": "Accepted"}


async def certificate_signed(station: SimulatedStation16, payload: Payload) -> Payload:
    """§3.2: Accepted when the chain carries the key of the last CSR and names this station; else
    Rejected, and an InvalidChargePointCertificate security event follows."""
    if station.security.take_signed_chain(required(payload, "certificateChain", str)):
        return {"status": "Accepted"}
    station.spawn(station.security_event("InvalidChargePointCertificate"), "security event")
    return {"status": "Rejected"}


async def install_certificate(station: SimulatedStation16, payload: Payload) -> Payload:
    """§3.3: Accepted for a CA certificate; Rejected otherwise."""
    kind = one_of(payload, "certificateType", _TYPES)
    return {"status": station.security.install(kind, required(payload, "certificate", str))}


async def delete_certificate(station: SimulatedStation16, payload: Payload) -> Payload:
    """§3.3: Accepted, NotFound, or Failed for the station's own certificate."""
    return {"status": station.security.delete(required(payload, "certificateHashData", dict))}


async def get_installed_certificate_ids(station: SimulatedStation16, payload: Payload) -> Payload:
    """§3.3: the hash data of the installed certificates of that type, or NotFound."""
    kind = one_of(payload, "certificateType", _TYPES)
    found = [hash_data for _, hash_data in station.security.installed_ids([kind])]
    if not found:
        return {"status": "NotFound"}
    return {"status": "Accepted", "certificateHashData": found}


HANDLERS = {
    "CertificateSigned": certificate_signed,
    "DeleteCertificate": delete_certificate,
    "ExtendedTriggerMessage": extended_trigger_message,
    "GetInstalledCertificateIds": get_installed_certificate_ids,
    "InstallCertificate": install_certificate,
}
