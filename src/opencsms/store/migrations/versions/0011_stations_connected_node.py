"""stations.connected_node: the cluster node holding a station's connection.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("stations", sa.Column("connected_node", sa.String(200)))


def downgrade() -> None:
    with op.batch_alter_table("stations") as batch:
        batch.drop_column("connected_node")
