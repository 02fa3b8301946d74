"""2.0.1 block C handler: Authorize."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from opencsms.domain import AuthorizationStatus
from opencsms.handlers.context import StationContext
from opencsms.handlers.v201.authorization import authorize
from opencsms.ocppj.errors import SecurityError


@pytest.mark.parametrize(
    "kind", ["Central", "eMAID", "ISO14443", "ISO15693", "KeyCode", "Local", "MacAddress"]
)
async def test_every_token_type_is_looked_up(ctx: StationContext, kind: str) -> None:
    await ctx.domain.tokens.add("KNOWN")
    assert await authorize(ctx, {"idToken": {"idToken": "KNOWN", "type": kind}}) == {
        "idTokenInfo": {"status": "Accepted"}
    }
    assert await authorize(ctx, {"idToken": {"idToken": "OTHER", "type": kind}}) == {
        "idTokenInfo": {"status": "Invalid"}
    }


async def test_no_authorization_needs_no_known_token(ctx: StationContext) -> None:
    assert await authorize(ctx, {"idToken": {"idToken": "", "type": "NoAuthorization"}}) == {
        "idTokenInfo": {"status": "Accepted"}
    }


async def test_group_token_and_cache_expiry_are_in_the_answer(ctx: StationContext) -> None:
    await ctx.domain.tokens.add("GROUP")
    await ctx.domain.tokens.add("CARD", parent_id_token="GROUP", expiry_date=datetime(2027, 5, 1, tzinfo=UTC))
    answer = await authorize(ctx, {"idToken": {"idToken": "CARD", "type": "ISO14443"}})
    assert answer == {
        "idTokenInfo": {
            "status": "Accepted",
            "cacheExpiryDateTime": "2027-05-01T00:00:00.000Z",
            "groupIdToken": {"idToken": "GROUP", "type": "Central"},
        }
    }


async def test_blocked_token_and_rejected_station(ctx: StationContext) -> None:
    await ctx.domain.tokens.add("BAD", status=AuthorizationStatus.BLOCKED)
    assert (await authorize(ctx, {"idToken": {"idToken": "BAD", "type": "ISO14443"}}))["idTokenInfo"] == {
        "status": "Blocked"
    }
    ctx.registration = "Rejected"
    with pytest.raises(SecurityError):
        await authorize(ctx, {"idToken": {"idToken": "BAD", "type": "ISO14443"}})
