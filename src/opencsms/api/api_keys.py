"""API key management (admin only)."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field

from opencsms.api.deps import Admin, PrincipalDep, get_api_keys
from opencsms.api.paging import Page, PageParams, page_in_memory, page_params
from opencsms.api.problems import Problem
from opencsms.api.request_body import RequestBody
from opencsms.auth import ApiKey, ApiKeyService, Role

router = APIRouter(prefix="/api/v1/api-keys", tags=["auth"], dependencies=[Admin])


class ApiKeyOut(BaseModel):
    id: int
    name: str
    role: Role
    key_prefix: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None
    user_id: int | None = Field(description="the user the key belongs to (it acts as them)")
    user_name: str | None

    @classmethod
    def of(cls, key: ApiKey) -> ApiKeyOut:
        return cls(
            id=key.id,
            name=key.name,
            role=key.role,
            key_prefix=key.key_prefix,
            created_at=key.created_at,
            last_used_at=key.last_used_at,
            revoked_at=key.revoked_at,
            user_id=key.user_id,
            user_name=key.user_name,
        )


class ApiKeyCreate(RequestBody):
    name: str = Field(min_length=1, max_length=64)
    role: Role = Role.VIEWER
    user_id: int | None = Field(
        None,
        ge=1,
        le=2**31 - 1,
        description="the owner (default: the caller); the key's role is at most theirs",
    )


class ApiKeyCreated(ApiKeyOut):
    key: str = Field(description="the key itself; shown only in this answer")


def _keys(request: Request) -> ApiKeyService:
    return get_api_keys(request)


@router.get("")
async def list_keys(
    request: Request,
    page: PageParams = Depends(page_params),  # noqa: B008
) -> Page[ApiKeyOut]:
    """API keys (never the keys themselves). Sort by id, name, role, created_at."""
    keys = [ApiKeyOut.of(k) for k in await _keys(request).list()]
    fields = {
        "id": lambda k: k.id,
        "name": lambda k: k.name,
        "role": lambda k: k.role.rank,
        "created_at": lambda k: k.created_at,
    }
    return page_in_memory(keys, page, fields, "id")


@router.post(
    "",
    status_code=201,
    responses={
        409: {"description": "the name is taken"},
        422: {"description": "no such owner, or a role above the owner's"},
    },
)
async def create_key(request: Request, body: ApiKeyCreate, principal: PrincipalDep) -> ApiKeyCreated:
    """Create a key for a user; the answer holds the key, which is not shown again."""
    owner = body.user_id if body.user_id is not None else principal.user_id
    if owner is None:
        raise Problem(422, "Invalid request", "user_id: name the user the key belongs to")
    if await _keys(request).name_taken(body.name):
        raise Problem(409, "Name taken", f"an API key named {body.name!r} exists already")
    try:
        created = await _keys(request).create(body.name, body.role, user_id=owner)
    except LookupError as exc:
        raise Problem(422, "Invalid request", f"user_id: {exc}") from exc
    except ValueError as exc:
        raise Problem(422, "Invalid request", f"role: {exc}") from exc
    return ApiKeyCreated(**ApiKeyOut.of(created.record).model_dump(), key=created.key)


@router.delete("/{key_id}", responses={404: {"description": "no such key"}})
async def revoke_key(request: Request, key_id: int) -> ApiKeyOut:
    """Revoke a key: it stops working at once (sessions made with it too)."""
    if not 0 < key_id < 2**31:
        raise Problem(404, "Not found", f"no API key {key_id}")
    try:
        return ApiKeyOut.of(await _keys(request).revoke(key_id))
    except LookupError as exc:
        raise Problem(404, "Not found", str(exc)) from exc
