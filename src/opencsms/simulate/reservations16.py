"""A simulated 1.6 charge point's Reservation (5.13 ReserveNow, 5.1 CancelReservation) and Local
Auth List Management (5.15 SendLocalList, 5.10 GetLocalListVersion) profiles.

A reserved connector shows Reserved and takes only a session of the reserving tag, whose
StartTransaction carries the reservationId; at its expiry date the reservation ends and the
connector is Available again.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from opencsms.simulate.received_calls import one_of, optional, required
from opencsms.transport.connection import Payload

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from opencsms.simulate.station16 import SimulatedStation16

    Handler = Callable[[SimulatedStation16, Payload], Awaitable[Payload]]


@dataclass
class Reservation16:
    reservation_id: int
    id_tag: str
    connector_id: int
    expiry: asyncio.Task[None] | None = None


def seconds_until(text: str) -> float:
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return 0.0
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return max(0.0, (moment - datetime.now(UTC)).total_seconds())


async def reserve_now(station: SimulatedStation16, payload: Payload) -> Payload:
    """5.13: Accepted and the connector shows Reserved; Faulted, Unavailable or Occupied as the
    connector is; connector 0 reserves any free connector (Occupied when none is)."""
    connector_id = required(payload, "connectorId", int)
    id_tag = required(payload, "idTag", str)
    reservation_id = required(payload, "reservationId", int)
    expiry_date = required(payload, "expiryDate", str)
    release(station, reservation_id, announce=False)  # the same id again replaces it
    if connector_id == 0:
        free = [c for c in station.connectors.values() if c.is_free]
        if not free:
            return {"status": "Occupied"}
        connector_id = free[0].connector_id
    if connector_id not in station.connectors:
        return {"status": "Rejected"}
    connector = station.connector(connector_id)
    if connector.status == "Faulted":
        return {"status": "Faulted"}
    if not connector.operative or connector.status == "Unavailable":
        return {"status": "Unavailable"}
    if not connector.is_free:
        return {"status": "Occupied"}
    reservation = Reservation16(reservation_id, id_tag, connector_id)
    station.reservations[connector_id] = reservation
    connector.status = "Reserved"
    station.spawn(station.send_status(connector_id, "Reserved"), "reserved")
    reservation.expiry = station.spawn(_expire(station, reservation, seconds_until(expiry_date)), "expiry")
    return {"status": "Accepted"}


async def _expire(station: SimulatedStation16, reservation: Reservation16, seconds: float) -> None:
    await asyncio.sleep(seconds)
    if station.reservations.get(reservation.connector_id) is reservation:
        reservation.expiry = None  # this task: not to be cancelled by release
        release(station, reservation.reservation_id)


def release(station: SimulatedStation16, reservation_id: int, *, announce: bool = True) -> bool:
    """End a reservation: the connector is Available again (announced unless told not to)."""
    for connector_id, reservation in list(station.reservations.items()):
        if reservation.reservation_id == reservation_id:
            del station.reservations[connector_id]
            if reservation.expiry is not None:
                reservation.expiry.cancel()
            connector = station.connector(connector_id)
            if connector.status == "Reserved":
                connector.status = connector.idle_status
                if announce:
                    station.spawn(station.send_status(connector_id, connector.status), "reservation ended")
            return True
    return False


def take_reservation(station: SimulatedStation16, connector_id: int, id_tag: str) -> int | None:
    """A session of ``id_tag`` starts at the connector: the reservation it uses, if any, ends
    (its id goes into StartTransaction)."""
    reservation = station.reservations.get(connector_id)
    if reservation is None or reservation.id_tag != id_tag:
        return None
    del station.reservations[connector_id]
    if reservation.expiry is not None:
        reservation.expiry.cancel()
    return reservation.reservation_id


async def cancel_reservation(station: SimulatedStation16, payload: Payload) -> Payload:
    """5.1: Accepted for a reservation the charge point holds (the connector becomes Available)."""
    reservation_id = required(payload, "reservationId", int)
    return {"status": "Accepted" if release(station, reservation_id) else "Rejected"}


async def send_local_list(station: SimulatedStation16, payload: Payload) -> Payload:
    """5.15: Full replaces the list, Differential updates it (an entry without idTagInfo is
    removed); NotSupported when LocalAuthListEnabled is false, Failed over LocalAuthListMaxLength."""
    version = required(payload, "listVersion", int)
    update_type = one_of(payload, "updateType", ("Full", "Differential"))
    entries: list[Any] = optional(payload, "localAuthorizationList", list) or []
    if not station.configuration.flag("LocalAuthListEnabled"):
        return {"status": "NotSupported"}
    new_list = {} if update_type == "Full" else dict(station.local_list)
    for entry in entries:
        if entry.get("idTagInfo") is None:
            new_list.pop(entry["idTag"], None)
        else:
            new_list[entry["idTag"]] = entry["idTagInfo"]
    if len(new_list) > int(station.configuration.value("LocalAuthListMaxLength")):
        return {"status": "Failed"}
    station.local_list, station.local_list_version = new_list, version
    return {"status": "Accepted"}


async def get_local_list_version(station: SimulatedStation16, payload: Payload) -> Payload:
    """5.10: the version of the list held (0: none), -1 when local lists are not supported."""
    if not station.configuration.flag("LocalAuthListEnabled"):
        return {"listVersion": -1}
    return {"listVersion": station.local_list_version}


HANDLERS: dict[str, Handler] = {
    "ReserveNow": reserve_now,
    "CancelReservation": cancel_reservation,
    "SendLocalList": send_local_list,
    "GetLocalListVersion": get_local_list_version,
}
