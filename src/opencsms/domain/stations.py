"""Stations: admission, boot, heartbeat, connection state and connector status."""

from __future__ import annotations

import asyncio
import builtins
import dataclasses
import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy.engine import Connection, Row

from opencsms.domain import inferred_ends
from opencsms.domain.events import EventPublisher
from opencsms.domain.model import (
    BootDecision,
    BootInfo,
    ConnectorState,
    RegistrationPolicy,
    RegistrationStatus,
    Station,
)
from opencsms.store import Store, StoreClosedError
from opencsms.store import connectors as connector_rows
from opencsms.store import stations as station_rows

log = logging.getLogger(__name__)

POLICY_STATUS = {
    RegistrationPolicy.ACCEPT: RegistrationStatus.ACCEPTED,
    RegistrationPolicy.PENDING: RegistrationStatus.PENDING,
    RegistrationPolicy.REJECT: RegistrationStatus.REJECTED,
}

# OCPP 1.6 has no EVSE level; its connectors are stored under EVSE 0.
EVSE_OF_V16 = 0
AVAILABLE = "Available"


class StationService:
    """Everything about a station except its transactions."""

    def __init__(
        self,
        store: Store,
        events: EventPublisher,
        *,
        registration_policy: RegistrationPolicy,
        heartbeat_interval: int,
        retry_interval: int,
        clock: Callable[[], datetime],
    ) -> None:
        self._store = store
        self._events = events
        self._policy = registration_policy
        self._heartbeat_interval = heartbeat_interval
        self._retry_interval = min(retry_interval, heartbeat_interval)
        self._clock = clock
        # last_seen moves with every message a station sends, in memory (see seen); what is not
        # written yet is coalesced and written behind (a heartbeat, flush_seen now and then, and
        # a disconnect write it; never one write per message).
        self._seen: dict[str, datetime] = {}
        self._seen_flush: asyncio.Future[None] | None = None
        #: The latest message time of each station connected here, newer than the store's at
        #: times: get and list show it.
        self._recent: dict[str, datetime] = {}
        #: This node's id in a cluster (recorded with each connection it holds); None alone.
        self.node_id: str | None = None

    @property
    def new_station_status(self) -> RegistrationStatus:
        """The registration a station gets when the CSMS first hears of it (from the policy)."""
        return POLICY_STATUS[self._policy]

    async def admit(self, station_id: str) -> bool:
        """Whether a station may connect: not if registered Rejected, nor if unknown under REJECT.

        Raises:
            sqlalchemy.exc.SQLAlchemyError: the store failed.
        """
        status = await self._store.read(
            lambda connection: station_rows.registration_status(connection, station_id)
        )
        if status is None:
            return self._policy is not RegistrationPolicy.REJECT
        return status != RegistrationStatus.REJECTED

    async def admission(self, station_id: str) -> str | None:
        """None when the station may connect, else why not: registered Rejected, unknown under
        REJECT, or unknown with an id that differs only by letter case from a known station's
        (two stations an operator could not tell apart; the policy in docs/security.md).

        Raises:
            sqlalchemy.exc.SQLAlchemyError: the store failed.
        """
        status = await self._store.read(
            lambda connection: station_rows.registration_status(connection, station_id)
        )
        if status is not None:
            return "registered as Rejected" if status == RegistrationStatus.REJECTED else None
        if self._policy is RegistrationPolicy.REJECT:
            return "registration policy"
        twin = await self._store.read(lambda connection: station_rows.case_twin(connection, station_id))
        if twin is not None:
            return f"differs only by letter case from the known station {twin}"
        return None

    async def boot(self, station_id: str, info: BootInfo, now: datetime) -> BootDecision:
        """Store what the station says about itself and decide its registration.

        A station seen for the first time gets the policy's status; a known one keeps its own.
        Accepted stations are told the heartbeat interval, others the (shorter) retry interval.

        Raises:
            sqlalchemy.exc.SQLAlchemyError: the store failed.
        """
        boot = {
            "vendor": info.vendor,
            "model": info.model,
            "serial_number": info.serial_number,
            "firmware_version": info.firmware_version,
            "iccid": info.iccid,
            "imsi": info.imsi,
            "meter_type": info.meter_type,
            "meter_serial": info.meter_serial,
            "boot_reason": info.reason,
        }
        new_status = self.new_station_status.value
        stored = await self._store.write(
            lambda connection: station_rows.record_boot(
                connection, station_id, boot, registration_status=new_status, now=now
            )
        )
        status = RegistrationStatus(stored)
        accepted = status is RegistrationStatus.ACCEPTED
        interval = self._heartbeat_interval if accepted else self._retry_interval
        self._events.publish(
            "station.booted",
            station_id,
            {
                "registration_status": status.value,
                "vendor": info.vendor,
                "model": info.model,
                "firmware_version": info.firmware_version,
                "reason": info.reason,
            },
        )
        return BootDecision(status, interval, now)

    async def heartbeat(self, station_id: str, now: datetime) -> datetime:
        """Note the station is alive; return the time to tell it.

        ``last_seen`` is written behind and coalesced (one flush in flight at a time carries
        every heartbeat since the previous one), so a crash may lose it; it is not billing data.
        """
        self.seen(station_id, now)
        if self._seen_flush is None:
            self._flush_seen()
        return now

    def seen(self, station_id: str, now: datetime | None = None) -> None:
        """Note a message from the station (any: both OCPP versions let traffic stand in for
        heartbeats). In memory only: :meth:`flush_seen` (run every few seconds), the next
        heartbeat or the disconnect writes it; :meth:`get` and :meth:`list` show it meanwhile."""
        at = now if now is not None else self._clock()
        self._seen[station_id] = at
        self._recent[station_id] = at

    def flush_seen(self) -> None:
        """Write the message times noted since the last write (behind, coalesced)."""
        if self._seen and self._seen_flush is None:
            self._flush_seen()

    async def flush_seen_periodically(self, interval: float) -> None:
        """Run :meth:`flush_seen` every ``interval`` seconds until cancelled (0: never; then
        heartbeats and disconnects write last_seen)."""
        while interval > 0:
            await asyncio.sleep(interval)
            self.flush_seen()

    def forget_seen(self, station_id: str) -> None:
        """The station's connection moved to another node, which notes its messages from now on."""
        self._recent.pop(station_id, None)

    def _fresh(self, station: Station) -> Station:
        seen = self._recent.get(station.id)
        if seen is not None and (station.last_seen is None or seen > station.last_seen):
            return dataclasses.replace(station, last_seen=seen)
        return station

    def _flush_seen(self) -> None:
        # Runs on the event loop only: the job gets its own copy, since write jobs may run on
        # the store's writer thread.
        seen, self._seen = self._seen, {}
        try:
            self._seen_flush = self._store.write_behind(
                lambda connection: station_rows.touch(connection, seen)
            )
        except StoreClosedError:
            log.debug("store closed; last_seen of %d stations not written", len(seen))
            return
        self._seen_flush.add_done_callback(self._seen_flushed)

    def _seen_flushed(self, flush: asyncio.Future[None]) -> None:
        self._seen_flush = None
        if not flush.cancelled() and (error := flush.exception()) is not None:
            log.warning("writing last_seen failed: %r", error)
        if self._seen:
            self._flush_seen()

    async def flush(self) -> None:
        """Write the message times noted so far and wait until they are written (tests, orderly
        shutdown).

        Raises:
            sqlalchemy.exc.SQLAlchemyError: the write failed.
        """
        self.flush_seen()
        while self._seen_flush is not None:
            # The done callback runs before this wakes up, so a follow-up flush is visible.
            await asyncio.shield(self._seen_flush)

    async def status(
        self,
        station_id: str,
        connector_id: int,
        status: str,
        now: datetime,
        *,
        evse_id: int | None = None,
        error_code: str | None = None,
        info: str | None = None,
        vendor_error_code: str | None = None,
        timestamp: datetime | None = None,
    ) -> None:
        """Record a connector status (``timestamp``: the station's, else ``now``).

        ``evse_id`` None (OCPP 1.6) stores the connector under EVSE 0. A 1.6 Available ends, as
        inferred, a transaction still open on the connector that started before the status.

        Raises:
            sqlalchemy.exc.SQLAlchemyError: the store failed.
        """
        evse = EVSE_OF_V16 if evse_id is None else evse_id
        at = timestamp or now
        new_status = self.new_station_status.value

        def job(connection: Connection) -> list[inferred_ends.InferredEnd]:
            station_rows.ensure(connection, station_id, registration_status=new_status, now=now)
            connector_rows.record_status(
                connection,
                station_id,
                evse,
                connector_id,
                status=status,
                error_code=error_code,
                info=info,
                vendor_error_code=vendor_error_code,
                timestamp=at,
                now=now,
            )
            if status != AVAILABLE or evse_id is not None:  # see inferred_ends.on_available
                return []
            return inferred_ends.on_available(
                connection, station_id, connector_id=connector_id, at=at, now=now
            )

        inferred = await self._store.write(job)
        inferred_ends.publish(self._events, inferred)
        if not self._events.wanted:
            return
        self._events.publish(
            "connector.status",
            station_id,
            {
                "evse_id": evse,
                "connector_id": connector_id,
                "status": status,
                "error_code": error_code,
                "info": info,
                "timestamp": at.isoformat(),
            },
        )

    def job_status(self, station_id: str, job: str, status: str, request_id: int | None) -> None:
        """Pass on what a station says of a firmware update or log upload (``job``: ``firmware``,
        ``log``, 1.6 ``diagnostics``) as a ``station.<job>_status`` event; ``Idle`` means none runs.

        Nothing is stored: the CSMS keeps no record of such jobs, the event stream carries them."""
        self._events.publish(
            f"station.{job}_status", station_id, {"status": status, "request_id": request_id}
        )

    def customer_information(
        self, station_id: str, request_id: int, seq_no: int, tbc: bool, data: str
    ) -> None:
        """Pass on one part of what a station reports about a customer (2.0.1 N09) as a
        ``station.customer_information`` event. Not stored: it is personal data the operator asked
        to see, and the station remains where it lives (or is cleared)."""
        self._events.publish(
            "station.customer_information",
            station_id,
            {"request_id": request_id, "seq_no": seq_no, "tbc": tbc, "data": data},
        )

    async def connected(self, station_id: str, ocpp_version: str, now: datetime) -> None:
        """Record that the station connected with ``ocpp_version`` (to this node).

        Raises:
            sqlalchemy.exc.SQLAlchemyError: the store failed.
        """
        new_status = self.new_station_status.value
        node = self.node_id
        await self._store.write(
            lambda connection: station_rows.set_connected(
                connection,
                station_id,
                ocpp_version=ocpp_version,
                registration_status=new_status,
                now=now,
                node=node,
            )
        )
        self._events.publish("station.connected", station_id, {"ocpp_version": ocpp_version})

    async def disconnected(self, station_id: str, now: datetime) -> None:
        """Record that the station's connection (to this node) closed; nothing when the station
        has meanwhile connected to another node of the cluster.

        Raises:
            sqlalchemy.exc.SQLAlchemyError: the store failed.
        """
        node = self.node_id
        # The disconnect's own write carries the time; a flush still in flight cannot move it back
        # (touch only moves last_seen forward).
        self._seen.pop(station_id, None)
        self._recent.pop(station_id, None)
        recorded = await self._store.write(
            lambda connection: station_rows.set_disconnected(connection, station_id, now=now, node=node)
        )
        if recorded:
            self._events.publish("station.disconnected", station_id, {})

    async def forget_connections(self) -> int:
        """Mark every station disconnected, for a server starting alone: no connection can have
        survived its previous run (after a crash nothing recorded the disconnects). Returns how
        many stations were marked connected.

        Raises:
            sqlalchemy.exc.SQLAlchemyError: the store failed.
        """
        return await self._store.write(station_rows.forget_connections)

    async def nodes_holding_connections(self) -> list[str]:
        """The other nodes the stations table names as holding connections.

        Raises:
            sqlalchemy.exc.SQLAlchemyError: the store failed.
        """
        me = self.node_id or ""
        return await self._store.read(lambda connection: station_rows.nodes_holding(connection, me))

    async def forget_node(self, node: str) -> list[str]:
        """Mark disconnected the stations a gone node held (its crash recorded nothing); returns
        their ids, each also announced as ``station.disconnected``.

        Raises:
            sqlalchemy.exc.SQLAlchemyError: the store failed.
        """
        ids = await self._store.write(lambda connection: station_rows.forget_node(connection, node))
        for station_id in ids:
            self._events.publish("station.disconnected", station_id, {"node_gone": node})
        return ids

    async def register(self, station_id: str, status: RegistrationStatus) -> None:
        """Set the station's registration (an operator's decision), creating it if unknown.

        Raises:
            sqlalchemy.exc.SQLAlchemyError: the store failed.
        """
        now = self._clock()
        await self._store.write(
            lambda connection: station_rows.set_registration(connection, station_id, status.value, now)
        )
        self._events.publish("station.registered", station_id, {"registration_status": status.value})

    async def get(self, station_id: str) -> Station | None:
        """The station, or None when it is unknown.

        Raises:
            sqlalchemy.exc.SQLAlchemyError: the store failed.
        """
        row = await self._store.read(lambda connection: station_rows.get(connection, station_id))
        return self._fresh(_station(row)) if row is not None else None

    async def list(self) -> builtins.list[Station]:
        """Every station, by id.

        Raises:
            sqlalchemy.exc.SQLAlchemyError: the store failed.
        """
        rows = await self._store.read(station_rows.list_all)
        return [self._fresh(_station(row)) for row in rows]

    async def connectors(self, station_id: str) -> builtins.list[ConnectorState]:
        """The station's connectors with their last status, by EVSE and connector.

        Raises:
            sqlalchemy.exc.SQLAlchemyError: the store failed.
        """
        rows = await self._store.read(
            lambda connection: connector_rows.list_for_station(connection, station_id)
        )
        return [_connector(row, row.updated_at) for row in rows]

    async def status_history(
        self,
        station_id: str,
        connector_id: int,
        limit: int = 100,
        *,
        evse_id: int | None = None,
        offset: int = 0,
    ) -> builtins.list[ConnectorState]:
        """The connector's last ``limit`` statuses, newest first; ``updated_at`` is each
        status's timestamp. Without ``evse_id``, the connector id on every EVSE.

        Raises:
            sqlalchemy.exc.SQLAlchemyError: the store failed.
        """
        rows = await self._store.read(
            lambda connection: connector_rows.history(
                connection, station_id, connector_id, evse_id=evse_id, limit=limit, offset=offset
            )
        )
        return [_connector(row, row.timestamp) for row in rows]

    async def count_status_history(
        self, station_id: str, connector_id: int, *, evse_id: int | None = None
    ) -> int:
        """How many statuses :meth:`status_history` has for the connector."""
        return await self._store.read(
            lambda connection: connector_rows.count_history(
                connection, station_id, connector_id, evse_id=evse_id
            )
        )


def _station(row: Row[Any]) -> Station:
    return Station(
        id=row.id,
        registration_status=RegistrationStatus(row.registration_status),
        vendor=row.vendor,
        model=row.model,
        serial_number=row.serial_number,
        firmware_version=row.firmware_version,
        ocpp_version=row.ocpp_version,
        connected=row.connected,
        last_seen=row.last_seen,
        last_boot=row.last_boot,
        node=row.connected_node if row.connected else None,
    )


def _connector(row: Row[Any], updated_at: datetime) -> ConnectorState:
    return ConnectorState(
        station_id=row.station_id,
        evse_id=row.evse_id,
        connector_id=row.connector_id,
        status=row.status,
        error_code=row.error_code,
        info=row.info,
        updated_at=updated_at,
        vendor_error_code=row.vendor_error_code,
    )
