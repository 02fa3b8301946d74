"""Tables for billing: tariffs and their versions, tariff assignments, running costs, CDRs.

Registered on the shared metadata; built by migration 0014. Money and quantities that reports add
up are integers in fixed units (micro currency units, mWh, ms), so sums are exact in SQL on every
backend; the full priced detail of a CDR is JSON with decimal strings.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Index,
    Integer,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    UniqueConstraint,
    false,
)

from opencsms.store.column_types import BigIntegerId, UtcDateTime
from opencsms.store.schema import STATION_ID_MAX, metadata

TARIFF_ID_MAX = 36

tariffs = Table(
    "tariffs",
    metadata,
    Column("id", String(TARIFF_ID_MAX), primary_key=True),
    Column("current_version", Integer, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    # Deleted tariffs keep their versions: sessions priced with them still name them.
    Column("deleted_at", UtcDateTime),
)

#: Each edit of a tariff is a new version, in force from its ``created_at``; never updated.
tariff_versions = Table(
    "tariff_versions",
    metadata,
    Column("tariff_id", String(TARIFF_ID_MAX), nullable=False),
    Column("version", Integer, nullable=False),
    # The OCPI 2.2.1 Tariff JSON, numbers written exactly as given.
    Column("body", Text, nullable=False),
    # The IANA zone its local times are read in (the location's).
    Column("time_zone", String(64), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    PrimaryKeyConstraint("tariff_id", "version"),
)

#: Which tariff applies where: scope default / site / station / evse / token_group.
tariff_assignments = Table(
    "tariff_assignments",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("scope", String(16), nullable=False),
    # "" for the default; the site id, station id, "station/evse" or token group otherwise.
    Column("target", String(200), nullable=False),
    Column("tariff_id", String(TARIFF_ID_MAX), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    UniqueConstraint("scope", "target"),
)

#: The priced state of each session: the tariff version fixed at its start, the running cost,
#: and the CDR that bills it (none while it runs).
transaction_costs = Table(
    "transaction_costs",
    metadata,
    Column("transaction_id", Integer, primary_key=True, autoincrement=False),
    Column("tariff_id", String(TARIFF_ID_MAX)),
    Column("tariff_version", Integer),
    Column("currency", String(3)),
    Column("total_excl_micro", BigInteger),
    Column("total_incl_micro", BigInteger),
    Column("energy_mwh", BigInteger),
    Column("computed_at", UtcDateTime),
    Column("cdr_id", BigInteger),
    # How the billed end came about (transactions.ended_by when the CDR was made).
    Column("billed_ended_by", String(16)),
)

#: Charge detail records: one per finished session, never changed; a correction is a credit CDR
#: (negative amounts, ``credit_of`` naming the CDR it cancels) and, usually, a new CDR.
cdrs = Table(
    "cdrs",
    metadata,
    Column("id", BigIntegerId, primary_key=True, autoincrement=True),
    Column("transaction_id", Integer, nullable=False),
    Column("credit", Boolean, nullable=False, server_default=false()),
    Column("credit_of", BigInteger),
    Column("station_id", String(STATION_ID_MAX), nullable=False),
    Column("evse_id", Integer),
    Column("connector_id", Integer),
    Column("site_id", String(64)),
    Column("id_token", String),
    Column("token_group", String),
    Column("auth_method", String(32)),
    Column("started_at", UtcDateTime, nullable=False),
    Column("stopped_at", UtcDateTime, nullable=False),
    Column("ended_by", String(16)),
    Column("tariff_id", String(TARIFF_ID_MAX)),
    Column("tariff_version", Integer),
    Column("currency", String(3), nullable=False),
    Column("energy_mwh", BigInteger, nullable=False),
    Column("duration_ms", BigInteger, nullable=False),
    Column("charging_ms", BigInteger, nullable=False),
    Column("parking_ms", BigInteger, nullable=False),
    Column("total_excl_micro", BigInteger, nullable=False),
    Column("total_incl_micro", BigInteger, nullable=False),
    # The priced detail (periods with their dimensions, lines, totals per component) and the
    # signed meter data as the station sent it.
    Column("detail", JSON, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Index(None, "stopped_at"),
    Index(None, "transaction_id"),
    Index(None, "station_id", "stopped_at"),
)

#: 2.0.1/2.1 TransactionEvent chargingState as each event reported it (1.6 stations report the
#: same through StatusNotification, kept in connector_status_history): time and parking time.
#: Written only by events that carry a chargingState, a few per session.
charging_state_changes = Table(
    "charging_state_changes",
    metadata,
    Column("id", BigIntegerId, primary_key=True, autoincrement=True),
    Column("transaction_id", Integer, nullable=False),
    Column("timestamp", UtcDateTime, nullable=False),
    Column("state", String(16), nullable=False),
    Index(None, "transaction_id", "timestamp"),
)
