"""2.0.1 block C, Authorization: Authorize (station -> CSMS)."""

from __future__ import annotations

from opencsms.domain.model import AuthorizationStatus, IdTokenInfo
from opencsms.handlers.context import Handler, Payload, StationContext
from opencsms.handlers.registration import refuse_unless_accepted
from opencsms.handlers.v201.common import id_token_info

#: Token types that carry no identity to look up (C01: NoAuthorization; Central tokens are the CSMS's own).
UNCHECKED_TYPES = frozenset({"NoAuthorization"})


async def authorize(ctx: StationContext, payload: Payload) -> Payload:
    """C01.FR.01/02, C05 (group id token), C10 (cache expiry): the token's status."""
    refuse_unless_accepted(ctx, "Authorize")
    token = payload["idToken"]
    if token.get("type") in UNCHECKED_TYPES:
        info = IdTokenInfo(AuthorizationStatus.ACCEPTED)
    else:
        info = await ctx.domain.tokens.authorize(token["idToken"], ctx.clock())
    return {"idTokenInfo": id_token_info(info)}


HANDLERS: dict[str, Handler] = {"Authorize": authorize}
