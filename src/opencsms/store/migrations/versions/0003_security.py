"""Tables for security profiles, station credentials, certificates, security events.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

# Frozen copies of the column types this revision was written with.
_TIMESTAMP = sa.DateTime(timezone=True)
_BIGINT_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "station_credentials",
        sa.Column("station_id", sa.String(48), nullable=False),
        sa.Column("security_profile", sa.Integer(), nullable=False),
        sa.Column("password_hash", sa.String()),
        sa.Column("pending_password_hash", sa.String()),
        sa.Column("updated_at", _TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("station_id", name="pk_station_credentials"),
    )
    op.create_table(
        "security_events",
        sa.Column("id", _BIGINT_ID, autoincrement=True, nullable=False),
        sa.Column("station_id", sa.String(48)),
        sa.Column("source", sa.String(8), nullable=False),
        sa.Column("event_type", sa.String(), nullable=False),
        sa.Column("tech_info", sa.String()),
        sa.Column("peer_address", sa.String()),
        sa.Column("occurred_at", _TIMESTAMP, nullable=False),
        sa.Column("received_at", _TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_security_events"),
    )
    op.create_index("ix_security_events_station_id_id", "security_events", ["station_id", "id"])
    op.create_index("ix_security_events_event_type", "security_events", ["event_type"])
    op.create_table(
        "certificates",
        sa.Column("id", _BIGINT_ID, autoincrement=True, nullable=False),
        sa.Column("station_id", sa.String(48)),
        sa.Column("certificate_type", sa.String(), nullable=False),
        sa.Column("serial_number", sa.String(), nullable=False),
        sa.Column("subject", sa.String(), nullable=False),
        sa.Column("issuer", sa.String(), nullable=False),
        sa.Column("not_before", _TIMESTAMP, nullable=False),
        sa.Column("not_after", _TIMESTAMP, nullable=False),
        sa.Column("pem", sa.Text(), nullable=False),
        sa.Column("issued_at", _TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_certificates"),
    )
    op.create_index(
        "ix_certificates_station_id_certificate_type", "certificates", ["station_id", "certificate_type"]
    )
    op.create_index("ix_certificates_not_after", "certificates", ["not_after"])


def downgrade() -> None:
    op.drop_table("certificates")
    op.drop_table("security_events")
    op.drop_table("station_credentials")
