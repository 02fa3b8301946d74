"""Tables for smart charging: charging profiles, sites, circuits, price signals.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

_TIMESTAMP = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "charging_profiles",
        sa.Column("station_id", sa.String(48), nullable=False),
        sa.Column("profile_id", sa.Integer(), nullable=False),
        sa.Column("evse_id", sa.Integer(), nullable=False),
        sa.Column("purpose", sa.String(40), nullable=False),
        sa.Column("stack_level", sa.Integer(), nullable=False),
        sa.Column("transaction_id", sa.String()),
        sa.Column("source", sa.String(8), nullable=False),
        sa.Column("profile", sa.JSON(), nullable=False),
        sa.Column("installed_at", _TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("station_id", "profile_id", name=op.f("pk_charging_profiles")),
    )
    op.create_table(
        "external_charging_limits",
        sa.Column("station_id", sa.String(48), nullable=False),
        sa.Column("evse_id", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(8), nullable=False),
        sa.Column("is_grid_critical", sa.Boolean()),
        sa.Column("schedules", sa.JSON()),
        sa.Column("updated_at", _TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("station_id", "evse_id", "source", name=op.f("pk_external_charging_limits")),
    )
    op.create_table(
        "charging_needs",
        sa.Column("station_id", sa.String(48), nullable=False),
        sa.Column("evse_id", sa.Integer(), nullable=False),
        sa.Column("departure_time", _TIMESTAMP),
        sa.Column("energy_wh", sa.Float()),
        sa.Column("min_current_a", sa.Float()),
        sa.Column("max_current_a", sa.Float()),
        sa.Column("ev_schedule", sa.JSON()),
        sa.Column("updated_at", _TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("station_id", "evse_id", name=op.f("pk_charging_needs")),
    )
    op.create_table(
        "sites",
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("name", sa.String()),
        sa.Column("limit_amps", sa.Float()),
        sa.Column("limit_kw", sa.Float()),
        sa.Column("limit_schedule", sa.JSON()),
        sa.Column("other_load_kw", sa.Float()),
        sa.Column("min_current_a", sa.Float(), nullable=False),
        sa.Column("fail_safe_current_a", sa.Float(), nullable=False),
        sa.Column("created_at", _TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sites")),
    )
    op.create_table(
        "circuits",
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("site_id", sa.String(64), nullable=False),
        sa.Column("parent_id", sa.String(64)),
        sa.Column("limit_amps", sa.Float()),
        sa.Column("limit_kw", sa.Float()),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_circuits")),
    )
    op.create_index(op.f("ix_circuits_site_id"), "circuits", ["site_id"])
    op.create_table(
        "site_stations",
        sa.Column("station_id", sa.String(48), nullable=False),
        sa.Column("site_id", sa.String(64), nullable=False),
        sa.Column("circuit_id", sa.String(64)),
        sa.Column("max_current_a", sa.Float(), nullable=False),
        sa.Column("phases", sa.Integer(), nullable=False),
        sa.Column("priority", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("station_id", name=op.f("pk_site_stations")),
    )
    op.create_index(op.f("ix_site_stations_site_id"), "site_stations", ["site_id"])
    op.create_table(
        "site_prices",
        sa.Column("site_id", sa.String(64), nullable=False),
        sa.Column("starts_at", _TIMESTAMP, nullable=False),
        sa.Column("slot_seconds", sa.Integer(), nullable=False),
        sa.Column("price", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("site_id", "starts_at", name=op.f("pk_site_prices")),
    )


def downgrade() -> None:
    for table in (
        "site_prices",
        "site_stations",
        "circuits",
        "sites",
        "charging_needs",
        "external_charging_limits",
        "charging_profiles",
    ):
        op.drop_table(table)
