"""2.0.1 block A, Security: SecurityEventNotification and SignCertificate (station -> CSMS)."""

from __future__ import annotations

from opencsms.handlers.context import Handler, Payload, StationContext, parse_datetime


async def security_event_notification(ctx: StationContext, payload: Payload) -> Payload:
    """A04.FR.01-03: the event is stored before the answer; shown by the API and counted."""
    await ctx.domain.security.store_station_event(
        ctx.station_id, payload["type"], parse_datetime(payload.get("timestamp")), payload.get("techInfo")
    )
    return {}


async def sign_certificate(ctx: StationContext, payload: Payload) -> Payload:
    """A02.FR.02-07 / A03: Accepted when the CSR is signed (CN = station id, strong key, valid
    signature); CertificateSigned with the chain follows. V2G certificates are Rejected."""
    accepted = await ctx.domain.certificates.sign_request(
        ctx.station_id,
        ctx.version,
        payload["csr"],
        payload.get("certificateType", "ChargingStationCertificate"),
    )
    return {"status": "Accepted" if accepted else "Rejected"}


HANDLERS: dict[str, Handler] = {
    "SecurityEventNotification": security_event_notification,
    "SignCertificate": sign_certificate,
}
