"""Initial schema: stations, connectors, tokens, transactions, meter values, orphan stops.

Revision ID: 0001
Revises:
Create Date: 2025-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

# Frozen copies of the column types this revision was written with (not imported from the
# app, whose types may change in later revisions).
_TIMESTAMP = sa.DateTime(timezone=True)
_BIGINT_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "stations",
        sa.Column("id", sa.String(48), nullable=False),
        sa.Column("registration_status", sa.String(16), nullable=False),
        sa.Column("vendor", sa.String()),
        sa.Column("model", sa.String()),
        sa.Column("serial_number", sa.String()),
        sa.Column("firmware_version", sa.String()),
        sa.Column("iccid", sa.String()),
        sa.Column("imsi", sa.String()),
        sa.Column("meter_type", sa.String()),
        sa.Column("meter_serial", sa.String()),
        sa.Column("boot_reason", sa.String()),
        sa.Column("ocpp_version", sa.String(8)),
        sa.Column("connected", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("last_seen", _TIMESTAMP),
        sa.Column("last_boot", _TIMESTAMP),
        sa.Column("created_at", _TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_stations"),
    )
    op.create_table(
        "connectors",
        sa.Column("station_id", sa.String(48), nullable=False),
        sa.Column("evse_id", sa.Integer(), nullable=False),
        sa.Column("connector_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("error_code", sa.String()),
        sa.Column("info", sa.String()),
        sa.Column("vendor_error_code", sa.String()),
        sa.Column("updated_at", _TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("station_id", "evse_id", "connector_id", name="pk_connectors"),
        sa.ForeignKeyConstraint(
            ["station_id"], ["stations.id"], name="fk_connectors_station_id_stations", ondelete="CASCADE"
        ),
    )
    op.create_table(
        "connector_status_history",
        sa.Column("id", _BIGINT_ID, autoincrement=True, nullable=False),
        sa.Column("station_id", sa.String(48), nullable=False),
        sa.Column("evse_id", sa.Integer(), nullable=False),
        sa.Column("connector_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("error_code", sa.String()),
        sa.Column("info", sa.String()),
        sa.Column("vendor_error_code", sa.String()),
        sa.Column("timestamp", _TIMESTAMP, nullable=False),
        sa.Column("received_at", _TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_connector_status_history"),
    )
    op.create_index(
        "ix_connector_status_history_station_id_connector_id_id",
        "connector_status_history",
        ["station_id", "connector_id", "id"],
    )
    op.create_table(
        "id_tokens",
        sa.Column("id_token", sa.String(), nullable=False),
        sa.Column("token_type", sa.String()),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("expiry_date", _TIMESTAMP),
        sa.Column("parent_id_token", sa.String()),
        sa.Column("created_at", _TIMESTAMP, nullable=False),
        sa.Column("updated_at", _TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("id_token", name="pk_id_tokens"),
    )
    op.create_table(
        "transactions",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("station_id", sa.String(48), nullable=False),
        sa.Column("transaction_ref", sa.String(), nullable=False),
        sa.Column("evse_id", sa.Integer()),
        sa.Column("connector_id", sa.Integer()),
        sa.Column("id_token", sa.String()),
        sa.Column("token_type", sa.String()),
        sa.Column("start_key", sa.String(64)),
        sa.Column("started_at", _TIMESTAMP, nullable=False),
        sa.Column("stopped_at", _TIMESTAMP),
        sa.Column("meter_start_wh", sa.Float()),
        sa.Column("meter_stop_wh", sa.Float()),
        sa.Column("stop_reason", sa.String()),
        sa.Column("stop_id_token", sa.String()),
        sa.Column("status", sa.String(8), nullable=False),
        sa.Column("reservation_id", sa.Integer()),
        sa.Column("remote_start_id", sa.Integer()),
        sa.Column("charging_state", sa.String()),
        sa.Column("last_seq_no", sa.Integer()),
        sa.Column("offline", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("updated_at", _TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_transactions"),
        sa.ForeignKeyConstraint(["station_id"], ["stations.id"], name="fk_transactions_station_id_stations"),
        sa.UniqueConstraint(
            "station_id", "transaction_ref", name="uq_transactions_station_id_transaction_ref"
        ),
        sa.UniqueConstraint("start_key", name="uq_transactions_start_key"),
        # OCPP 1.6 transaction ids must never be reused, even after the newest row is deleted.
        sqlite_autoincrement=True,
    )
    op.create_index("ix_transactions_station_id_status", "transactions", ["station_id", "status"])
    op.create_index("ix_transactions_id_token", "transactions", ["id_token"])
    op.create_table(
        "meter_values",
        sa.Column("id", _BIGINT_ID, autoincrement=True, nullable=False),
        sa.Column("transaction_id", sa.Integer()),
        sa.Column("transaction_ref", sa.String()),
        sa.Column("station_id", sa.String(48), nullable=False),
        sa.Column("evse_id", sa.Integer()),
        sa.Column("connector_id", sa.Integer()),
        sa.Column("timestamp", _TIMESTAMP, nullable=False),
        sa.Column("measurand", sa.String(), nullable=False),
        sa.Column("phase", sa.String()),
        sa.Column("unit", sa.String()),
        sa.Column("context", sa.String()),
        sa.Column("location", sa.String()),
        sa.Column("format", sa.String()),
        sa.Column("value", sa.String(), nullable=False),
        sa.Column("value_num", sa.Float()),
        sa.Column("signed_data", sa.String()),
        sa.PrimaryKeyConstraint("id", name="pk_meter_values"),
        sa.ForeignKeyConstraint(
            ["transaction_id"], ["transactions.id"], name="fk_meter_values_transaction_id_transactions"
        ),
    )
    op.create_index(
        "ix_meter_values_transaction_id_timestamp", "meter_values", ["transaction_id", "timestamp"]
    )
    op.create_index(
        "ix_meter_values_station_id_transaction_ref", "meter_values", ["station_id", "transaction_ref"]
    )
    op.create_index("ix_meter_values_station_id_timestamp", "meter_values", ["station_id", "timestamp"])
    op.create_table(
        "orphan_stops",
        sa.Column("id", _BIGINT_ID, autoincrement=True, nullable=False),
        sa.Column("station_id", sa.String(48), nullable=False),
        sa.Column("transaction_ref", sa.String(), nullable=False),
        sa.Column("stop_key", sa.String(64), nullable=False),
        sa.Column("stopped_at", _TIMESTAMP, nullable=False),
        sa.Column("meter_stop_wh", sa.Float()),
        sa.Column("reason", sa.String()),
        sa.Column("id_token", sa.String()),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("received_at", _TIMESTAMP, nullable=False),
        sa.Column("resolved_transaction_id", sa.Integer()),
        sa.PrimaryKeyConstraint("id", name="pk_orphan_stops"),
        sa.UniqueConstraint("stop_key", name="uq_orphan_stops_stop_key"),
        sa.ForeignKeyConstraint(
            ["resolved_transaction_id"],
            ["transactions.id"],
            name="fk_orphan_stops_resolved_transaction_id_transactions",
        ),
    )
    op.create_index(
        "ix_orphan_stops_station_id_transaction_ref", "orphan_stops", ["station_id", "transaction_ref"]
    )


def downgrade() -> None:
    for table in (
        "orphan_stops",
        "meter_values",
        "transactions",
        "id_tokens",
        "connector_status_history",
        "connectors",
        "stations",
    ):
        op.drop_table(table)
