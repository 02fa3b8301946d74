"""Tables for operator API: API keys, webhooks, queued commands, OCPP message log.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

_TIMESTAMP = sa.DateTime(timezone=True)
_BIGINT_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "api_keys",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("key_hash", sa.String(64), nullable=False),
        sa.Column("key_prefix", sa.String(16), nullable=False),
        sa.Column("created_at", _TIMESTAMP, nullable=False),
        sa.Column("last_used_at", _TIMESTAMP),
        sa.Column("revoked_at", _TIMESTAMP),
        sa.PrimaryKeyConstraint("id", name="pk_api_keys"),
        sa.UniqueConstraint("name", name="uq_api_keys_name"),
        sa.UniqueConstraint("key_hash", name="uq_api_keys_key_hash"),
    )
    op.create_table(
        "webhooks",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("url", sa.String(), nullable=False),
        sa.Column("secret", sa.String(), nullable=False),
        sa.Column("event_kinds", sa.JSON(), nullable=False),
        sa.Column("station_ids", sa.JSON(), nullable=False),
        sa.Column("active", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column("description", sa.String()),
        sa.Column("created_at", _TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_webhooks"),
    )
    op.create_table(
        "webhook_deliveries",
        sa.Column("id", _BIGINT_ID, autoincrement=True, nullable=False),
        sa.Column("webhook_id", sa.Integer(), nullable=False),
        sa.Column("event_kind", sa.String(), nullable=False),
        sa.Column("station_id", sa.String(48), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("response_status", sa.Integer()),
        sa.Column("error", sa.String()),
        sa.Column("created_at", _TIMESTAMP, nullable=False),
        sa.Column("next_attempt_at", _TIMESTAMP),
        sa.Column("finished_at", _TIMESTAMP),
        sa.PrimaryKeyConstraint("id", name="pk_webhook_deliveries"),
        sa.ForeignKeyConstraint(
            ["webhook_id"],
            ["webhooks.id"],
            name="fk_webhook_deliveries_webhook_id_webhooks",
            ondelete="CASCADE",
        ),
    )
    op.create_index("ix_webhook_deliveries_webhook_id_id", "webhook_deliveries", ["webhook_id", "id"])
    op.create_index(
        "ix_webhook_deliveries_status_next_attempt_at",
        "webhook_deliveries",
        ["status", "next_attempt_at"],
    )
    op.create_table(
        "queued_commands",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("station_id", sa.String(48), nullable=False),
        sa.Column("command", sa.String(64), nullable=False),
        sa.Column("args", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("created_at", _TIMESTAMP, nullable=False),
        sa.Column("expires_at", _TIMESTAMP, nullable=False),
        sa.Column("finished_at", _TIMESTAMP),
        sa.Column("result", sa.JSON()),
        sa.Column("error", sa.String()),
        sa.Column("created_by", sa.String(64)),
        sa.PrimaryKeyConstraint("id", name="pk_queued_commands"),
    )
    op.create_index("ix_queued_commands_station_id_status", "queued_commands", ["station_id", "status"])
    op.create_table(
        "message_log",
        sa.Column("id", _BIGINT_ID, autoincrement=True, nullable=False),
        sa.Column("station_id", sa.String(48), nullable=False),
        sa.Column("direction", sa.String(3), nullable=False),
        sa.Column("timestamp", _TIMESTAMP, nullable=False),
        sa.Column("frame", sa.String(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_message_log"),
    )
    op.create_index("ix_message_log_station_id_id", "message_log", ["station_id", "id"])
    op.create_index("ix_message_log_timestamp", "message_log", ["timestamp"])


def downgrade() -> None:
    op.drop_table("message_log")
    op.drop_table("queued_commands")
    op.drop_table("webhook_deliveries")
    op.drop_table("webhooks")
    op.drop_table("api_keys")
