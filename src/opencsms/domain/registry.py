"""Operator changes to the registry that the station-facing services do not need: removing
stations and id tokens."""

from __future__ import annotations

from sqlalchemy import delete, func, select
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from opencsms.store import Store
from opencsms.store.schema import connector_status_history, connectors, id_tokens, stations, transactions


class StationInUse(Exception):
    """The station cannot be removed: it is connected or has transactions (billing data)."""


async def delete_station(store: Store, station_id: str) -> bool:
    """Remove a station with its connectors and status history; False when it is unknown.

    Raises:
        StationInUse: the station is connected, has transactions, or other data refers to it.
    """

    def job(connection: Connection) -> bool:
        row = connection.execute(select(stations.c.connected).where(stations.c.id == station_id)).first()
        if row is None:
            return False
        if row.connected:
            raise StationInUse(f"station {station_id} is connected")
        count = connection.execute(
            select(func.count()).select_from(transactions).where(transactions.c.station_id == station_id)
        ).scalar_one()
        if count:
            raise StationInUse(f"station {station_id} has {count} transactions; they are kept for billing")
        connection.execute(
            delete(connector_status_history).where(connector_status_history.c.station_id == station_id)
        )
        connection.execute(delete(connectors).where(connectors.c.station_id == station_id))
        connection.execute(delete(stations).where(stations.c.id == station_id))
        return True

    try:
        return await store.write(job)
    except IntegrityError as exc:
        raise StationInUse(f"other data refers to station {station_id}") from exc


async def delete_token(store: Store, id_token: str) -> bool:
    """Forget an id token (its transactions keep its value); False when it is unknown."""

    def job(connection: Connection) -> bool:
        return bool(connection.execute(delete(id_tokens).where(id_tokens.c.id_token == id_token)).rowcount)

    return await store.write(job)
