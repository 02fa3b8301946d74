"""Response models shared by the routers (what the OpenAPI document promises)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from opencsms.domain.model import ConnectorState, Station, Transaction


class StationOut(BaseModel):
    id: str
    registration_status: str
    vendor: str | None
    model: str | None
    serial_number: str | None
    firmware_version: str | None
    ocpp_version: str | None
    connected: bool
    last_seen: datetime | None
    last_boot: datetime | None
    node: str | None = Field(None, description="in a cluster, the node holding the station's connection")

    @classmethod
    def of(cls, station: Station, online: bool) -> StationOut:
        return cls(
            id=station.id,
            registration_status=str(station.registration_status),
            vendor=station.vendor,
            model=station.model,
            serial_number=station.serial_number,
            firmware_version=station.firmware_version,
            ocpp_version=station.ocpp_version,
            connected=online,
            last_seen=station.last_seen,
            last_boot=station.last_boot,
            node=station.node if online else None,
        )


class ConnectorOut(BaseModel):
    evse_id: int
    connector_id: int
    status: str
    error_code: str | None
    info: str | None
    vendor_error_code: str | None
    updated_at: datetime

    @classmethod
    def of(cls, connector: ConnectorState) -> ConnectorOut:
        return cls(
            evse_id=connector.evse_id,
            connector_id=connector.connector_id,
            status=connector.status,
            error_code=connector.error_code,
            info=connector.info,
            vendor_error_code=connector.vendor_error_code,
            updated_at=connector.updated_at,
        )


class TransactionOut(BaseModel):
    id: int
    station_id: str
    transaction_ref: str
    evse_id: int | None
    connector_id: int | None
    id_token: str | None
    started_at: datetime
    stopped_at: datetime | None
    meter_start_wh: float | None
    meter_stop_wh: float | None
    energy_wh: float | None
    stop_reason: str | None
    status: str
    #: "station" (its stop ended it) or "inferred" (opencsms ended it: the station would never send
    #: the stop; to be reviewed); null while active.
    ended_by: str | None = None
    #: Why an inferred end was inferred: "new_start", "boot" or "available".
    inferred_cause: str | None = None

    @classmethod
    def of(cls, tx: Transaction) -> TransactionOut:
        energy = (
            tx.meter_stop_wh - tx.meter_start_wh
            if tx.meter_stop_wh is not None and tx.meter_start_wh is not None
            else None
        )
        return cls(
            id=tx.id,
            station_id=tx.station_id,
            transaction_ref=tx.transaction_ref,
            evse_id=tx.evse_id,
            connector_id=tx.connector_id,
            id_token=tx.id_token,
            started_at=tx.started_at,
            stopped_at=tx.stopped_at,
            meter_start_wh=tx.meter_start_wh,
            meter_stop_wh=tx.meter_stop_wh,
            energy_wh=energy,
            stop_reason=tx.stop_reason,
            status=str(tx.status),
            ended_by=tx.ended_by,
            inferred_cause=tx.inferred_cause,
        )


class CommandResultOut(BaseModel):
    action: str
    status: str | None
    response: dict[str, Any]
    #: The payload sent (shows ids opencsms chose, such as a report's requestId).
    request: dict[str, Any] = {}
