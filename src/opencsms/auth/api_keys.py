"""API keys: created with a role, stored as SHA-256 hashes, shown in full only once."""

from __future__ import annotations

import builtins
import hashlib
import hmac
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Select, func, insert, select, update
from sqlalchemy.engine import Connection, Row
from sqlalchemy.exc import IntegrityError

from opencsms.auth.roles import Role
from opencsms.store import Store
from opencsms.store.schema_accounts import users
from opencsms.store.schema_operator_api import api_keys

KEY_PREFIX = "ocsms_"
# last_used_at is a hint for operators, not an audit trail: write it at most this often per key.
_LAST_USED_RESOLUTION_S = 60.0


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is calling: a user (``name``) through an API key or a login session, with a role.

    A key acts as its user with at most the key's own role; a key without an owner (made by
    code, not by the API or CLI) is named after itself.
    """

    key_id: int | None
    name: str
    role: Role
    user_id: int | None = None
    key_name: str | None = None
    #: Set when the caller came through a login session (the browser cookie).
    session_id: int | None = None

    @property
    def auth(self) -> str:
        """How the caller authenticated: ``session`` or ``key``."""
        return "session" if self.session_id is not None else "key"


@dataclass(frozen=True, slots=True)
class ApiKey:
    id: int
    name: str
    role: Role
    key_prefix: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None
    user_id: int | None = None
    user_name: str | None = None


@dataclass(frozen=True, slots=True)
class CreatedKey:
    """A new key: its record and the key itself (not stored; show it once)."""

    record: ApiKey
    key: str


def hash_key(key: str) -> str:
    """SHA-256 (hex) of a key; keys are 32 random bytes, so no slow hash is needed."""
    return hashlib.sha256(key.encode()).hexdigest()


def _api_key(row: Row[Any]) -> ApiKey:
    return ApiKey(
        row.id,
        row.name,
        Role(row.role),
        row.key_prefix,
        row.created_at,
        row.last_used_at,
        row.revoked_at,
        row.user_id,
        row.user_name,
    )


def lesser(a: Role, b: Role) -> Role:
    """The role with fewer rights."""
    return a if a.rank <= b.rank else b


def _with_owner() -> Select[Any]:
    """api_keys with the owner's name, role and disabled time (``user_*``)."""
    return select(
        api_keys,
        users.c.name.label("user_name"),
        users.c.role.label("user_role"),
        users.c.disabled_at.label("user_disabled_at"),
    ).select_from(api_keys.outerjoin(users, api_keys.c.user_id == users.c.id))


def principal_of_key(row: Row[Any]) -> Principal | None:
    """The principal a key row of :func:`_with_owner` stands for; None when revoked or its owner
    is disabled."""
    if row.revoked_at is not None or row.user_disabled_at is not None:
        return None
    role = Role(row.role)
    if row.user_id is None:
        return Principal(row.id, row.name, role, key_name=row.name)
    return Principal(row.id, row.user_name, lesser(role, Role(row.user_role)), row.user_id, row.name)


