"""transactions.ended_by and inferred_cause: ends the CSMS inferred, for the operator to review.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("transactions", sa.Column("ended_by", sa.String(16)))
    op.add_column("transactions", sa.Column("inferred_cause", sa.String(16)))
    # Every end stored so far came from a station.
    op.execute("UPDATE transactions SET ended_by = 'station' WHERE status = 'ended'")


def downgrade() -> None:
    with op.batch_alter_table("transactions") as batch:
        batch.drop_column("inferred_cause")
        batch.drop_column("ended_by")
