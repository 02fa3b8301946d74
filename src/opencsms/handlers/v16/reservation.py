"""OCPP 1.6 Reservation profile (sections 5.13 ReserveNow, 5.1 CancelReservation) and Local Auth
List Management (5.15 SendLocalList, 5.10 GetLocalListVersion), CSMS side: commands as calls and
what their answers say."""

from __future__ import annotations

from datetime import timedelta

from opencsms.domain import commands as c
from opencsms.handlers.context import Payload, StationContext, format_datetime
from opencsms.handlers.v16.core import id_tag_info


async def to_call(ctx: StationContext, command: c.Command) -> tuple[str, Payload] | None:
    """The 1.6 call for a reservation or local list command; None for any other command.

    Raises:
        InvalidCommand: a reservation for an EVSE (1.6 reserves connectors).
    """
    match command:
        case c.ReserveNow(id_token=id_token, expires_in=expires_in, connector_id=connector, evse_id=evse):
            connector_id = connector if connector is not None else evse if evse is not None else 0
            reservation = await ctx.domain.reservations.create(
                ctx.station_id, id_token, timedelta(seconds=expires_in), connector_id=connector_id
            )
            token = await ctx.domain.tokens.get(id_token)
            payload: Payload = {
                "connectorId": connector_id,
                "expiryDate": format_datetime(reservation.expires_at),
                "idTag": id_token,
                "reservationId": reservation.id,
            }
            if token is not None and token.parent_id_token:
                payload["parentIdTag"] = token.parent_id_token
            return "ReserveNow", payload
        case c.CancelReservation(reservation_id=reservation_id):
            return "CancelReservation", {"reservationId": reservation_id}
        case c.SendLocalList(update_type=update_type, id_tokens=id_tokens, version=version):
            version, entries = await ctx.domain.reservations.local_list(
                ctx.station_id, update_type, id_tokens, version
            )
            # 5.15: a differential entry without idTagInfo removes the tag from the list.
            items = [
                {"idTag": e.id_token, **({"idTagInfo": id_tag_info(e.info)} if e.info is not None else {})}
                for e in entries
            ]
            payload = {"listVersion": version, "updateType": update_type}
            if items:
                payload["localAuthorizationList"] = items
            return "SendLocalList", payload
        case c.GetLocalListVersion():
            return "GetLocalListVersion", {}
    return None


async def record_failure(ctx: StationContext, action: str, request: Payload, error: c.CommandError) -> None:
    """A ReserveNow that got no CALLRESULT: not reserved (CALLERROR, not sent) or unknown (no answer)."""
    reservation_id = request.get("reservationId")
    if action == "ReserveNow" and isinstance(reservation_id, int):
        sent = isinstance(error, c.SentNoAnswer | c.CommandTimeout)
        await ctx.domain.reservations.record_failure(ctx.station_id, reservation_id, sent=sent)


async def record_result(ctx: StationContext, action: str, request: Payload, response: Payload) -> None:
    """Keep the reservation's answer and the list version the station took or reports."""
    await ctx.domain.reservations.record_answer(
        ctx.station_id,
        action,
        response.get("status"),
        reservation_id=request.get("reservationId"),
        sent_version=request.get("listVersion"),
        reported_version=response.get("listVersion"),
    )
