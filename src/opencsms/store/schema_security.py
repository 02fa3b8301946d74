"""Tables for security profiles, station credentials, certificates, security events.

Registered on the shared metadata; built by migration 0003. Passwords are kept only as
scrypt hashes (``opencsms.security.passwords``); certificates only as public PEM.
"""

from __future__ import annotations

from sqlalchemy import Column, Index, Integer, String, Table, Text

from opencsms.store.column_types import BigIntegerId, UtcDateTime
from opencsms.store.schema import STATION_ID_MAX, metadata

station_credentials = Table(
    "station_credentials",
    metadata,
    # No foreign key: a password may be set before the station's first connection.
    Column("station_id", String(STATION_ID_MAX), primary_key=True),
    # The lowest OCPP security profile the station may connect with (0: unsecured, 1-3).
    Column("security_profile", Integer, nullable=False),
    Column("password_hash", String),
    # Set while a new password is being sent to the station; either one is accepted meanwhile.
    Column("pending_password_hash", String),
    # Set while the station is being moved up to this profile: it becomes the station's profile
    # once the station connects with it (migration 0007).
    Column("pending_security_profile", Integer),
    Column("updated_at", UtcDateTime, nullable=False),
)

security_events = Table(
    "security_events",
    metadata,
    Column("id", BigIntegerId, primary_key=True, autoincrement=True),
    Column("station_id", String(STATION_ID_MAX)),
    # "station": a SecurityEventNotification; "csms": something the CSMS saw (failed login, ...).
    Column("source", String(8), nullable=False),
    Column("event_type", String, nullable=False),
    Column("tech_info", String),
    Column("peer_address", String),
    Column("occurred_at", UtcDateTime, nullable=False),
    Column("received_at", UtcDateTime, nullable=False),
    Index(None, "station_id", "id"),
    Index(None, "event_type"),
)

certificates = Table(
    "certificates",
    metadata,
    Column("id", BigIntegerId, primary_key=True, autoincrement=True),
    # The station a certificate was issued to; None for CSMS-side certificates (roots).
    Column("station_id", String(STATION_ID_MAX)),
    Column("certificate_type", String, nullable=False),
    Column("serial_number", String, nullable=False),
    Column("subject", String, nullable=False),
    Column("issuer", String, nullable=False),
    Column("not_before", UtcDateTime, nullable=False),
    Column("not_after", UtcDateTime, nullable=False),
    Column("pem", Text, nullable=False),
    Column("issued_at", UtcDateTime, nullable=False),
    Index(None, "station_id", "certificate_type"),
    Index(None, "not_after"),
)

# Failed logins per "pair\x1f<address>\x1f<station id>" and per "source\x1f<address>" (migration
# 0012): written only when a login fails, so that counts survive restarts and nodes share them.
login_failures = Table(
    "login_failures",
    metadata,
    Column("key", String(200), primary_key=True),
    Column("failures", Integer, nullable=False),
    # When the key's current window began; an older window starts over at the next failure.
    Column("window_start", UtcDateTime, nullable=False),
    Index(None, "window_start"),
)
