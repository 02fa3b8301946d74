"""Tables for the operator API: API keys, webhooks and their deliveries, queued commands, OCPP message log.

Registered on the shared metadata; built by migration 0004.
"""

from __future__ import annotations

from sqlalchemy import JSON, Boolean, Column, ForeignKey, Index, Integer, String, Table, true

from opencsms.store.column_types import BigIntegerId, UtcDateTime
from opencsms.store.schema import STATION_ID_MAX, metadata

api_keys = Table(
    "api_keys",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(64), nullable=False, unique=True),
    Column("role", String(16), nullable=False),
    # SHA-256 of the key (hex); the key itself is shown once and never stored.
    Column("key_hash", String(64), nullable=False, unique=True),
    # The key's first characters, so an operator can tell keys apart.
    Column("key_prefix", String(16), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("last_used_at", UtcDateTime),
    Column("revoked_at", UtcDateTime),
    # The user the key belongs to (migration 0015); the key acts as that user, with at most
    # its own role.
    Column("user_id", ForeignKey("users.id")),
)

webhooks = Table(
    "webhooks",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("url", String, nullable=False),
    # Deliveries are signed with it (HMAC-SHA256), so it is kept as given.
    Column("secret", String, nullable=False),
    Column("event_kinds", JSON, nullable=False),
    Column("station_ids", JSON, nullable=False),
    Column("active", Boolean, nullable=False, server_default=true()),
    Column("description", String),
    Column("created_at", UtcDateTime, nullable=False),
)

webhook_deliveries = Table(
    "webhook_deliveries",
    metadata,
    Column("id", BigIntegerId, primary_key=True, autoincrement=True),
    Column("webhook_id", ForeignKey("webhooks.id", ondelete="CASCADE"), nullable=False),
    Column("event_kind", String, nullable=False),
    Column("station_id", String(STATION_ID_MAX), nullable=False),
    Column("payload", JSON, nullable=False),
    # pending, delivered, failed
    Column("status", String(16), nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("response_status", Integer),
    Column("error", String),
    Column("created_at", UtcDateTime, nullable=False),
    Column("next_attempt_at", UtcDateTime),
    Column("finished_at", UtcDateTime),
    Index(None, "webhook_id", "id"),
    Index(None, "status", "next_attempt_at"),
)

queued_commands = Table(
    "queued_commands",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("station_id", String(STATION_ID_MAX), nullable=False),
    Column("command", String(64), nullable=False),
    Column("args", JSON, nullable=False),
    # queued, delivered, failed, unanswered, expired, cancelled
    Column("status", String(16), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("expires_at", UtcDateTime, nullable=False),
    Column("finished_at", UtcDateTime),
    Column("result", JSON),
    Column("error", String),
    Column("created_by", String(64)),
    Index(None, "station_id", "status"),
)

message_log = Table(
    "message_log",
    metadata,
    Column("id", BigIntegerId, primary_key=True, autoincrement=True),
    Column("station_id", String(STATION_ID_MAX), nullable=False),
    # "in" (station to CSMS) or "out"
    Column("direction", String(3), nullable=False),
    Column("timestamp", UtcDateTime, nullable=False),
    # The frame as it went over the wire (text), cut at the logger's size limit.
    Column("frame", String, nullable=False),
    Index(None, "station_id", "id"),
    Index(None, "timestamp"),
)
