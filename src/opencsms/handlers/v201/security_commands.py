"""Version-neutral certificate commands as OCPP 2.0.1 calls (A02, M03-M05)."""

from __future__ import annotations

from opencsms.domain import commands as c
from opencsms.handlers.context import Payload

_CSMS_ROOT = {"CentralSystemRootCertificate": "CSMSRootCertificate"}


def to_call(command: c.Command) -> tuple[str, Payload] | None:
    """The 2.0.1 action and payload for a certificate command; None for any other command."""
    match command:
        case c.InstallCertificate(certificate_type=kind, certificate=pem):
            return "InstallCertificate", {"certificateType": _CSMS_ROOT.get(kind, kind), "certificate": pem}
        case c.DeleteCertificate(certificate_hash_data=hash_data):
            return "DeleteCertificate", {"certificateHashData": dict(hash_data)}
        case c.GetInstalledCertificateIds(certificate_types=kinds):
            payload: Payload = {}
            if kinds:
                payload["certificateType"] = [_CSMS_ROOT.get(k, k) for k in kinds]
            return "GetInstalledCertificateIds", payload
        case c.RenewCertificate():
            return "TriggerMessage", {"requestedMessage": "SignChargingStationCertificate"}
        case c.ChangePassword(password=password):
            item = {
                "component": {"name": "SecurityCtrlr"},
                "variable": {"name": "BasicAuthPassword"},
                "attributeValue": password,
            }
            return "SetVariables", {"setVariableData": [item]}
        case c.RaiseSecurityProfile(profile=profile, csms_url=url, configuration_slot=slot):
            if not url:
                raise c.InvalidCommand("a 2.x station needs the CSMS url of the new security profile")
            connection_data = {
                "ocppVersion": "OCPP20",
                "ocppTransport": "JSON",
                "ocppCsmsUrl": url,
                "messageTimeout": 30,
                "securityProfile": profile,
                "ocppInterface": "Wired0",
            }
            return "SetNetworkProfile", {"configurationSlot": slot, "connectionData": connection_data}
    return None
