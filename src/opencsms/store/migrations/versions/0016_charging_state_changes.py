"""charging_state_changes: the 2.0.1/2.1 chargingState of each TransactionEvent that carries one.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

_BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "charging_state_changes",
        sa.Column("id", _BIG_ID, autoincrement=True, nullable=False),
        sa.Column("transaction_id", sa.Integer(), nullable=False),
        sa.Column("timestamp", sa.DateTime(timezone=True), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_charging_state_changes"),
    )
    op.create_index(
        "ix_charging_state_changes_transaction_id_timestamp",
        "charging_state_changes",
        ["transaction_id", "timestamp"],
    )


def downgrade() -> None:
    op.drop_table("charging_state_changes")
