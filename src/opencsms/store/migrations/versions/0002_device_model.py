"""Tables for the 2.0.1 device model: components, variables, reports.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

_TIMESTAMP = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "device_variables",
        sa.Column("station_id", sa.String(48), nullable=False),
        sa.Column("component", sa.String(), nullable=False),
        sa.Column("component_instance", sa.String(), nullable=False),
        sa.Column("evse_id", sa.Integer(), nullable=False),
        sa.Column("connector_id", sa.Integer(), nullable=False),
        sa.Column("variable", sa.String(), nullable=False),
        sa.Column("variable_instance", sa.String(), nullable=False),
        sa.Column("attribute_type", sa.String(8), nullable=False),
        sa.Column("value", sa.String()),
        sa.Column("mutability", sa.String(16)),
        sa.Column("persistent", sa.Boolean()),
        sa.Column("constant", sa.Boolean()),
        sa.Column("unit", sa.String()),
        sa.Column("data_type", sa.String(16)),
        sa.Column("min_limit", sa.String()),
        sa.Column("max_limit", sa.String()),
        sa.Column("values_list", sa.String()),
        sa.Column("source", sa.String(24), nullable=False),
        sa.Column("status", sa.String(24)),
        sa.Column("updated_at", _TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint(
            "station_id",
            "component",
            "component_instance",
            "evse_id",
            "connector_id",
            "variable",
            "variable_instance",
            "attribute_type",
            name="pk_device_variables",
        ),
    )
    op.create_table(
        "device_reports",
        sa.Column("station_id", sa.String(48), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("seq_nos", sa.String(), nullable=False),
        sa.Column("final_seq_no", sa.Integer()),
        sa.Column("items", sa.Integer(), nullable=False),
        sa.Column("started_at", _TIMESTAMP, nullable=False),
        sa.Column("updated_at", _TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("station_id", "request_id", name="pk_device_reports"),
    )


def downgrade() -> None:
    op.drop_table("device_reports")
    op.drop_table("device_variables")
