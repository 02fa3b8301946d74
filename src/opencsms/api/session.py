"""Browser sessions: trade an API key for an HttpOnly cookie (the dashboard and EventSource use it)."""

from __future__ import annotations

import time

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, Field

from opencsms.api.deps import SESSION_COOKIE, PrincipalDep, api_state
from opencsms.api.problems import Problem
from opencsms.api.request_body import RequestBody

router = APIRouter(prefix="/api/v1/session", tags=["auth"])


class Login(RequestBody):
    api_key: str = Field(min_length=1, max_length=256)


class SessionOut(BaseModel):
    name: str
    role: str


@router.post("", responses={401: {"description": "the key is not valid"}})
async def log_in(login: Login, request: Request, response: Response) -> SessionOut:
    """Check the key and set the ``opencsms_session`` cookie (HttpOnly, SameSite=Strict)."""
    state = api_state(request)
    principal = await state.api_keys.authenticate(login.api_key)
    if principal is None:
        raise Problem(401, "Unauthorized", "this API key is not valid (unknown or revoked)")
    token = state.signer.issue(principal.key_id, int(time.time()) + state.session_ttl)
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=state.session_ttl,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
        path="/",
    )
    return SessionOut(name=principal.name, role=principal.role.value)


@router.get("")
async def who_am_i(principal: PrincipalDep) -> SessionOut:
    """The caller's key name and role."""
    return SessionOut(name=principal.name, role=principal.role.value)


@router.delete("", status_code=204)
async def log_out(response: Response) -> None:
    """Clear the session cookie."""
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="strict")
