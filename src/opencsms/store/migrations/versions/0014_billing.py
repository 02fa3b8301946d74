"""Billing: tariffs and their versions, tariff assignments, running costs, charge detail records.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

_TIMESTAMP = sa.DateTime(timezone=True)
_BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "tariffs",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("current_version", sa.Integer(), nullable=False),
        sa.Column("created_at", _TIMESTAMP, nullable=False),
        sa.Column("updated_at", _TIMESTAMP, nullable=False),
        sa.Column("deleted_at", _TIMESTAMP),
        sa.PrimaryKeyConstraint("id", name="pk_tariffs"),
    )
    op.create_table(
        "tariff_versions",
        sa.Column("tariff_id", sa.String(36), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("time_zone", sa.String(64), nullable=False),
        sa.Column("created_at", _TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("tariff_id", "version", name="pk_tariff_versions"),
    )
    op.create_table(
        "tariff_assignments",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("scope", sa.String(16), nullable=False),
        sa.Column("target", sa.String(200), nullable=False),
        sa.Column("tariff_id", sa.String(36), nullable=False),
        sa.Column("created_at", _TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_tariff_assignments"),
        sa.UniqueConstraint("scope", "target", name="uq_tariff_assignments_scope_target"),
    )
    op.create_table(
        "transaction_costs",
        sa.Column("transaction_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("tariff_id", sa.String(36)),
        sa.Column("tariff_version", sa.Integer()),
        sa.Column("currency", sa.String(3)),
        sa.Column("total_excl_micro", sa.BigInteger()),
        sa.Column("total_incl_micro", sa.BigInteger()),
        sa.Column("energy_mwh", sa.BigInteger()),
        sa.Column("computed_at", _TIMESTAMP),
        sa.Column("cdr_id", sa.BigInteger()),
        sa.Column("billed_ended_by", sa.String(16)),
        sa.PrimaryKeyConstraint("transaction_id", name="pk_transaction_costs"),
    )
    op.create_table(
        "cdrs",
        sa.Column("id", _BIG_ID, autoincrement=True, nullable=False),
        sa.Column("transaction_id", sa.Integer(), nullable=False),
        sa.Column("credit", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("credit_of", sa.BigInteger()),
        sa.Column("station_id", sa.String(48), nullable=False),
        sa.Column("evse_id", sa.Integer()),
        sa.Column("connector_id", sa.Integer()),
        sa.Column("site_id", sa.String(64)),
        sa.Column("id_token", sa.String()),
        sa.Column("token_group", sa.String()),
        sa.Column("auth_method", sa.String(32)),
        sa.Column("started_at", _TIMESTAMP, nullable=False),
        sa.Column("stopped_at", _TIMESTAMP, nullable=False),
        sa.Column("ended_by", sa.String(16)),
        sa.Column("tariff_id", sa.String(36)),
        sa.Column("tariff_version", sa.Integer()),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("energy_mwh", sa.BigInteger(), nullable=False),
        sa.Column("duration_ms", sa.BigInteger(), nullable=False),
        sa.Column("charging_ms", sa.BigInteger(), nullable=False),
        sa.Column("parking_ms", sa.BigInteger(), nullable=False),
        sa.Column("total_excl_micro", sa.BigInteger(), nullable=False),
        sa.Column("total_incl_micro", sa.BigInteger(), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.Column("created_at", _TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_cdrs"),
    )
    op.create_index("ix_cdrs_stopped_at", "cdrs", ["stopped_at"])
    op.create_index("ix_cdrs_transaction_id", "cdrs", ["transaction_id"])
    op.create_index("ix_cdrs_station_id_stopped_at", "cdrs", ["station_id", "stopped_at"])


def downgrade() -> None:
    for table in ("cdrs", "transaction_costs", "tariff_assignments", "tariff_versions", "tariffs"):
        op.drop_table(table)
