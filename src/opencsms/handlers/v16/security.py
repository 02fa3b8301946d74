"""OCPP 1.6 security extension, station -> CSMS (Improved security for OCPP 1.6-J, edition 2)."""

from __future__ import annotations

from opencsms.handlers.context import Handler, Payload, StationContext, parse_datetime


async def security_event_notification(ctx: StationContext, payload: Payload) -> Payload:
    """Whitepaper § 5 (Security events): stored before the answer; shown by the API and counted."""
    await ctx.domain.security.store_station_event(
        ctx.station_id, payload["type"], parse_datetime(payload.get("timestamp")), payload.get("techInfo")
    )
    return {}


async def sign_certificate(ctx: StationContext, payload: Payload) -> Payload:
    """Whitepaper § 3.2 (Update Charge Point certificate by request of Central System): Accepted
    when the CSR is signed; CertificateSigned with the chain follows."""
    accepted = await ctx.domain.certificates.sign_request(
        ctx.station_id, ctx.version, payload["csr"], "ChargingStationCertificate"
    )
    return {"status": "Accepted" if accepted else "Rejected"}


HANDLERS: dict[str, Handler] = {
    "SecurityEventNotification": security_event_notification,
    "SignCertificate": sign_certificate,
}
