"""Tables for reservations (1.6 Reservation profile, 2.0.1 block H) and the local authorization
list version each station holds (1.6 Local Auth List Management, 2.0.1 block D).

Registered on the shared metadata; built by migration 0008.
"""

from __future__ import annotations

from sqlalchemy import Column, Index, Integer, String, Table

from opencsms.store.column_types import UtcDateTime
from opencsms.store.schema import STATION_ID_MAX, metadata

reservations = Table(
    "reservations",
    metadata,
    # Chosen by the CSMS (the station echoes it), unique across stations.
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("station_id", String(STATION_ID_MAX), nullable=False),
    # 1.6: the connector (0: any); 2.0.1: the EVSE (None: any).
    Column("evse_id", Integer),
    Column("connector_id", Integer),
    Column("id_token", String, nullable=False),
    Column("expires_at", UtcDateTime, nullable=False),
    # Requested, then the station's answer (Accepted, Faulted, Occupied, Rejected, Unavailable),
    # then Used, Cancelled, Expired or Removed.
    Column("status", String(16), nullable=False),
    Column("transaction_id", Integer),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    Index(None, "station_id", "id"),
)

local_list_versions = Table(
    "local_list_versions",
    metadata,
    Column("station_id", String(STATION_ID_MAX), primary_key=True),
    # The version the station last reported or accepted (0: an empty list).
    Column("version", Integer, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
)
