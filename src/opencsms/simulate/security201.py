"""CSMS -> station calls of 2.0.1 blocks A and M (certificates), as a simulated station answers them."""

from __future__ import annotations

from typing import TYPE_CHECKING

from opencsms.simulate.received_calls import optional, required
from opencsms.transport.connection import Payload

if TYPE_CHECKING:
    from opencsms.simulate.station201 import SimulatedStation201


async def send_csr(station: SimulatedStation201) -> None:
    """A02/A03: SignCertificate with a CSR for a new key."""
    csr = station.security.new_csr(station.config.vendor)
    await station.call("SignCertificate", {"csr": csr, "certificateType": "ChargingStationCertificate"})


async def certificate_signed(station: SimulatedStation201, payload: Payload) -> Payload:
    """A02.FR.16-18: Accepted when the chain carries the key of the last CSR and names this station;
    else Rejected and an InvalidChargingStationCertificate security event."""
    if station.security.take_signed_chain(required(payload, "certificateChain", str)):
        return {"status": "Accepted"}
    station.spawn(station.security_event("InvalidChargingStationCertificate"), "security event")
    return {"status": "Rejected"}


async def install_certificate(station: SimulatedStation201, payload: Payload) -> Payload:
    """M05: Accepted for a CA certificate; Rejected otherwise."""
    kind = required(payload, "certificateType", str)
    return {"status": station.security.install(kind, required(payload, "certificate", str))}


async def delete_certificate(station: SimulatedStation201, payload: Payload) -> Payload:
    """M04: Accepted, NotFound, or Failed for the station's own certificate (M04.FR.06)."""
    return {"status": station.security.delete(required(payload, "certificateHashData", dict))}


async def get_installed_certificate_ids(station: SimulatedStation201, payload: Payload) -> Payload:
    """M03: the hash data of the installed certificates of the asked types (all when none), or NotFound."""
    kinds = optional(payload, "certificateType", list)
    found = station.security.installed_ids(kinds)
    if not found:
        return {"status": "NotFound"}
    return {
        "status": "Accepted",
        "certificateHashDataChain": [
            {"certificateType": kind, "certificateHashData": hash_data} for kind, hash_data in found
        ],
    }


HANDLERS = {
    "CertificateSigned": certificate_signed,
    "DeleteCertificate": delete_certificate,
    "GetInstalledCertificateIds": get_installed_certificate_ids,
    "InstallCertificate": install_certificate,
}
