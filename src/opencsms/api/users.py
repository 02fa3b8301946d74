"""Staff accounts and their login sessions over HTTP (admin only)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query
from pydantic import BaseModel, Field

from opencsms.api.deps import Admin, LoginSessionsDep, UsersDep
from opencsms.api.paging import Page, PageParams, page_in_memory, page_params
from opencsms.api.problems import Problem
from opencsms.api.request_body import RequestBody
from opencsms.auth import LoginSession, Role, User, WeakUserPassword
from opencsms.auth.users import MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH, NAME_PATTERN

router = APIRouter(prefix="/api/v1", tags=["users"], dependencies=[Admin])

UserId = Annotated[int, Path(ge=1, le=2**31 - 1, description="the user's id")]


class UserOut(BaseModel):
    id: int
    name: str
    role: Role
    has_password: bool
    oidc: bool = Field(description="made by an OpenID Connect login")
    created_at: datetime
    disabled_at: datetime | None
    last_login_at: datetime | None

    @classmethod
    def of(cls, user: User) -> UserOut:
        return cls(
            id=user.id,
            name=user.name,
            role=user.role,
            has_password=user.has_password,
            oidc=user.oidc_issuer is not None,
            created_at=user.created_at,
            disabled_at=user.disabled_at,
            last_login_at=user.last_login_at,
        )


class UserCreate(RequestBody):
    name: str = Field(pattern=NAME_PATTERN, description="letters, digits and . _ @ + -, at most 64")
    role: Role = Role.VIEWER
    password: str | None = Field(
        None,
        min_length=MIN_PASSWORD_LENGTH,
        max_length=MAX_PASSWORD_LENGTH,
        description="left out: the user logs in with API keys (or OpenID Connect) only",
    )


class UserChange(RequestBody):
    role: Role | None = None
    disabled: bool | None = Field(None, description="true: the user's sessions end and keys stop at once")


class PasswordSet(RequestBody):
    password: str | None = Field(
        None,
        min_length=MIN_PASSWORD_LENGTH,
        max_length=MAX_PASSWORD_LENGTH,
        description="the new password; null: no password login. Every session of the user ends",
    )


class LoginSessionOut(BaseModel):
    id: int
    user_id: int | None
    user_name: str | None
    api_key_id: int | None
    method: str
    client_address: str | None
    created_at: datetime
    expires_at: datetime
    revoked_at: datetime | None

    @classmethod
    def of(cls, session: LoginSession) -> LoginSessionOut:
        return cls(
            id=session.id,
            user_id=session.user_id,
            user_name=session.user_name,
            api_key_id=session.api_key_id,
            method=session.method,
            client_address=session.client_address,
            created_at=session.created_at,
            expires_at=session.expires_at,
            revoked_at=session.revoked_at,
        )


_NOT_FOUND: dict[int | str, dict[str, str]] = {404: {"description": "no such user"}}


@router.get("/users")
async def list_users(
    users: UsersDep,
    page: PageParams = Depends(page_params),  # noqa: B008
) -> Page[UserOut]:
    """Users. Sort by id, name, role, created_at, last_login_at."""
    found = [UserOut.of(u) for u in await users.list()]
    fields = {
        "id": lambda u: u.id,
        "name": lambda u: u.name,
        "role": lambda u: u.role.rank,
        "created_at": lambda u: u.created_at,
        "last_login_at": lambda u: u.last_login_at,
    }
    return page_in_memory(found, page, fields, "id")


@router.post("/users", status_code=201, responses={409: {"description": "the name is taken"}})
async def create_user(users: UsersDep, body: UserCreate) -> UserOut:
    """Create a user; without a password it logs in with API keys (or OpenID Connect) only."""
    try:
        return UserOut.of(await users.create(body.name, body.role, body.password))
    except WeakUserPassword as exc:
        raise Problem(422, "Invalid request", f"password: {exc}") from exc
    except ValueError as exc:
        raise Problem(409, "Name taken", str(exc)) from exc


async def _user(users: UsersDep, user_id: int) -> User:
    user = await users.get(user_id)
    if user is None:
        raise Problem(404, "Not found", f"no user {user_id}")
    return user


@router.get("/users/{user_id}", responses=_NOT_FOUND)
async def get_user(users: UsersDep, user_id: UserId) -> UserOut:
    return UserOut.of(await _user(users, user_id))


@router.patch("/users/{user_id}", responses=_NOT_FOUND)
async def change_user(users: UsersDep, user_id: UserId, body: UserChange) -> UserOut:
    """Change the role (the user's sessions end) or disable / enable the user."""
    user = await _user(users, user_id)
    if body.role is not None and body.role != user.role:
        user = await users.set_role(user.id, body.role)
    if body.disabled is True:
        user = await users.disable(user.id)
    elif body.disabled is False:
        user = await users.enable(user.id)
    return UserOut.of(user)


@router.put("/users/{user_id}/password", responses=_NOT_FOUND)
async def set_password(users: UsersDep, user_id: UserId, body: PasswordSet) -> UserOut:
    """Set (or, with null, remove) the user's password; every session of the user ends."""
    await _user(users, user_id)
    return UserOut.of(await users.set_password(user_id, body.password))


@router.get("/login-sessions")
async def list_login_sessions(
    sessions: LoginSessionsDep,
    user_id: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None,
    active: Annotated[bool, Query(description="only sessions still valid")] = True,
    page: PageParams = Depends(page_params),  # noqa: B008
) -> Page[LoginSessionOut]:
    """Dashboard login sessions, newest first. Sort by id, created_at, expires_at."""
    found = [LoginSessionOut.of(s) for s in await sessions.list(user_id=user_id, active=active)]
    fields = {
        "id": lambda s: s.id,
        "created_at": lambda s: s.created_at,
        "expires_at": lambda s: s.expires_at,
    }
    return page_in_memory(found, page, fields, "-id")


@router.delete("/login-sessions/{session_id}", responses={404: {"description": "no such session"}})
async def revoke_login_session(
    sessions: LoginSessionsDep,
    session_id: Annotated[int, Path(ge=1, le=2**31 - 1)],
) -> LoginSessionOut:
    """End a session at once, on every node."""
    try:
        return LoginSessionOut.of(await sessions.revoke(session_id))
    except LookupError as exc:
        raise Problem(404, "Not found", str(exc)) from exc
