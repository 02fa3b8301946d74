"""Remote starts (1.6 RemoteStartTransaction, 2.x RequestStartTransaction) and the transactions
they make.

A remote start is recorded (``Requested``) before it is sent, then takes the station's answer
(``Failed`` when there was none because it was answered with a CALLERROR or never sent; sent
without an answer, it stays ``Requested``: the station may have acted on it).
The transaction it makes is tied to it when that transaction's first message arrives: a 2.x
TransactionEvent by its ``remoteStartId`` (F01/F02: the events of a transaction a remote start
made carry the request's id), a 1.6
StartTransaction, which carries no such id, by its idTag and connector within
:data:`REMOTE_START_WINDOW` of the request. Tying it

* gives the transaction the token the CSMS sent when a 2.x station leaves the idToken out;
* installs the TxProfile the request carried (1.6 section 5.11, 2.0.1 F01.FR.08): the station
  holds it for that transaction, so the CSMS stores it with the transaction's id, as any
  TxProfile set for a running transaction, and its own composite schedule counts it.

The functions below the service run inside the transaction store jobs (one write each).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.engine import Connection, Row

from opencsms.domain.charging_profiles import (
    SOURCE_CSMS,
    ChargingProfile,
    installed_row,
    parse_profile,
    profile_to_json,
)
from opencsms.store import Store
from opencsms.store import charging_profiles as profile_rows
from opencsms.store import remote_starts as rows
from opencsms.store import transactions as transaction_rows

#: How long after a 1.6 remote start a StartTransaction with its idTag is taken for its result
#: (the driver has ConnectionTimeOut to plug in; a start queued offline may come later still).
REMOTE_START_WINDOW = timedelta(minutes=15)
ACCEPTED = "Accepted"


class RemoteStartService:
    """Records the remote starts sent and the stations' answers."""

    def __init__(self, store: Store, *, clock: Callable[[], datetime]) -> None:
        self._store = store
        self._clock = clock

    async def requested(
        self,
        station_id: str,
        id_token: str,
        *,
        token_type: str | None = None,
        evse_id: int | None = None,
        remote_start_id: int | None = None,
        charging_profile: ChargingProfile | None = None,
    ) -> None:
        """Record a remote start about to be sent (before it goes: its transaction may start
        before the answer is read). Raises sqlalchemy.exc.SQLAlchemyError."""
        values = {
            "station_id": station_id,
            "remote_start_id": remote_start_id,
            "evse_id": evse_id,
            "id_token": id_token,
            "token_type": token_type,
            "charging_profile": profile_to_json(charging_profile) if charging_profile else None,
            "status": rows.REQUESTED,
            "requested_at": self._clock(),
        }
        await self._store.write(lambda connection: rows.insert(connection, values))

    async def answered(
        self,
        station_id: str,
        status: str,
        *,
        id_token: str,
        evse_id: int | None = None,
        remote_start_id: int | None = None,
        transaction_ref: str | None = None,
    ) -> None:
        """The station answered the remote start (``transaction_ref``: a 2.x station names the
        transaction it had started already, as in F02 when the cable was plugged in first).

        Raises:
            sqlalchemy.exc.SQLAlchemyError: the store failed.
        """
        now = self._clock()

        def job(connection: Connection) -> None:
            if remote_start_id is not None:
                row = rows.by_remote_start_id(connection, station_id, remote_start_id)
            else:
                since = now - REMOTE_START_WINDOW
                row = rows.latest_open(
                    connection,
                    station_id,
                    id_token=id_token,
                    evse_id=evse_id,
                    since=since,
                    status=rows.REQUESTED,
                )
            if row is None:
                return
            rows.set_status(connection, row.id, status)
            if status == ACCEPTED and transaction_ref is not None and row.transaction_id is None:
                tx = transaction_rows.find_key(connection, station_id, transaction_ref=transaction_ref)
                if tx is not None:
                    transaction_rows.fill_token(connection, tx.id, row.id_token, row.token_type)
                    tie(connection, row, tx.id, transaction_ref, tx.evse_id, now)

        await self._store.write(job)


# -- inside the transaction store jobs ---------------------------------------------------------


def of_remote_start_id(connection: Connection, station_id: str, remote_start_id: int) -> Row[Any] | None:
    """The 2.x remote start with this id that has made no transaction yet and was neither
    refused nor failed."""
    row = rows.by_remote_start_id(connection, station_id, remote_start_id)
    if row is None or row.transaction_id is not None or row.status in rows.REFUSED:
        return None
    return row


def tie_16_start(
    connection: Connection,
    station_id: str,
    id_token: str,
    connector_id: int,
    transaction_id: int,
    now: datetime,
) -> None:
    """A 1.6 transaction started: tie it to the remote start it answers, if any."""
    if not id_token:
        return
    row = rows.latest_open(
        connection, station_id, id_token=id_token, evse_id=connector_id, since=now - REMOTE_START_WINDOW
    )
    if row is not None:
        tie(connection, row, transaction_id, str(transaction_id), connector_id, now)


def tie(
    connection: Connection,
    remote_start: Row[Any],
    transaction_id: int,
    transaction_ref: str,
    evse_id: int | None,
    now: datetime,
) -> None:
    """The remote start made this transaction, on ``evse_id`` (2.x EVSE, 1.6 connector): keep
    that, and the TxProfile it carried as the station holds it, for this transaction."""
    rows.bind(connection, remote_start.id, transaction_id)
    where = evse_id if evse_id is not None else remote_start.evse_id
    if remote_start.charging_profile is None or not where:
        return
    profile = parse_profile(remote_start.charging_profile, where)
    profile = replace(profile, transaction_id=transaction_ref)
    profile_rows.put_profile(connection, installed_row(remote_start.station_id, profile, SOURCE_CSMS, now))
