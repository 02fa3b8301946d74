"""Station credentials: the security profile a station was asked to move up to.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("station_credentials", sa.Column("pending_security_profile", sa.Integer()))


def downgrade() -> None:
    with op.batch_alter_table("station_credentials") as batch:
        batch.drop_column("pending_security_profile")
