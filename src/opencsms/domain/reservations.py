"""Reservations (1.6 Reservation profile, 2.0.1 block H) and local authorization lists (1.6 Local
Auth List Management, 2.0.1 block D): what the CSMS asked of each station and what the station said.

A reservation is recorded (``Requested``) before ReserveNow is sent, so its id is the CSMS's and
unique across stations; the station's answer, a transaction that uses it, a cancel, and 2.0.1
ReservationStatusUpdate (Expired, Removed) move it on. A ReserveNow refused with a CALLERROR (or
never sent) ends ``Failed``, one that got no answer ``Unanswered``: neither shows as Expired later,
as an accepted reservation would. A local list is built from the tokens the
CSMS knows; the version a station took is kept so the next one counts on from it.
"""

from __future__ import annotations

import builtins
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from opencsms.domain.events import EventPublisher
from opencsms.domain.model import IdTokenInfo
from opencsms.domain.tokens import TokenService, authorization
from opencsms.store import Store
from opencsms.store import reservations as rows

REQUESTED = "Requested"
#: The station answered ReserveNow with a CALLERROR, or the call could not be sent: not reserved.
FAILED = "Failed"
#: ReserveNow went out but no answer came (timeout, or the station disconnected): whether the
#: station holds the reservation is unknown, so it never passes for an accepted one.
UNANSWERED = "Unanswered"
#: Statuses a reservation ends in.
FINAL = frozenset(
    {
        "Faulted",
        "Occupied",
        "Rejected",
        "Unavailable",
        "Used",
        "Cancelled",
        "Expired",
        "Removed",
        FAILED,
        UNANSWERED,
    }
)


@dataclass(frozen=True, slots=True)
class Reservation:
    id: int
    station_id: str
    evse_id: int | None
    connector_id: int | None
    id_token: str
    expires_at: datetime
    status: str
    transaction_id: int | None
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class LocalListEntry:
    id_token: str
    token_type: str | None
    info: IdTokenInfo | None


class ReservationService:
    def __init__(
        self, store: Store, events: EventPublisher, tokens: TokenService, *, clock: Callable[[], datetime]
    ) -> None:
        self._store = store
        self._events = events
        self._tokens = tokens
        self._clock = clock

    async def create(
        self,
        station_id: str,
        id_token: str,
        expires_in: timedelta,
        *,
        evse_id: int | None = None,
        connector_id: int | None = None,
    ) -> Reservation:
        """Record a reservation about to be sent (status Requested)."""
        now = self._clock()
        expires_at = now + expires_in
        values = {
            "station_id": station_id,
            "evse_id": evse_id,
            "connector_id": connector_id,
            "id_token": id_token,
            "expires_at": expires_at,
            "status": REQUESTED,
            "created_at": now,
            "updated_at": now,
        }
        reservation_id = await self._store.write(lambda c: rows.add(c, values))
        return Reservation(
            reservation_id, station_id, evse_id, connector_id, id_token, expires_at, REQUESTED, None, now, now
        )

    async def get(self, reservation_id: int) -> Reservation | None:
        row = await self._store.read(lambda c: rows.get(c, reservation_id))
        return None if row is None else _reservation(row, self._clock())

    async def list(
        self, station_id: str | None = None, limit: int = 100, offset: int = 0
    ) -> builtins.list[Reservation]:
        """Newest first."""
        found = await self._store.read(lambda c: rows.of_station(c, station_id, limit, offset))
        now = self._clock()
        return [_reservation(r, now) for r in found]

    async def count(self, station_id: str | None = None) -> int:
        return await self._store.read(lambda c: rows.count(c, station_id))

    async def set_status(
        self, station_id: str, reservation_id: int, status: str, *, transaction_id: int | None = None
    ) -> bool:
        """Move the station's reservation on; False when it has no such reservation."""
        now = self._clock()
        changed = await self._store.write(
            lambda c: rows.set_status(
                c, reservation_id, status, now, station_id=station_id, transaction_id=transaction_id
            )
        )
        if changed:
            data: dict[str, Any] = {"reservation_id": reservation_id, "status": status}
            if transaction_id is not None:
                data["transaction_id"] = transaction_id
            self._events.publish("reservation.status", station_id, data)
        return bool(changed)

    # -- local authorization lists ----------------------------------------------------------------

    async def local_list_version(self, station_id: str) -> int | None:
        """The version the station last took or reported; None when never known."""
        return await self._store.read(lambda c: rows.local_list_version(c, station_id))

    async def set_local_list_version(self, station_id: str, version: int) -> None:
        now = self._clock()
        await self._store.write(lambda c: rows.set_local_list_version(c, station_id, version, now))

    async def record_answer(
        self,
        station_id: str,
        action: str,
        status: str | None,
        *,
        reservation_id: int | None = None,
        sent_version: int | None = None,
        reported_version: int | None = None,
    ) -> None:
        """Keep what a station answered to ReserveNow, CancelReservation, SendLocalList or
        GetLocalListVersion (the same actions in 1.6 and 2.0.1; -1 reports no local list)."""
        if action == "ReserveNow" and reservation_id is not None and status is not None:
            await self.set_status(station_id, reservation_id, status)
        elif action == "CancelReservation" and reservation_id is not None and status == "Accepted":
            await self.set_status(station_id, reservation_id, "Cancelled")
        elif action == "SendLocalList" and sent_version is not None and status == "Accepted":
            await self.set_local_list_version(station_id, sent_version)
        elif action == "GetLocalListVersion" and reported_version is not None and reported_version >= 0:
            await self.set_local_list_version(station_id, reported_version)

    async def record_failure(self, station_id: str, reservation_id: int, *, sent: bool) -> None:
        """ReserveNow got no answer: Unanswered when it went out (``sent``), else Failed."""
        await self.set_status(station_id, reservation_id, UNANSWERED if sent else FAILED)

    async def local_list(
        self, station_id: str, update_type: str, id_tokens: Sequence[str], version: int | None
    ) -> tuple[int, builtins.list[LocalListEntry]]:
        """The version and entries of a list to send: ``version`` or the station's last + 1; a
        Full list leaves out tokens the CSMS does not know, a Differential one keeps them (with
        no info: the station removes them)."""
        if version is None:
            version = (await self.local_list_version(station_id) or 0) + 1
        entries = await self.local_list_entries(id_tokens)
        if update_type == "Full":
            entries = [entry for entry in entries if entry.info is not None]
        return version, entries

    async def local_list_entries(self, id_tokens: Sequence[str]) -> builtins.list[LocalListEntry]:
        """Each of ``id_tokens`` with its info now (None: the CSMS does not know it, so a
        differential update removes it); every known token when ``id_tokens`` is empty."""
        now = self._clock()
        if not id_tokens:
            return [
                LocalListEntry(t.id_token, t.token_type, authorization(t, now))
                for t in await self._tokens.list()
            ]
        entries: builtins.list[LocalListEntry] = []
        for id_token in id_tokens:
            token = await self._tokens.get(id_token)
            info = None if token is None else authorization(token, now)
            entries.append(LocalListEntry(id_token, token.token_type if token else None, info))
        return entries


def _reservation(row: Any, now: datetime) -> Reservation:
    # A 1.6 charge point ends an expired reservation without a word: past its expiry date an
    # accepted reservation is over.
    status = "Expired" if row.status in (REQUESTED, "Accepted") and row.expires_at <= now else row.status
    return Reservation(
        row.id,
        row.station_id,
        row.evse_id,
        row.connector_id,
        row.id_token,
        row.expires_at,
        status,
        row.transaction_id,
        row.created_at,
        row.updated_at,
    )
