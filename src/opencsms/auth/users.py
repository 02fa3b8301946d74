"""Staff accounts: a name, a role, a scrypt password (as station passwords are), or an OpenID
Connect identity. Disabling an account ends its sessions and stops its API keys at once."""

from __future__ import annotations

import asyncio
import builtins
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.engine import Connection, Row
from sqlalchemy.exc import IntegrityError

from opencsms.auth.roles import Role
from opencsms.security.passwords import hash_password, verify_password
from opencsms.store import Store
from opencsms.store.schema_accounts import login_sessions, users

#: A user's password: long enough to resist guessing at scrypt's cost, short enough to hash.
MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 256
NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._@+-]{0,63}$"

# Checked against when a name is unknown, so a wrong name costs the same time as a wrong password.
_DUMMY_HASH = hash_password("opencsms-no-such-user")


class WeakUserPassword(ValueError):
    """A password shorter than 12 or longer than 256 characters."""


def check_user_password(password: str) -> None:
    """Raises WeakUserPassword when ``password`` breaks the length rule."""
    if not MIN_PASSWORD_LENGTH <= len(password) <= MAX_PASSWORD_LENGTH:
        raise WeakUserPassword(
            f"a user's password has {MIN_PASSWORD_LENGTH}-{MAX_PASSWORD_LENGTH} characters, "
            f"not {len(password)}"
        )


@dataclass(frozen=True, slots=True)
class User:
    id: int
    name: str
    role: Role
    has_password: bool
    oidc_issuer: str | None
    created_at: datetime
    disabled_at: datetime | None
    last_login_at: datetime | None

    @property
    def active(self) -> bool:
        return self.disabled_at is None


def _user(row: Row[Any]) -> User:
    return User(
        row.id,
        row.name,
        Role(row.role),
        row.password_hash is not None,
        row.oidc_issuer,
        row.created_at,
        row.disabled_at,
        row.last_login_at,
    )


class UserService:
    """Create, list, change and check users.

    Raises ``ValueError`` for a name already taken (:meth:`create`), ``WeakUserPassword`` for a
    password that breaks the rules, and ``LookupError`` for an unknown user.
    """

    def __init__(self, store: Store, *, clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self._store = store
        self._clock = clock

    @property
    def store(self) -> Store:
        return self._store

    async def create(self, name: str, role: Role | str, password: str | None = None) -> User:
        role = Role(role)
        password_hash = None
        if password is not None:
            check_user_password(password)
            password_hash = await asyncio.to_thread(hash_password, password)
        now = self._clock()

        def job(connection: Connection) -> int | None:
            if connection.execute(select(users.c.id).where(users.c.name == name)).first() is not None:
                return None
            values = {"name": name, "role": role.value, "password_hash": password_hash, "created_at": now}
            return int(connection.execute(insert(users).values(**values).returning(users.c.id)).scalar_one())

        try:
            user_id = await self._store.write(job)
        except IntegrityError:  # made at the same moment elsewhere
            user_id = None
        if user_id is None:
            raise ValueError(f"a user named {name!r} exists already")
        return User(user_id, name, role, password_hash is not None, None, now, None, None)

    async def list(self) -> builtins.list[User]:
        rows = await self._store.read(
            lambda connection: connection.execute(select(users).order_by(users.c.id)).all()
        )
        return [_user(row) for row in rows]

    async def get(self, user_id_or_name: int | str) -> User | None:
        column = users.c.id if isinstance(user_id_or_name, int) else users.c.name
        row = await self._store.read(
            lambda connection: connection.execute(select(users).where(column == user_id_or_name)).first()
        )
        return _user(row) if row is not None else None

    async def require(self, user_id_or_name: int | str) -> User:
        """Like :meth:`get`; raises LookupError for an unknown user."""
        user = await self.get(user_id_or_name)
        if user is None:
            raise LookupError(f"no user {user_id_or_name!r}")
        return user

    async def _change(
        self, user_id_or_name: int | str, values: dict[str, Any], *, end_sessions: bool
    ) -> User:
        user = await self.require(user_id_or_name)
        now = self._clock()

        def job(connection: Connection) -> Row[Any] | None:
            if values:
                connection.execute(update(users).where(users.c.id == user.id).values(**values))
            if end_sessions:
                connection.execute(
                    update(login_sessions)
                    .where(login_sessions.c.user_id == user.id, login_sessions.c.revoked_at.is_(None))
                    .values(revoked_at=now)
                )
            return connection.execute(select(users).where(users.c.id == user.id)).first()

        row = await self._store.write(job)
        if row is None:
            raise LookupError(f"no user {user_id_or_name!r}")
        return _user(row)

    async def set_role(self, user_id_or_name: int | str, role: Role | str) -> User:
        """A new role; the user's sessions end, so no page keeps the rights of the old one."""
        return await self._change(user_id_or_name, {"role": Role(role).value}, end_sessions=True)

    async def disable(self, user_id_or_name: int | str) -> User:
        """The user can no longer log in; their sessions end and their API keys stop working at
        once. Disabling twice keeps the first time."""
        user = await self.require(user_id_or_name)
        values = {} if user.disabled_at is not None else {"disabled_at": self._clock()}
        return await self._change(user.id, values, end_sessions=True)

    async def enable(self, user_id_or_name: int | str) -> User:
        return await self._change(user_id_or_name, {"disabled_at": None}, end_sessions=False)

    async def set_password(self, user_id_or_name: int | str, password: str | None) -> User:
        """A new password (None: none, no password login); every session of the user ends."""
        password_hash = None
        if password is not None:
            check_user_password(password)
            password_hash = await asyncio.to_thread(hash_password, password)
        return await self._change(user_id_or_name, {"password_hash": password_hash}, end_sessions=True)

    async def authenticate(self, name: str, password: str) -> User | None:
        """The active user with this name and password; None otherwise (in about the same time
        whether or not the name exists)."""
        if len(password) > MAX_PASSWORD_LENGTH or len(name) > 64:
            return None
        row = await self._store.read(
            lambda connection: connection.execute(select(users).where(users.c.name == name)).first()
        )
        stored = row.password_hash if row is not None and row.password_hash else _DUMMY_HASH
        matches = await asyncio.to_thread(verify_password, password, stored)
        if row is None or row.password_hash is None or not matches or row.disabled_at is not None:
            return None
        return _user(row)

    async def oidc_user(self, issuer: str, subject: str, name: str, role: Role) -> User:
        """The user of an OpenID Connect identity, made on its first login; its role follows the
        provider's claim at each login. A name taken by another user gets the subject appended."""
        now = self._clock()

        def job(connection: Connection) -> int:
            found = connection.execute(
                select(users.c.id).where(users.c.oidc_issuer == issuer, users.c.oidc_subject == subject)
            ).first()
            if found is not None:
                connection.execute(update(users).where(users.c.id == found.id).values(role=role.value))
                return int(found.id)
            chosen = name
            if connection.execute(select(users.c.id).where(users.c.name == chosen)).first() is not None:
                chosen = f"{name[:40]}~{subject[:23]}"
            values = {
                "name": chosen,
                "role": role.value,
                "oidc_issuer": issuer,
                "oidc_subject": subject,
                "created_at": now,
            }
            return int(connection.execute(insert(users).values(**values).returning(users.c.id)).scalar_one())

        user_id = await self._store.write(job)
        return await self.require(user_id)

    async def logged_in(self, user_id: int) -> None:
        """Note the time of a successful login."""
        now = self._clock()
        await self._store.write(
            lambda connection: connection.execute(
                update(users).where(users.c.id == user_id).values(last_login_at=now)
            )
        )
