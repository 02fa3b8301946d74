"""API keys in the store: hashed at rest, checked, revoked."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import select

from opencsms.auth import ApiKeyService, Role
from opencsms.auth.api_keys import hash_key
from opencsms.store import Store
from opencsms.store.schema_operator_api import api_keys


@pytest.fixture
async def keys(tmp_path: Path) -> AsyncIterator[ApiKeyService]:
    store = await Store.open(f"sqlite+aiosqlite:///{tmp_path / 'k.db'}")
    try:
        yield ApiKeyService(store)
    finally:
        await store.close()


async def test_only_the_hash_of_a_key_is_stored(keys: ApiKeyService) -> None:
    created = await keys.create("ops", "operator")
    rows = await keys._store.read(lambda c: c.execute(select(api_keys)).all())
    assert len(rows) == 1 and created.key not in [str(v) for v in rows[0]]
    assert rows[0].key_hash == hash_key(created.key) and len(created.key) > 40


async def test_a_key_authenticates_as_its_name_and_role_until_revoked(keys: ApiKeyService) -> None:
    created = await keys.create("ops", Role.OPERATOR)
    principal = await keys.authenticate(created.key)
    assert principal is not None and (principal.name, principal.role) == ("ops", Role.OPERATOR)
    assert await keys.authenticate(created.key + "x") is None
    assert await keys.authenticate("not-a-key") is None
    revoked = await keys.revoke("ops")
    assert revoked.revoked_at is not None
    assert await keys.authenticate(created.key) is None


async def test_names_are_unique_and_unknown_keys_cannot_be_revoked(keys: ApiKeyService) -> None:
    await keys.create("ops", "viewer")
    with pytest.raises(ValueError, match="exists"):
        await keys.create("ops", "admin")
    with pytest.raises(LookupError):
        await keys.revoke(42)
    with pytest.raises(ValueError):
        await keys.create("x", "superuser")
    assert await keys.count() == 1
