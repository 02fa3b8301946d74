"""Tables for staff accounts: users, their login sessions, and the audit log.

Registered on the shared metadata; built by migration 0015, which also gives ``api_keys`` its
owner (``api_keys.user_id``). The audit log is append-only: the application only inserts, and
the migration adds triggers that refuse UPDATE and DELETE on both backends.
"""

from __future__ import annotations

from sqlalchemy import JSON, Column, ForeignKey, Index, Integer, String, Table, UniqueConstraint

from opencsms.store.column_types import BigIntegerId, UtcDateTime
from opencsms.store.schema import metadata

users = Table(
    "users",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(64), nullable=False, unique=True),
    Column("role", String(16), nullable=False),
    # scrypt (opencsms.security.passwords); None: no password login (OpenID Connect only, or
    # an account that logs in with its API keys).
    Column("password_hash", String),
    # Set for an account made by an OpenID Connect login: the provider and its subject.
    Column("oidc_issuer", String(512)),
    Column("oidc_subject", String(255)),
    Column("created_at", UtcDateTime, nullable=False),
    Column("disabled_at", UtcDateTime),
    Column("last_login_at", UtcDateTime),
    UniqueConstraint("oidc_issuer", "oidc_subject"),
)

login_sessions = Table(
    "login_sessions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    # SHA-256 (hex) of the cookie's token; the token itself is never stored.
    Column("token_hash", String(64), nullable=False, unique=True),
    # None only for a session opened with a key that has no owner.
    Column("user_id", ForeignKey("users.id")),
    # The key a browser logged in with (password and OpenID Connect logins have none): revoking
    # the key ends the session.
    Column("api_key_id", ForeignKey("api_keys.id")),
    # password, api_key, oidc
    Column("method", String(16), nullable=False),
    Column("client_address", String(64)),
    Column("created_at", UtcDateTime, nullable=False),
    Column("expires_at", UtcDateTime, nullable=False),
    Column("revoked_at", UtcDateTime),
    Index(None, "user_id"),
)

audit_log = Table(
    "audit_log",
    metadata,
    Column("id", BigIntegerId, primary_key=True, autoincrement=True),
    Column("at", UtcDateTime, nullable=False),
    # Who: the user (None for an unknown name at login), the key if one was used, how they
    # authenticated (key, session, cli, or none for a failed login).
    Column("user_id", Integer),
    Column("user_name", String(255)),
    Column("api_key_id", Integer),
    Column("api_key_name", String(64)),
    Column("auth", String(16), nullable=False),
    # What: "POST /api/v1/stations/{station_id}/commands/reset", "cli user add", "login", ...
    Column("action", String(255), nullable=False),
    Column("method", String(8)),
    Column("path", String(1024)),
    # The station, user, key ... the action was about, when the route names one.
    Column("target", String(255)),
    Column("details", JSON),
    # From where: the client address as the API sees it; "local" for the CLI on the server.
    Column("client_address", String(64)),
    # The result: the HTTP status (the CLI: 0 done, 1 refused).
    Column("status", Integer, nullable=False),
    Index(None, "at"),
    Index(None, "user_name", "id"),
    Index(None, "target", "id"),
)
