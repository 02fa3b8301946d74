"""Dashboard login sessions, kept in the database: the cookie holds a random token, the store its
hash. Logging out or an admin's revoke ends a session at once, on every node of a cluster."""

from __future__ import annotations

import builtins
import hashlib
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.engine import Connection, Row

from opencsms.auth.api_keys import Principal, lesser
from opencsms.auth.roles import Role
from opencsms.store import Store
from opencsms.store.schema_accounts import login_sessions, users
from opencsms.store.schema_operator_api import api_keys

TOKEN_PREFIX = "ocsess_"


@dataclass(frozen=True, slots=True)
class LoginSession:
    id: int
    user_id: int | None
    user_name: str | None
    api_key_id: int | None
    method: str
    client_address: str | None
    created_at: datetime
    expires_at: datetime
    revoked_at: datetime | None


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _session(row: Row[Any]) -> LoginSession:
    return LoginSession(
        row.id,
        row.user_id,
        row.user_name,
        row.api_key_id,
        row.method,
        row.client_address,
        row.created_at,
        row.expires_at,
        row.revoked_at,
    )


def _sessions_query() -> Any:
    return select(login_sessions, users.c.name.label("user_name")).select_from(
        login_sessions.outerjoin(users, login_sessions.c.user_id == users.c.id)
    )


class LoginSessionService:
    """Start, check, list and revoke login sessions. Raises ``LookupError`` for an unknown session
    (:meth:`revoke`)."""

    def __init__(
        self,
        store: Store,
        *,
        ttl: timedelta = timedelta(hours=12),
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._store = store
        self.ttl = ttl
        self._clock = clock

    async def start(
        self,
        method: str,
        *,
        user_id: int | None,
        api_key_id: int | None = None,
        client_address: str | None = None,
    ) -> tuple[str, LoginSession]:
        """A new session and its token (for the cookie; not stored)."""
        token = TOKEN_PREFIX + secrets.token_urlsafe(32)
        now = self._clock()
        values = {
            "token_hash": _hash(token),
            "user_id": user_id,
            "api_key_id": api_key_id,
            "method": method,
            "client_address": client_address,
            "created_at": now,
            "expires_at": now + self.ttl,
        }

        def job(connection: Connection) -> int:
            result = connection.execute(
                insert(login_sessions).values(**values).returning(login_sessions.c.id)
            )
            return int(result.scalar_one())

        session_id = await self._store.write(job)
        record = LoginSession(
            session_id, user_id, None, api_key_id, method, client_address, now, now + self.ttl, None
        )
        return token, record

    async def principal(self, token: str) -> Principal | None:
        """Who holds this session token: None when it is unknown, expired or revoked, its user is
        disabled, or the key it was opened with is revoked."""
        if not token.startswith(TOKEN_PREFIX) or len(token) > 128:
            return None
        digest = _hash(token)
        query = (
            select(
                login_sessions.c.id,
                login_sessions.c.expires_at,
                login_sessions.c.revoked_at,
                users.c.id.label("user_id"),
                users.c.name.label("user_name"),
                users.c.role.label("user_role"),
                users.c.disabled_at,
                api_keys.c.id.label("key_id"),
                api_keys.c.name.label("key_name"),
                api_keys.c.role.label("key_role"),
                api_keys.c.revoked_at.label("key_revoked_at"),
            )
            .select_from(
                login_sessions.outerjoin(users, login_sessions.c.user_id == users.c.id).outerjoin(
                    api_keys, login_sessions.c.api_key_id == api_keys.c.id
                )
            )
            .where(login_sessions.c.token_hash == digest)
        )
        row = await self._store.read(lambda connection: connection.execute(query).first())
        if row is None or row.revoked_at is not None or row.expires_at <= self._clock():
            return None
        if row.disabled_at is not None or row.key_revoked_at is not None:
            return None
        if row.user_id is None and row.key_id is None:
            return None
        if row.user_id is None:
            return Principal(row.key_id, row.key_name, Role(row.key_role), None, row.key_name, row.id)
        role = Role(row.user_role)
        if row.key_id is not None:
            role = lesser(role, Role(row.key_role))
        return Principal(row.key_id, row.user_name, role, row.user_id, row.key_name, row.id)

    async def end(self, token: str) -> int | None:
        """Log out: revoke the session of this token; its id, or None when there was none."""
        digest = _hash(token)
        now = self._clock()

        def job(connection: Connection) -> int | None:
            row = connection.execute(
                select(login_sessions.c.id).where(login_sessions.c.token_hash == digest)
            ).first()
            if row is None:
                return None
            connection.execute(
                update(login_sessions)
                .where(login_sessions.c.id == row.id, login_sessions.c.revoked_at.is_(None))
                .values(revoked_at=now)
            )
            return int(row.id)

        return await self._store.write(job)

    async def revoke(self, session_id: int) -> LoginSession:
        """End a session by id (an admin's revoke); revoking twice keeps the first time."""
        now = self._clock()

        def job(connection: Connection) -> Row[Any] | None:
            connection.execute(
                update(login_sessions)
                .where(login_sessions.c.id == session_id, login_sessions.c.revoked_at.is_(None))
                .values(revoked_at=now)
            )
            return connection.execute(_sessions_query().where(login_sessions.c.id == session_id)).first()

        row = await self._store.write(job)
        if row is None:
            raise LookupError(f"no session {session_id}")
        return _session(row)

    async def list(self, *, user_id: int | None = None, active: bool = True) -> builtins.list[LoginSession]:
        """Sessions, newest first; ``active`` leaves out the ended ones."""
        query = _sessions_query().order_by(login_sessions.c.id.desc())
        if user_id is not None:
            query = query.where(login_sessions.c.user_id == user_id)
        if active:
            query = query.where(
                login_sessions.c.revoked_at.is_(None), login_sessions.c.expires_at > self._clock()
            )
        rows = await self._store.read(lambda connection: connection.execute(query).all())
        return [_session(row) for row in rows]
