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
            if version is None:
                version = (await ctx.domain.reservations.local_list_version(ctx.station_id) or 0) + 1
            entries = await ctx.domain.reservations.local_list_entries(id_tokens)
            items: list[Payload] = []
            for entry in entries:
                item: Payload = {"idTag": entry.id_token}
                # 5.15: a differential entry without idTagInfo removes the tag from the list.
                if entry.info is not None:
                    item["idTagInfo"] = id_tag_info(entry.info)
                elif update_type == "Full":
                    continue
                items.append(item)
            payload = {"listVersion": version, "updateType": update_type}
            if items:
                payload["localAuthorizationList"] = items
            return "SendLocalList", payload
        case c.GetLocalListVersion():
            return "GetLocalListVersion", {}
    return None


async def record_result(ctx: StationContext, action: str, request: Payload, response: Payload) -> None:
    """Keep the reservation's answer and the list version the station took or reports."""
    if action == "ReserveNow":
        await ctx.domain.reservations.set_status(ctx.station_id, request["reservationId"], response["status"])
    elif action == "CancelReservation" and response.get("status") == "Accepted":
        await ctx.domain.reservations.set_status(ctx.station_id, request["reservationId"], "Cancelled")
    elif action == "SendLocalList" and response.get("status") == "Accepted":
        await ctx.domain.reservations.set_local_list_version(ctx.station_id, request["listVersion"])
    elif action == "GetLocalListVersion" and response.get("listVersion", -1) >= 0:
        await ctx.domain.reservations.set_local_list_version(ctx.station_id, response["listVersion"])
