"""Id tokens: authorization decisions and the token list."""

from __future__ import annotations

from datetime import timedelta

import pytest

from opencsms.domain import AuthorizationStatus, Domain, IdTokenInfo
from tests.domain.conftest import NOW

ACCEPTED = AuthorizationStatus.ACCEPTED


async def test_an_unknown_token_is_invalid(domain: Domain) -> None:
    assert await domain.tokens.authorize("NOPE", NOW) == IdTokenInfo(AuthorizationStatus.INVALID)


async def test_a_known_token_comes_with_its_expiry_and_parent(domain: Domain) -> None:
    expiry = NOW + timedelta(days=1)
    await domain.tokens.add("TAG", expiry_date=expiry, parent_id_token="FLEET", token_type="ISO14443")
    assert await domain.tokens.authorize("TAG", NOW) == IdTokenInfo(ACCEPTED, expiry, "FLEET")


async def test_an_accepted_token_past_its_expiry_is_expired(domain: Domain) -> None:
    await domain.tokens.add("TAG", expiry_date=NOW - timedelta(seconds=1), parent_id_token="FLEET")
    info = await domain.tokens.authorize("TAG", NOW)
    assert (info.status, info.parent_id_token) == (AuthorizationStatus.EXPIRED, "FLEET")
    assert (await domain.tokens.authorize("TAG", NOW - timedelta(days=1))).status is ACCEPTED


@pytest.mark.parametrize(
    "status", [AuthorizationStatus.BLOCKED, AuthorizationStatus.EXPIRED, AuthorizationStatus.INVALID]
)
async def test_a_stored_status_other_than_accepted_stands(
    domain: Domain, status: AuthorizationStatus
) -> None:
    await domain.tokens.add("TAG", status=status, expiry_date=NOW + timedelta(days=1))
    assert (await domain.tokens.authorize("TAG", NOW)).status is status


async def test_block_blocks_a_known_token(domain: Domain) -> None:
    await domain.tokens.add("TAG", parent_id_token="FLEET")
    blocked = await domain.tokens.block("TAG")
    assert (blocked.status, blocked.parent_id_token) == (AuthorizationStatus.BLOCKED, "FLEET")
    assert (await domain.tokens.authorize("TAG", NOW)).status is AuthorizationStatus.BLOCKED


async def test_blocking_an_unknown_token_raises_lookup_error(domain: Domain) -> None:
    with pytest.raises(LookupError, match="NOPE"):
        await domain.tokens.block("NOPE")


async def test_add_replaces_what_was_stored(domain: Domain) -> None:
    await domain.tokens.add(
        "TAG", status=AuthorizationStatus.BLOCKED, parent_id_token="OLD", token_type="Central"
    )
    token = await domain.tokens.add("TAG")
    assert (token.status, token.parent_id_token, token.token_type) == (ACCEPTED, None, None)
    assert await domain.tokens.get("TAG") == token


@pytest.mark.parametrize("status", [AuthorizationStatus.CONCURRENT_TX, AuthorizationStatus.UNKNOWN])
async def test_a_situation_is_not_a_token_status(domain: Domain, status: AuthorizationStatus) -> None:
    with pytest.raises(ValueError, match=status.value):
        await domain.tokens.add("TAG", status=status)
    assert await domain.tokens.get("TAG") is None


async def test_list_returns_every_token_in_order(domain: Domain) -> None:
    for name in ("B", "A", "C"):
        await domain.tokens.add(name)
    assert [token.id_token for token in await domain.tokens.list()] == ["A", "B", "C"]
