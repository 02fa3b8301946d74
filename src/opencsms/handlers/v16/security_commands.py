"""Version-neutral certificate commands as OCPP 1.6 security-extension calls (whitepaper § 3-4)."""

from __future__ import annotations

from opencsms.domain import commands as c
from opencsms.handlers.context import Payload
from opencsms.security.passwords import authorization_key_v16

#: 2.0.1 names of certificate types -> their 1.6 spelling.
CERTIFICATE_TYPES_V16 = {
    "CSMSRootCertificate": "CentralSystemRootCertificate",
    "CentralSystemRootCertificate": "CentralSystemRootCertificate",
    "ManufacturerRootCertificate": "ManufacturerRootCertificate",
}


def certificate_type_v16(name: str) -> str:
    """Raises InvalidCommand: 1.6 has no such certificate type."""
    try:
        return CERTIFICATE_TYPES_V16[name]
    except KeyError:
        raise c.InvalidCommand(
            f"OCPP 1.6 knows CentralSystemRootCertificate and ManufacturerRootCertificate, not {name!r}"
        ) from None


def to_call(command: c.Command) -> tuple[str, Payload] | None:
    """The 1.6 action and payload for a certificate command; None for any other command.

    Raises:
        InvalidCommand: a certificate type 1.6 does not have, or more than one type asked for.
    """
    match command:
        case c.InstallCertificate(certificate_type=kind, certificate=pem):
            return "InstallCertificate", {"certificateType": certificate_type_v16(kind), "certificate": pem}
        case c.DeleteCertificate(certificate_hash_data=hash_data):
            return "DeleteCertificate", {"certificateHashData": dict(hash_data)}
        case c.GetInstalledCertificateIds(certificate_types=kinds):
            if len(kinds) > 1:
                raise c.InvalidCommand("OCPP 1.6 asks for one certificate type at a time")
            kind = certificate_type_v16(kinds[0]) if kinds else "CentralSystemRootCertificate"
            return "GetInstalledCertificateIds", {"certificateType": kind}
        case c.RenewCertificate():
            return "ExtendedTriggerMessage", {"requestedMessage": "SignChargePointCertificate"}
        case c.ChangePassword(password=password):
            return "ChangeConfiguration", {
                "key": "AuthorizationKey",
                "value": authorization_key_v16(password),
            }
        case c.RaiseSecurityProfile(profile=profile):
            return "ChangeConfiguration", {"key": "SecurityProfile", "value": str(profile)}
    return None
