"""meter_values: index by station only the samples that name no known transaction.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

_UNLINKED = sa.text("transaction_id IS NULL")


def upgrade() -> None:
    op.drop_index("ix_meter_values_station_id_transaction_ref", table_name="meter_values")
    op.drop_index("ix_meter_values_station_id_timestamp", table_name="meter_values")
    for name, column in (
        ("ix_meter_values_unlinked_ref", "transaction_ref"),
        ("ix_meter_values_unlinked_timestamp", "timestamp"),
    ):
        op.create_index(
            name,
            "meter_values",
            ["station_id", column],
            sqlite_where=_UNLINKED,
            postgresql_where=_UNLINKED,
        )


def downgrade() -> None:
    op.drop_index("ix_meter_values_unlinked_timestamp", table_name="meter_values")
    op.drop_index("ix_meter_values_unlinked_ref", table_name="meter_values")
    op.create_index(
        "ix_meter_values_station_id_transaction_ref", "meter_values", ["station_id", "transaction_ref"]
    )
    op.create_index("ix_meter_values_station_id_timestamp", "meter_values", ["station_id", "timestamp"])
