"""API key management (admin only)."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field

from opencsms.api.deps import Admin, get_api_keys
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
        )


class ApiKeyCreate(RequestBody):
    name: str = Field(min_length=1, max_length=64)
    role: Role = Role.VIEWER


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


@router.post("", status_code=201, responses={409: {"description": "the name is taken"}})
async def create_key(request: Request, body: ApiKeyCreate) -> ApiKeyCreated:
    """Create a key; the answer holds the key, which is not shown again."""
    try:
        created = await _keys(request).create(body.name, body.role)
    except ValueError as exc:
        raise Problem(409, "Name taken", str(exc)) from exc
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
