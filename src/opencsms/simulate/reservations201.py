"""A simulated 2.0.1 station's reservations (H01 ReserveNow, H02 CancelReservation, H03/H04
ReservationStatusUpdate) and local authorization list (D01 SendLocalList, D02 GetLocalListVersion).

A reserved EVSE's connector shows Reserved and takes only a session of the reserving token, whose
TransactionEvent Started carries the reservationId; at its expiry the station tells the CSMS
(ReservationStatusUpdate Expired) and the connector is Available again.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from opencsms.simulate.received_calls import one_of, optional, required
from opencsms.simulate.reservations16 import seconds_until
from opencsms.transport.connection import CallFailed, Payload

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from opencsms.simulate.station201 import SimulatedStation201

    Handler = Callable[[SimulatedStation201, Payload], Awaitable[Payload]]

log = logging.getLogger(__name__)
#: How many entries the simulated local list holds (LocalAuthListCtrlr.Entries).
LOCAL_LIST_CAPACITY = 100


@dataclass
class Reservation201:
    reservation_id: int
    id_token: str
    evse_id: int
    expiry: asyncio.Task[None] | None = None


async def reserve_now(station: SimulatedStation201, payload: Payload) -> Payload:
    """H01: Accepted (the EVSE's connector shows Reserved); Faulted, Unavailable or Occupied as the
    EVSE is; no EVSE named: any free one (Occupied when none is)."""
    reservation_id = required(payload, "id", int)
    expiry = required(payload, "expiryDateTime", str)
    token = required(required(payload, "idToken", dict), "idToken", str)
    evse_id = optional(payload, "evseId", int)
    end(station, reservation_id, announce=False)  # H01.FR.02: the same id replaces it
    if evse_id is None:
        free = [n for n in station.point_ids if station.evse(n).is_free]
        if not free:
            return {"status": "Occupied"}
        evse_id = free[0]
    if evse_id not in station.evses:
        return {"status": "Rejected"}
    evse = station.evse(evse_id)
    if evse.status == "Faulted":
        return {"status": "Faulted"}
    if not evse.operative or evse.status == "Unavailable":
        return {"status": "Unavailable"}
    if not evse.is_free:
        return {"status": "Occupied"}
    reservation = Reservation201(reservation_id, token, evse_id)
    station.reservations[evse_id] = reservation
    station.spawn(station.send_status(evse_id, 1, "Reserved"), "reserved")
    reservation.expiry = station.spawn(_expire(station, reservation, seconds_until(expiry)), "expiry")
    return {"status": "Accepted"}


async def _expire(station: SimulatedStation201, reservation: Reservation201, seconds: float) -> None:
    await asyncio.sleep(seconds)
    if station.reservations.get(reservation.evse_id) is not reservation:
        return
    reservation.expiry = None  # this task: not to be cancelled by end()
    end(station, reservation.reservation_id)
    update = {"reservationId": reservation.reservation_id, "reservationUpdateStatus": "Expired"}
    try:
        await station.call("ReservationStatusUpdate", update)
    except CallFailed as exc:
        log.info("%s: ReservationStatusUpdate failed: %s", station.station_id, exc)


def end(station: SimulatedStation201, reservation_id: int, *, announce: bool = True) -> bool:
    """End a reservation: its connector is Available again (announced unless told not to)."""
    for evse_id, reservation in list(station.reservations.items()):
        if reservation.reservation_id == reservation_id:
            del station.reservations[evse_id]
            if reservation.expiry is not None:
                reservation.expiry.cancel()
            evse = station.evse(evse_id)
            if evse.connector_status.get(1) == "Reserved":
                status = "Available" if evse.operative else "Unavailable"
                evse.set_connector_status(1, status)
                if announce:
                    station.spawn(station.send_status(evse_id, 1, status), "reservation ended")
            return True
    return False


def take_reservation(station: SimulatedStation201, evse_id: int, id_token: str | None) -> int | None:
    """A session of ``id_token`` starts at the EVSE: the reservation it uses, if any, ends (its
    id goes into TransactionEvent Started)."""
    reservation = station.reservations.get(evse_id)
    if reservation is None or reservation.id_token != id_token:
        return None
    del station.reservations[evse_id]
    if reservation.expiry is not None:
        reservation.expiry.cancel()
    return reservation.reservation_id


def free_for(station: SimulatedStation201, evse_id: int | None, id_token: str) -> int | None:
    """The EVSE the token reserved (and ``evse_id`` allows), made free for its session; else None."""
    reserved = next((r for r in station.reservations.values() if r.id_token == id_token), None)
    if reserved is None or evse_id not in (None, reserved.evse_id):
        return None
    station.evse(reserved.evse_id).set_connector_status(1, "Available")
    return reserved.evse_id


async def cancel_reservation(station: SimulatedStation201, payload: Payload) -> Payload:
    """H02: Accepted for a reservation the station holds (its connector becomes Available)."""
    return {"status": "Accepted" if end(station, required(payload, "reservationId", int)) else "Rejected"}


async def send_local_list(station: SimulatedStation201, payload: Payload) -> Payload:
    """D01: Full replaces the list, Differential updates it (no idTokenInfo: removed);
    VersionMismatch for a differential update not newer than the list; Failed over capacity."""
    version = required(payload, "versionNumber", int)
    update_type = one_of(payload, "updateType", ("Full", "Differential"))
    entries: list[Any] = optional(payload, "localAuthorizationList", list) or []
    if update_type == "Differential" and version <= station.local_list_version:
        return {"status": "VersionMismatch"}
    new_list = {} if update_type == "Full" else dict(station.local_list)
    for entry in entries:
        token = entry["idToken"]["idToken"]
        if entry.get("idTokenInfo") is None:
            new_list.pop(token, None)
        else:
            new_list[token] = entry["idTokenInfo"]
    if len(new_list) > LOCAL_LIST_CAPACITY:
        return {"status": "Failed"}
    station.local_list, station.local_list_version = new_list, version
    return {"status": "Accepted"}


async def get_local_list_version(station: SimulatedStation201, payload: Payload) -> Payload:
    """D02: the version of the list held (0: none)."""
    return {"versionNumber": station.local_list_version}


HANDLERS: dict[str, Handler] = {
    "ReserveNow": reserve_now,
    "CancelReservation": cancel_reservation,
    "SendLocalList": send_local_list,
    "GetLocalListVersion": get_local_list_version,
}
