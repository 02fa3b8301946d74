"""OCPP 2.0.1 transactions: seqNo gaps and trigger reasons.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

_COLUMNS = ("seq_gaps", "start_trigger_reason", "trigger_reason")


def upgrade() -> None:
    for column in _COLUMNS:
        op.add_column("transactions", sa.Column(column, sa.String()))


def downgrade() -> None:
    with op.batch_alter_table("transactions") as batch:
        for column in _COLUMNS:
            batch.drop_column(column)
