"""The tables, as SQLAlchemy Core metadata.

This is the shape the code expects; ``migrations/versions`` is how a database gets there, and
a test checks that the two agree. Strings a station sends have no length limit here: the
message layer validates lengths, and a storage error must never be why billing data is lost.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    UniqueConstraint,
    false,
)

from opencsms.store.column_types import BigIntegerId, UtcDateTime

STATION_ID_MAX = 48

# Deterministic constraint names, so later migrations can name what they alter on both backends.
metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

stations = Table(
    "stations",
    metadata,
    Column("id", String(STATION_ID_MAX), primary_key=True),
    Column("registration_status", String(16), nullable=False),
    Column("vendor", String),
    Column("model", String),
    Column("serial_number", String),
    Column("firmware_version", String),
    Column("iccid", String),
    Column("imsi", String),
    Column("meter_type", String),
    Column("meter_serial", String),
    Column("boot_reason", String),
    Column("ocpp_version", String(8)),
    Column("connected", Boolean, nullable=False, server_default=false()),
    # In a cluster, the node holding the station's connection (its node id); else NULL.
    Column("connected_node", String(200)),
    Column("last_seen", UtcDateTime),
    Column("last_boot", UtcDateTime),
    Column("created_at", UtcDateTime, nullable=False),
)

connectors = Table(
    "connectors",
    metadata,
    Column("station_id", ForeignKey("stations.id", ondelete="CASCADE"), primary_key=True),
    # OCPP 1.6 has no EVSE level; its connectors live under EVSE 0.
    Column("evse_id", Integer, primary_key=True),
    Column("connector_id", Integer, primary_key=True),
    Column("status", String, nullable=False),
    Column("error_code", String),
    Column("info", String),
    Column("vendor_error_code", String),
    Column("updated_at", UtcDateTime, nullable=False),
)

connector_status_history = Table(
    "connector_status_history",
    metadata,
    Column("id", BigIntegerId, primary_key=True, autoincrement=True),
    Column("station_id", String(STATION_ID_MAX), nullable=False),
    Column("evse_id", Integer, nullable=False),
    Column("connector_id", Integer, nullable=False),
    Column("status", String, nullable=False),
    Column("error_code", String),
    Column("info", String),
    Column("vendor_error_code", String),
    Column("timestamp", UtcDateTime, nullable=False),
    Column("received_at", UtcDateTime, nullable=False),
    Index(None, "station_id", "connector_id", "id"),
)

id_tokens = Table(
    "id_tokens",
    metadata,
    Column("id_token", String, primary_key=True),
    Column("token_type", String),
    Column("status", String(16), nullable=False),
    Column("expiry_date", UtcDateTime),
    # OCPP 1.6 parentIdTag, OCPP 2.0.1 groupIdToken.
    Column("parent_id_token", String),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
)

transactions = Table(
    "transactions",
    metadata,
    # This id is the OCPP 1.6 transactionId, so it must never be handed out twice.
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("station_id", ForeignKey("stations.id"), nullable=False),
    # OCPP 2.0.1 transactionId (chosen by the station); str(id) for OCPP 1.6.
    Column("transaction_ref", String, nullable=False),
    Column("evse_id", Integer),
    Column("connector_id", Integer),
    Column("id_token", String),
    Column("token_type", String),
    # Fingerprint of an OCPP 1.6 StartTransaction, so a retried one gets the same id.
    Column("start_key", String(64), unique=True),
    Column("started_at", UtcDateTime, nullable=False),
    Column("stopped_at", UtcDateTime),
    Column("meter_start_wh", Float),
    Column("meter_stop_wh", Float),
    Column("stop_reason", String),
    Column("stop_id_token", String),
    Column("status", String(8), nullable=False),
    Column("reservation_id", Integer),
    Column("remote_start_id", Integer),
    Column("charging_state", String),
    Column("last_seq_no", Integer),
    Column("offline", Boolean, nullable=False, server_default=false()),
    # OCPP 2.0.1 (migration 0006): seqNos missing below last_seq_no ("2,5-7"), the Started
    # event's triggerReason and the latest event's.
    Column("seq_gaps", String),
    Column("start_trigger_reason", String),
    Column("trigger_reason", String),
    # Who ended it (migration 0013): "station" (its stop), "inferred" (the CSMS, from a new start
    # on the connector, a boot or an Available status; see ADR 0017); NULL while active. The
    # cause of an inferred end: "new_start", "boot" or "available".
    Column("ended_by", String(16)),
    Column("inferred_cause", String(16)),
    Column("updated_at", UtcDateTime, nullable=False),
    UniqueConstraint("station_id", "transaction_ref"),
    Index(None, "station_id", "status"),
    Index(None, "id_token"),
    sqlite_autoincrement=True,
)

# The remote starts the CSMS sent (1.6 RemoteStartTransaction, 2.x RequestStartTransaction),
# recorded before they go out, so the transaction each makes is tied to it: its token when a
# 2.x station leaves it out, and the TxProfile the request carried (migration 0017).
remote_starts = Table(
    "remote_starts",
    metadata,
    Column("id", BigIntegerId, primary_key=True, autoincrement=True),
    Column("station_id", String(STATION_ID_MAX), nullable=False),
    # 2.x remoteStartId (chosen by the CSMS); None for 1.6, which has none.
    Column("remote_start_id", Integer),
    # The EVSE (2.x) or connector (1.6) asked for; None: the station chooses.
    Column("evse_id", Integer),
    Column("id_token", String, nullable=False),
    Column("token_type", String),
    # The TxProfile sent with the request (version-neutral JSON form), if any.
    Column("charging_profile", JSON),
    # Requested, then the station's answer: Accepted or Rejected.
    Column("status", String(16), nullable=False),
    # The transaction the remote start made, once known.
    Column("transaction_id", ForeignKey("transactions.id")),
    Column("requested_at", UtcDateTime, nullable=False),
    Index(None, "station_id", "remote_start_id"),
)

# One row per sample: the values a station sampled at one moment (a 1.6 MeterValue, a 2.0.1
# meterValue), kept verbatim as a JSON array (see ``domain.meter_readings``). A station sends
# several measurands per sample (energy, power, current and voltage per phase), so a row per
# sampled value multiplied the rows, the index entries and the work of every insert.
meter_samples = Table(
    "meter_samples",
    metadata,
    Column("id", BigIntegerId, primary_key=True, autoincrement=True),
    Column("transaction_id", ForeignKey("transactions.id")),
    # The transaction as the station named it, kept even when no such transaction is known.
    Column("transaction_ref", String),
    Column("station_id", String(STATION_ID_MAX), nullable=False),
    Column("evse_id", Integer),
    Column("connector_id", Integer),
    Column("timestamp", UtcDateTime, nullable=False),
    # JSON text: the sampled values, each an object of SampledValue's non-null fields.
    Column("sampled_values", String, nullable=False),
    Index(None, "transaction_id", "timestamp"),
)
# Samples of a known transaction are found through the transaction. Only the few that name no
# known transaction are indexed by station, so a busy fleet's inserts touch one index page per
# running transaction, not also one per station in two indexes (each commit wrote all of those
# pages again).
_UNLINKED = meter_samples.c.transaction_id.is_(None)
for _name, _column in (("ref", meter_samples.c.transaction_ref), ("timestamp", meter_samples.c.timestamp)):
    Index(
        f"ix_meter_samples_unlinked_{_name}",
        meter_samples.c.station_id,
        _column,
        sqlite_where=_UNLINKED,
        postgresql_where=_UNLINKED,
    )

orphan_stops = Table(
    "orphan_stops",
    metadata,
    Column("id", BigIntegerId, primary_key=True, autoincrement=True),
    Column("station_id", String(STATION_ID_MAX), nullable=False),
    Column("transaction_ref", String, nullable=False),
    # Fingerprint of the stop message, so a retried one is recorded once.
    Column("stop_key", String(64), nullable=False, unique=True),
    Column("stopped_at", UtcDateTime, nullable=False),
    Column("meter_stop_wh", Float),
    Column("reason", String),
    Column("id_token", String),
    Column("payload", JSON, nullable=False),
    Column("received_at", UtcDateTime, nullable=False),
    # Set when the transaction turns up later (an OCPP 2.0.1 event that overtook its start).
    Column("resolved_transaction_id", ForeignKey("transactions.id")),
    Index(None, "station_id", "transaction_ref"),
)

# Feature tables live in modules of their own and register on the same metadata.
from opencsms.store import (  # noqa: E402, F401
    schema_accounts,
    schema_billing,
    schema_device_model,
    schema_operator_api,
    schema_reservations,
    schema_security,
    schema_smart_charging,
)
