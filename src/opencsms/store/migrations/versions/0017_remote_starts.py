"""remote_starts: the remote starts sent, tied to the transactions they make.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None

_BIGINT_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_INDEX = "ix_remote_starts_station_id_remote_start_id"


def upgrade() -> None:
    op.create_table(
        "remote_starts",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("station_id", sa.String(48), nullable=False),
        sa.Column("remote_start_id", sa.Integer()),
        sa.Column("evse_id", sa.Integer()),
        sa.Column("id_token", sa.String(), nullable=False),
        sa.Column("token_type", sa.String()),
        sa.Column("charging_profile", sa.JSON()),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("transaction_id", sa.Integer()),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["transaction_id"], ["transactions.id"], name=op.f("fk_remote_starts_transaction_id_transactions")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_remote_starts")),
    )
    op.create_index(
        op.f("ix_remote_starts_station_id_remote_start_id"),
        "remote_starts",
        ["station_id", "remote_start_id"],
    )


def downgrade() -> None:
    op.drop_index(op.f(_INDEX), table_name="remote_starts")
    op.drop_table("remote_starts")
