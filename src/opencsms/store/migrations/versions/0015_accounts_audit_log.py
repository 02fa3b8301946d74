"""Staff accounts, login sessions in the database, the append-only audit log; API keys get an owner.

Existing API keys are given to a user named "admin" (role admin, no password: set one with
``opencsms user passwd admin``), created here when there are keys.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-07
"""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

_TIMESTAMP = sa.DateTime(timezone=True)
_BIGINT_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

# One statement each: asyncpg runs one per call.
_PG_APPEND_ONLY = (
    """CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only';
END;
$$""",
    "CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log "
    "FOR EACH ROW EXECUTE FUNCTION audit_log_append_only()",
    "CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log "
    "FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only()",
)


def upgrade() -> None:
    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("password_hash", sa.String()),
        sa.Column("oidc_issuer", sa.String(512)),
        sa.Column("oidc_subject", sa.String(255)),
        sa.Column("created_at", _TIMESTAMP, nullable=False),
        sa.Column("disabled_at", _TIMESTAMP),
        sa.Column("last_login_at", _TIMESTAMP),
        sa.PrimaryKeyConstraint("id", name="pk_users"),
        sa.UniqueConstraint("name", name="uq_users_name"),
        sa.UniqueConstraint("oidc_issuer", "oidc_subject", name="uq_users_oidc_issuer_oidc_subject"),
    )
    with op.batch_alter_table("api_keys") as batch:
        batch.add_column(sa.Column("user_id", sa.Integer()))
        batch.create_foreign_key("fk_api_keys_user_id_users", "users", ["user_id"], ["id"])
    op.create_table(
        "login_sessions",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("user_id", sa.Integer()),
        sa.Column("api_key_id", sa.Integer()),
        sa.Column("method", sa.String(16), nullable=False),
        sa.Column("client_address", sa.String(64)),
        sa.Column("created_at", _TIMESTAMP, nullable=False),
        sa.Column("expires_at", _TIMESTAMP, nullable=False),
        sa.Column("revoked_at", _TIMESTAMP),
        sa.PrimaryKeyConstraint("id", name="pk_login_sessions"),
        sa.UniqueConstraint("token_hash", name="uq_login_sessions_token_hash"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name="fk_login_sessions_user_id_users"),
        sa.ForeignKeyConstraint(
            ["api_key_id"], ["api_keys.id"], name="fk_login_sessions_api_key_id_api_keys"
        ),
    )
    op.create_index("ix_login_sessions_user_id", "login_sessions", ["user_id"])
    op.create_table(
        "audit_log",
        sa.Column("id", _BIGINT_ID, autoincrement=True, nullable=False),
        sa.Column("at", _TIMESTAMP, nullable=False),
        sa.Column("user_id", sa.Integer()),
        sa.Column("user_name", sa.String(255)),
        sa.Column("api_key_id", sa.Integer()),
        sa.Column("api_key_name", sa.String(64)),
        sa.Column("auth", sa.String(16), nullable=False),
        sa.Column("action", sa.String(255), nullable=False),
        sa.Column("method", sa.String(8)),
        sa.Column("path", sa.String(1024)),
        sa.Column("target", sa.String(255)),
        sa.Column("details", sa.JSON()),
        sa.Column("client_address", sa.String(64)),
        sa.Column("status", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_audit_log"),
    )
    op.create_index("ix_audit_log_at", "audit_log", ["at"])
    op.create_index("ix_audit_log_user_name_id", "audit_log", ["user_name", "id"])
    op.create_index("ix_audit_log_target_id", "audit_log", ["target", "id"])
    if op.get_context().dialect.name == "postgresql":
        for statement in _PG_APPEND_ONLY:
            op.execute(statement)
    else:
        for event in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER audit_log_no_{event.lower()} BEFORE {event} ON audit_log "
                "BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END"
            )

    # Every existing key gets an owner: a user named "admin" (no password).
    connection = op.get_bind()
    if connection.execute(sa.text("SELECT count(*) FROM api_keys")).scalar_one():
        users = sa.table(
            "users",
            sa.column("name", sa.String),
            sa.column("role", sa.String),
            sa.column("created_at", _TIMESTAMP),
        )
        connection.execute(sa.insert(users).values(name="admin", role="admin", created_at=datetime.now(UTC)))
        admin_id = connection.execute(sa.text("SELECT id FROM users WHERE name = 'admin'")).scalar_one()
        connection.execute(sa.text("UPDATE api_keys SET user_id = :id"), {"id": admin_id})


def downgrade() -> None:
    if op.get_context().dialect.name == "postgresql":
        op.execute("DROP TABLE audit_log")
        op.execute("DROP FUNCTION audit_log_append_only()")
    else:
        op.drop_table("audit_log")
    op.drop_table("login_sessions")
    with op.batch_alter_table("api_keys") as batch:
        batch.drop_constraint("fk_api_keys_user_id_users", type_="foreignkey")
        batch.drop_column("user_id")
    op.drop_table("users")
