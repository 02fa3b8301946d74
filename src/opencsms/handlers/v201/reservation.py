"""OCPP 2.0.1 blocks H Reservation (H01 ReserveNow, H02 CancelReservation, H03/H04
ReservationStatusUpdate) and D Local Authorization List (D01 SendLocalList, D02
GetLocalListVersion), CSMS side."""

from __future__ import annotations

from datetime import timedelta

from opencsms.domain import commands as c
from opencsms.handlers.context import Handler, Payload, StationContext, format_datetime
from opencsms.handlers.v201.common import id_token_info


def _id_token(value: str, token_type: str | None) -> Payload:
    return {"idToken": value, "type": token_type or "Central"}


async def to_call(ctx: StationContext, command: c.Command) -> tuple[str, Payload] | None:
    """The 2.0.1 call for a reservation or local list command; None for any other command."""
    match command:
        case c.ReserveNow(id_token=id_token, expires_in=expires_in, connector_id=connector, evse_id=evse):
            evse_id = evse if evse is not None else connector
            reservation = await ctx.domain.reservations.create(
                ctx.station_id, id_token, timedelta(seconds=expires_in), evse_id=evse_id
            )
            token = await ctx.domain.tokens.get(id_token)
            payload: Payload = {
                "id": reservation.id,
                "expiryDateTime": format_datetime(reservation.expires_at),
                "idToken": _id_token(id_token, token.token_type if token else None),
            }
            if evse_id:
                payload["evseId"] = evse_id
            if token is not None and token.parent_id_token:
                payload["groupIdToken"] = _id_token(token.parent_id_token, None)
            return "ReserveNow", payload
        case c.CancelReservation(reservation_id=reservation_id):
            return "CancelReservation", {"reservationId": reservation_id}
        case c.SendLocalList(update_type=update_type, id_tokens=id_tokens, version=version):
            version, entries = await ctx.domain.reservations.local_list(
                ctx.station_id, update_type, id_tokens, version
            )
            # D01.FR.17: a differential entry without idTokenInfo removes the token.
            items = [
                {
                    "idToken": _id_token(e.id_token, e.token_type),
                    **({"idTokenInfo": id_token_info(e.info)} if e.info is not None else {}),
                }
                for e in entries
            ]
            payload = {"versionNumber": version, "updateType": update_type}
            if items:
                payload["localAuthorizationList"] = items
            return "SendLocalList", payload
        case c.GetLocalListVersion():
            return "GetLocalListVersion", {}
    return None


async def record_failure(ctx: StationContext, action: str, request: Payload, error: c.CommandError) -> None:
    """A ReserveNow that got no CALLRESULT: not reserved (CALLERROR, not sent) or unknown (no answer)."""
    reservation_id = request.get("id")
    if action == "ReserveNow" and isinstance(reservation_id, int):
        sent = isinstance(error, c.SentNoAnswer | c.CommandTimeout)
        await ctx.domain.reservations.record_failure(ctx.station_id, reservation_id, sent=sent)


async def record_result(ctx: StationContext, action: str, request: Payload, response: Payload) -> None:
    """Keep the reservation's answer and the list version the station took or reports."""
    await ctx.domain.reservations.record_answer(
        ctx.station_id,
        action,
        response.get("status"),
        reservation_id=request.get("id") if action == "ReserveNow" else request.get("reservationId"),
        sent_version=request.get("versionNumber"),
        reported_version=response.get("versionNumber"),
    )


async def reservation_status_update(ctx: StationContext, payload: Payload) -> Payload:
    """H03.FR.01 / H04: the station ended a reservation (Expired, or Removed)."""
    await ctx.domain.reservations.set_status(
        ctx.station_id, payload["reservationId"], payload["reservationUpdateStatus"]
    )
    return {}


HANDLERS: dict[str, Handler] = {"ReservationStatusUpdate": reservation_status_update}
