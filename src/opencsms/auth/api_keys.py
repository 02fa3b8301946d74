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

from sqlalchemy import func, insert, select, update
from sqlalchemy.engine import Connection, Row
from sqlalchemy.exc import IntegrityError

from opencsms.auth.roles import Role
from opencsms.store import Store
from opencsms.store.schema_operator_api import api_keys

KEY_PREFIX = "ocsms_"
# last_used_at is a hint for operators, not an audit trail: write it at most this often per key.
_LAST_USED_RESOLUTION_S = 60.0


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is calling: the API key's id, name and role."""

    key_id: int
    name: str
    role: Role


@dataclass(frozen=True, slots=True)
class ApiKey:
    id: int
    name: str
    role: Role
    key_prefix: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


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
        row.id, row.name, Role(row.role), row.key_prefix, row.created_at, row.last_used_at, row.revoked_at
    )


class ApiKeyService:
    """Create, list, revoke and check API keys.

    Raises ``ValueError`` for a name already taken (:meth:`create`) and ``LookupError`` for an
    unknown key (:meth:`revoke`).
    """

    def __init__(self, store: Store, *, clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self._store = store
        self._clock = clock
        self._last_used_written: dict[int, datetime] = {}

    async def create(self, name: str, role: Role | str) -> CreatedKey:
        role = Role(role)
        key = KEY_PREFIX + secrets.token_urlsafe(32)
        now = self._clock()
        values = {
            "name": name,
            "role": role.value,
            "key_hash": hash_key(key),
            "key_prefix": key[: len(KEY_PREFIX) + 4],
            "created_at": now,
        }

        def job(connection: Connection) -> int:
            result = connection.execute(insert(api_keys).values(**values).returning(api_keys.c.id))
            return int(result.scalar_one())

        try:
            key_id = await self._store.write(job)
        except IntegrityError:
            raise ValueError(f"an API key named {name!r} exists already") from None
        record = ApiKey(key_id, name, role, str(values["key_prefix"]), now, None, None)
        return CreatedKey(record, key)

    async def list(self) -> builtins.list[ApiKey]:
        rows = await self._store.read(
            lambda connection: connection.execute(select(api_keys).order_by(api_keys.c.id)).all()
        )
        return [_api_key(row) for row in rows]

    async def get(self, key_id: int) -> ApiKey | None:
        row = await self._store.read(
            lambda connection: connection.execute(select(api_keys).where(api_keys.c.id == key_id)).first()
        )
        return _api_key(row) if row is not None else None

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
            return connection.execute(select(api_keys).where(column == key_id_or_name)).first()

        row = await self._store.write(job)
        if row is None:
            raise LookupError(f"no API key {key_id_or_name!r}")
        return _api_key(row)

    async def authenticate(self, key: str) -> Principal | None:
        """The principal of a valid, unrevoked key; None otherwise."""
        if not key.startswith(KEY_PREFIX) or len(key) > 128:
            return None
        digest = hash_key(key)
        row = await self._store.read(
            lambda connection: connection.execute(
                select(api_keys).where(api_keys.c.key_hash == digest)
            ).first()
        )
        # The lookup is by hash, so timing reveals nothing about the key; compare anyway.
        if row is None or not hmac.compare_digest(row.key_hash, digest) or row.revoked_at is not None:
            return None
        self._touch(row.id)
        return Principal(row.id, row.name, Role(row.role))

    async def principal(self, key_id: int) -> Principal | None:
        """The principal of an unrevoked key by id (for session tokens)."""
        key = await self.get(key_id)
        if key is None or key.revoked_at is not None:
            return None
        self._touch(key.id)
        return Principal(key.id, key.name, key.role)

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
