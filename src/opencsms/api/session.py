"""Browser sessions: log in with a user name and password (or an API key) for an HttpOnly cookie
(the dashboard and EventSource use it). Sessions live in the database, so logging out, an
admin's revoke or disabling the user ends one at once, on every node."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, Field

from opencsms.api.audit_trail import ATTEMPTED_USER, AUDIT_ACTION, PRINCIPAL
from opencsms.api.client_address import client_address
from opencsms.api.deps import SESSION_COOKIE, PrincipalDep, api_state
from opencsms.api.problems import Problem
from opencsms.api.request_body import RequestBody
from opencsms.auth import Principal

router = APIRouter(prefix="/api/v1/session", tags=["auth"])


class Login(RequestBody):
    """Either ``user`` and ``password``, or ``api_key``."""

    user: str | None = Field(None, min_length=1, max_length=64, description="a user's name")
    password: str | None = Field(None, min_length=1, max_length=256, description="that user's password")
    api_key: str | None = Field(None, min_length=1, max_length=256, description="an API key instead")


class SessionOut(BaseModel):
    name: str = Field(description="the user (or, for a key without an owner, the key)")
    role: str
    key: str | None = Field(None, description="the API key used, if any")
    auth: str = Field(description="key or session")


def set_session_cookie(request: Request, response: Response, token: str) -> None:
    """The ``opencsms_session`` cookie: HttpOnly, SameSite=Strict, Secure over https."""
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=int(api_state(request).login_sessions.ttl.total_seconds()),
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
        path="/",
    )


def _out(principal: Principal) -> SessionOut:
    return SessionOut(
        name=principal.name, role=principal.role.value, key=principal.key_name, auth=principal.auth
    )


@router.post(
    "",
    responses={
        401: {"description": "unknown user, wrong password, disabled user, or a key not valid"},
        422: {"description": "neither user and password nor api_key"},
    },
)
async def log_in(login: Login, request: Request, response: Response) -> SessionOut:
    """Check the credentials, start a session and set the ``opencsms_session`` cookie."""
    state = api_state(request)
    address = client_address(request.scope)
    if login.api_key is not None:
        setattr(request.state, AUDIT_ACTION, "login api_key")
        setattr(request.state, ATTEMPTED_USER, f"key {login.api_key[:10]}...")
        principal = await state.api_keys.authenticate(login.api_key)
        if principal is None:
            raise Problem(401, "Unauthorized", "this API key is not valid (unknown or revoked)")
        token, session = await state.login_sessions.start(
            "api_key", user_id=principal.user_id, api_key_id=principal.key_id, client_address=address
        )
    elif login.user is not None and login.password is not None:
        setattr(request.state, AUDIT_ACTION, "login password")
        setattr(request.state, ATTEMPTED_USER, login.user)
        user = await state.users.authenticate(login.user, login.password)
        if user is None:
            raise Problem(401, "Unauthorized", "wrong user name or password (or the user is disabled)")
        token, session = await state.login_sessions.start("password", user_id=user.id, client_address=address)
        await state.users.logged_in(user.id)
        principal = Principal(None, user.name, user.role, user.id)
    else:
        raise Problem(422, "Invalid request", "body: send user and password, or api_key")
    principal = Principal(
        principal.key_id, principal.name, principal.role, principal.user_id, principal.key_name, session.id
    )
    setattr(request.state, PRINCIPAL, principal)
    set_session_cookie(request, response, token)
    return _out(principal)


@router.get("")
async def who_am_i(principal: PrincipalDep) -> SessionOut:
    """The caller's user name, role, and the key if one was used."""
    return _out(principal)


@router.delete("", status_code=204)
async def log_out(request: Request, response: Response) -> None:
    """End the session (at once, on every node) and clear the cookie."""
    state = api_state(request)
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        principal = await state.login_sessions.principal(token)
        if principal is not None:
            setattr(request.state, PRINCIPAL, principal)
            setattr(request.state, AUDIT_ACTION, "logout")
        await state.login_sessions.end(token)
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="strict")
