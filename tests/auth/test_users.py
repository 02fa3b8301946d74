"""Users in the store: scrypt passwords, roles, disabling; keys act as their owner."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from opencsms.auth import ApiKeyService, LoginSessionService, Role, UserService, WeakUserPassword
from opencsms.store import Store
from opencsms.store.schema_accounts import users as users_table

PASSWORD = "correct horse battery"


async def test_a_password_is_stored_as_a_scrypt_hash_and_checked(store: Store) -> None:
    users = UserService(store)
    created = await users.create("alice", Role.OPERATOR, PASSWORD)
    assert created.has_password and created.role is Role.OPERATOR
    stored = await store.read(lambda c: c.execute(select(users_table.c.password_hash)).scalar_one())
    assert stored.startswith("scrypt$") and PASSWORD not in stored
    found = await users.authenticate("alice", PASSWORD)
    assert found is not None and found.id == created.id
    assert await users.authenticate("alice", PASSWORD + "!") is None
    assert await users.authenticate("bob", PASSWORD) is None


async def test_names_are_unique_and_passwords_have_rules(store: Store) -> None:
    users = UserService(store)
    await users.create("alice", "viewer")
    with pytest.raises(ValueError, match="exists"):
        await users.create("alice", "admin")
    with pytest.raises(WeakUserPassword):
        await users.create("bob", "viewer", "short")
    with pytest.raises(WeakUserPassword):
        await users.set_password("alice", "x" * 300)
    with pytest.raises(LookupError):
        await users.disable("nobody")
    # A user without a password cannot log in with one.
    assert await users.authenticate("alice", "") is None


async def test_disabling_a_user_stops_their_keys_and_sessions_at_once(store: Store) -> None:
    users, keys, sessions = UserService(store), ApiKeyService(store), LoginSessionService(store)
    alice = await users.create("alice", Role.ADMIN, PASSWORD)
    key = await keys.create("alice-ci", Role.OPERATOR, user_id=alice.id)
    token, _ = await sessions.start("password", user_id=alice.id)
    by_key = await keys.authenticate(key.key)
    assert by_key is not None and (by_key.name, by_key.key_name, by_key.role) == (
        "alice",
        "alice-ci",
        "operator",
    )
    by_session = await sessions.principal(token)
    assert by_session is not None and (by_session.name, by_session.role) == ("alice", Role.ADMIN)

    await users.disable("alice")
    assert await keys.authenticate(key.key) is None
    assert await sessions.principal(token) is None
    assert await users.authenticate("alice", PASSWORD) is None
    # Enabling again lets the keys work; the ended sessions stay ended.
    await users.enable("alice")
    assert await keys.authenticate(key.key) is not None
    assert await sessions.principal(token) is None


async def test_a_key_has_at_most_its_owners_role(store: Store) -> None:
    users, keys = UserService(store), ApiKeyService(store)
    bob = await users.create("bob", Role.OPERATOR)
    with pytest.raises(ValueError, match="cannot be admin"):
        await keys.create("bob-admin", Role.ADMIN, user_id=bob.id)
    with pytest.raises(LookupError):
        await keys.create("ghost", Role.VIEWER, user_id=999)
    key = await keys.create("bob-ci", Role.OPERATOR, user_id=bob.id)
    await users.set_role("bob", Role.VIEWER)  # demoted: the key follows
    principal = await keys.authenticate(key.key)
    assert principal is not None and principal.role is Role.VIEWER


async def test_a_session_ends_on_logout_revoke_expiry_and_password_change(store: Store) -> None:
    now = datetime(2026, 12, 7, 12, tzinfo=UTC)
    users = UserService(store)
    sessions = LoginSessionService(store, ttl=timedelta(hours=1), clock=lambda: now)
    alice = await users.create("alice", Role.VIEWER, PASSWORD)
    first, _ = await sessions.start("password", user_id=alice.id, client_address="127.0.0.9")
    second, record = await sessions.start("password", user_id=alice.id)
    third, _ = await sessions.start("password", user_id=alice.id)
    assert [s.id for s in await sessions.list(user_id=alice.id)] == [record.id + 1, record.id, record.id - 1]

    assert await sessions.end(first) is not None
    assert await sessions.principal(first) is None
    revoked = await sessions.revoke(record.id)
    assert revoked.revoked_at == now and await sessions.principal(second) is None
    with pytest.raises(LookupError):
        await sessions.revoke(99999)
    assert await sessions.principal(third) is not None
    later = LoginSessionService(store, clock=lambda: now + timedelta(hours=1))
    assert await later.principal(third) is None  # expired
    assert await sessions.principal(third) is not None
    await users.set_password("alice", PASSWORD + "2")
    assert await sessions.principal(third) is None
    assert await sessions.list(user_id=alice.id) == []


async def test_an_oidc_identity_gets_one_user_whose_role_follows_the_provider(store: Store) -> None:
    users = UserService(store)
    await users.create("alice", Role.ADMIN, PASSWORD)  # a local user with the same name
    first = await users.oidc_user("http://idp", "sub-1", "alice", Role.OPERATOR)
    assert first.name != "alice" and first.name.startswith("alice") and first.oidc_issuer == "http://idp"
    again = await users.oidc_user("http://idp", "sub-1", "alice", Role.VIEWER)
    assert again.id == first.id and again.role is Role.VIEWER
    other = await users.oidc_user("http://other", "sub-1", "carol", Role.VIEWER)
    assert other.id != first.id