class ApiKeyService:
    """Create, list, revoke and check API keys.

    Raises ``ValueError`` for a name already taken or a role above the owner's (:meth:`create`) and
    ``LookupError`` for an unknown key or owner (:meth:`create`, :meth:`revoke`).
    """

    def __init__(self, store: Store, *, clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self._store = store
        self._clock = clock
        self._last_used_written: dict[int, datetime] = {}

    @property
    def store(self) -> Store:
        return self._store

    async def create(self, name: str, role: Role | str, *, user_id: int | None = None) -> CreatedKey:
        """A new key for the user ``user_id`` (whose role it may not exceed)."""
        role = Role(role)
        key = KEY_PREFIX + secrets.token_urlsafe(32)
        now = self._clock()
        values = {
            "name": name,
            "role": role.value,
            "key_hash": hash_key(key),
            "key_prefix": key[: len(KEY_PREFIX) + 4],
            "created_at": now,
            "user_id": user_id,
        }

        # A refusal is returned, not raised: a raise would cost the whole write batch a retry.
        def job(connection: Connection) -> tuple[int, str | None] | Exception:
            owner_name = None
            if user_id is not None:
                owner = connection.execute(select(users).where(users.c.id == user_id)).first()
                if owner is None:
                    return LookupError(f"no user {user_id}")
                if not Role(owner.role).allows(role):
                    return ValueError(
                        f"{owner.name} is a {owner.role}: a key of theirs cannot be {role.value}"
                    )
                owner_name = owner.name
            taken = connection.execute(select(api_keys.c.id).where(api_keys.c.name == name)).first()
            if taken is not None:
                return ValueError(f"an API key named {name!r} exists already")
            result = connection.execute(insert(api_keys).values(**values).returning(api_keys.c.id))
            return int(result.scalar_one()), owner_name

        try:
            outcome = await self._store.write(job)
        except IntegrityError:  # made at the same moment by another node
            raise ValueError(f"an API key named {name!r} exists already") from None
        if isinstance(outcome, Exception):
            raise outcome
        key_id, owner_name = outcome
        record = ApiKey(key_id, name, role, str(values["key_prefix"]), now, None, None, user_id, owner_name)
        return CreatedKey(record, key)

    async def list(self, *, user_id: int | None = None) -> builtins.list[ApiKey]:
        """Every key, or those of one user."""
        query = _with_owner().order_by(api_keys.c.id)
        if user_id is not None:
            query = query.where(api_keys.c.user_id == user_id)
        rows = await self._store.read(lambda connection: connection.execute(query).all())
        return [_api_key(row) for row in rows]

    async def get(self, key_id: int) -> ApiKey | None:
        row = await self._store.read(
            lambda connection: connection.execute(_with_owner().where(api_keys.c.id == key_id)).first()
        )
        return _api_key(row) if row is not None else None

    async def name_taken(self, name: str) -> bool:
        """Whether a key has this name."""
        row = await self._store.read(
            lambda connection: connection.execute(
                select(api_keys.c.id).where(api_keys.c.name == name)
            ).first()
        )
        return row is not None

    async def count(self) -> int:
        return int(
            await self._store.read(
                lambda connection: connection.execute(select(func.count()).select_from(api_keys)).scalar_one()
            )
        )

    async def revoke(self, key_id_or_name: int | str) -> ApiKey:
        """Revoke a key by id or name; revoking twice keeps the first time."""
        column = api_keys.c.id if isinstance(key_id_or_name, int) else api_keys.c.name
        now = self._clock()

        def job(connection: Connection) -> Row[Any] | None:
            connection.execute(
                update(api_keys)
                .where(column == key_id_or_name, api_keys.c.revoked_at.is_(None))
                .values(revoked_at=now)
            )
            return connection.execute(_with_owner().where(column == key_id_or_name)).first()

        row = await self._store.write(job)
        if row is None:
            raise LookupError(f"no API key {key_id_or_name!r}")
        return _api_key(row)

    async def authenticate(self, key: str) -> Principal | None:
        """The principal of a valid, unrevoked key whose owner is not disabled; None otherwise."""
        if not key.startswith(KEY_PREFIX) or len(key) > 128:
            return None
        digest = hash_key(key)
        row = await self._store.read(
            lambda connection: connection.execute(_with_owner().where(api_keys.c.key_hash == digest)).first()
        )
        # The lookup is by hash, so timing reveals nothing about the key; compare anyway.
        if row is None or not hmac.compare_digest(row.key_hash, digest):
            return None
        principal = principal_of_key(row)
        if principal is not None:
            self._touch(row.id)
        return principal

    def _touch(self, key_id: int) -> None:
        now = self._clock()
        last = self._last_used_written.get(key_id)
        if last is not None and (now - last).total_seconds() < _LAST_USED_RESOLUTION_S:
            return
        self._last_used_written[key_id] = now

        def job(connection: Connection) -> None:
            connection.execute(update(api_keys).where(api_keys.c.id == key_id).values(last_used_at=now))

        future = self._store.write_behind(job)
        future.add_done_callback(lambda f: f.cancelled() or f.exception())
