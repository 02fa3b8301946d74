"""Id tokens (RFID cards, app ids): list, create, replace, block, remove; groups via ``parent_id_token``."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query, Response
from pydantic import BaseModel, Field

from opencsms.api.deps import DomainDep
from opencsms.api.paging import Page, PageDep, PageParams, page_in_memory, page_params
from opencsms.api.problems import Problem
from opencsms.api.request_body import RequestBody
from opencsms.domain import registry
from opencsms.domain.model import AuthorizationStatus, IdToken

router = APIRouter(prefix="/api/v1/id-tokens", tags=["id tokens"])
groups_router = APIRouter(prefix="/api/v1/id-token-groups", tags=["id tokens"])

TokenValue = Annotated[str, Path(min_length=1, max_length=255, description="the token as stations send it")]
StorableStatus = Literal["Accepted", "Blocked", "Expired", "Invalid"]
_NOT_FOUND: dict[int | str, dict[str, Any]] = {404: {"description": "no such id token"}}


class IdTokenOut(BaseModel):
    id_token: str
    status: str
    expiry_date: datetime | None
    parent_id_token: str | None = Field(description="the token's group (1.6 parentIdTag, 2.0.1 groupIdToken)")
    token_type: str | None

    @classmethod
    def of(cls, token: IdToken) -> IdTokenOut:
        return cls(
            id_token=token.id_token,
            status=str(token.status),
            expiry_date=token.expiry_date,
            parent_id_token=token.parent_id_token,
            token_type=token.token_type,
        )


class IdTokenFields(RequestBody):
    status: StorableStatus = "Accepted"
    expiry_date: datetime | None = None
    parent_id_token: str | None = Field(default=None, max_length=255)
    token_type: str | None = Field(
        default=None, max_length=32, description="2.0.1 type: ISO14443, Central, ..."
    )


class IdTokenCreate(IdTokenFields):
    id_token: str = Field(min_length=1, max_length=255)


class TokenGroupOut(BaseModel):
    parent_id_token: str
    members: int


_SORT_FIELDS = {
    "id_token": lambda t: t.id_token,
    "status": lambda t: t.status,
    "expiry_date": lambda t: t.expiry_date,
    "parent_id_token": lambda t: t.parent_id_token,
}


@router.get("")
async def list_tokens(
    domain: DomainDep,
    page: Annotated[PageParams, Depends(page_params)],
    status: StorableStatus | None = None,
    parent_id_token: Annotated[str | None, Query(max_length=255, description="members of this group")] = None,
    q: Annotated[str | None, Query(max_length=255, description="part of the token")] = None,
) -> Page[IdTokenOut]:
    """Known id tokens. Sort by id_token, status, expiry_date, parent_id_token."""
    tokens = [IdTokenOut.of(t) for t in await domain.tokens.list()]
    selected = [
        t
        for t in tokens
        if (status is None or t.status == status)
        and (parent_id_token is None or t.parent_id_token == parent_id_token)
        and (q is None or q.lower() in t.id_token.lower())
    ]
    return page_in_memory(selected, page, _SORT_FIELDS, "id_token")


@groups_router.get("")
async def list_groups(domain: DomainDep, page: PageDep) -> Page[TokenGroupOut]:
    """Token groups (parent id tokens) with how many tokens each has. Sort by parent_id_token,
    members."""
    counts: dict[str, int] = {}
    for token in await domain.tokens.list():
        if token.parent_id_token:
            counts[token.parent_id_token] = counts.get(token.parent_id_token, 0) + 1
    groups = [TokenGroupOut(parent_id_token=g, members=n) for g, n in counts.items()]
    fields = {"parent_id_token": lambda g: g.parent_id_token, "members": lambda g: g.members}
    return page_in_memory(groups, page, fields, "parent_id_token")


@router.post("", status_code=201, responses={409: {"description": "the token exists"}})
async def create_token(domain: DomainDep, body: IdTokenCreate) -> IdTokenOut:
    """Add a token; 409 when it exists (replace it with PUT)."""
    if await domain.tokens.get(body.id_token) is not None:
        raise Problem(409, "Token exists", f"id token {body.id_token} exists; PUT replaces it")
    return await _put(domain, body.id_token, body)


@router.get("/{id_token}", responses=_NOT_FOUND)
async def get_token(id_token: TokenValue, domain: DomainDep) -> IdTokenOut:
    token = await domain.tokens.get(id_token)
    if token is None:
        raise Problem(404, "Not found", f"no id token {id_token}")
    return IdTokenOut.of(token)


@router.put("/{id_token}")
async def put_token(id_token: TokenValue, domain: DomainDep, body: IdTokenFields) -> IdTokenOut:
    """Add the token or replace everything known about it (status, expiry, group, type)."""
    return await _put(domain, id_token, body)


async def _put(domain: DomainDep, id_token: str, body: IdTokenFields) -> IdTokenOut:
    token = await domain.tokens.add(
        id_token,
        status=AuthorizationStatus(body.status),
        expiry_date=body.expiry_date,
        parent_id_token=body.parent_id_token,
        token_type=body.token_type,
    )
    return IdTokenOut.of(token)


@router.post("/{id_token}/block", responses=_NOT_FOUND)
async def block_token(id_token: TokenValue, domain: DomainDep) -> IdTokenOut:
    """Block the token: stations are told Blocked from now on."""
    try:
        return IdTokenOut.of(await domain.tokens.block(id_token))
    except LookupError as exc:
        raise Problem(404, "Not found", str(exc)) from exc


@router.delete("/{id_token}", status_code=204, responses=_NOT_FOUND)
async def delete_token(id_token: TokenValue, domain: DomainDep) -> Response:
    """Forget the token (stations are told Invalid); transactions keep its value."""
    if not await registry.delete_token(domain.store, id_token):
        raise Problem(404, "Not found", f"no id token {id_token}")
    return Response(status_code=204)
