"""Webhooks: register URLs with an event filter and a secret; see every delivery's outcome."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Request, Response
from pydantic import AnyHttpUrl, BaseModel, Field

from opencsms.api.deps import api_state
from opencsms.api.paging import Page, PageParams, page_in_memory, page_params
from opencsms.api.problems import Problem
from opencsms.api.request_body import RequestBody
from opencsms.domain.events import DomainEvent
from opencsms.webhooks import Delivery, Webhook, WebhookService

router = APIRouter(prefix="/api/v1/webhooks", tags=["webhooks"])

WebhookId = Annotated[int, Path(ge=1, le=2**31 - 1)]
_NOT_FOUND: dict[int | str, dict[str, Any]] = {404: {"description": "no such webhook"}}
EventKinds = Annotated[
    list[Annotated[str, Field(min_length=1, max_length=64)]],
    Field(max_length=50, description="event kinds (`transaction.*` for a family); empty: every kind"),
]
StationIds = Annotated[
    list[Annotated[str, Field(min_length=1, max_length=48)]],
    Field(max_length=1000, description="stations; empty: every station"),
]
Secret = Annotated[str, Field(min_length=16, max_length=256)]


class WebhookOut(BaseModel):
    id: int
    url: str
    event_kinds: list[str]
    station_ids: list[str]
    active: bool
    description: str | None
    created_at: datetime

    @classmethod
    def of(cls, hook: Webhook) -> WebhookOut:
        return cls(
            id=hook.id,
            url=hook.url,
            event_kinds=list(hook.event_kinds),
            station_ids=list(hook.station_ids),
            active=hook.active,
            description=hook.description,
            created_at=hook.created_at,
        )


class WebhookCreated(WebhookOut):
    secret: str = Field(description="signs deliveries (HMAC-SHA256); shown only in this answer")


class WebhookCreate(RequestBody):
    url: AnyHttpUrl
    secret: Secret | None = Field(default=None, description="generated when left out")
    event_kinds: EventKinds = []
    station_ids: StationIds = []
    active: bool = True
    description: str | None = Field(default=None, max_length=500)


class WebhookUpdate(RequestBody):
    url: AnyHttpUrl | None = None
    secret: Secret | None = None
    event_kinds: EventKinds | None = None
    station_ids: StationIds | None = None
    active: bool | None = None
    description: str | None = Field(default=None, max_length=500)


class DeliveryOut(BaseModel):
    id: int
    webhook_id: int
    event_kind: str
    station_id: str
    payload: dict[str, Any]
    status: Literal["pending", "delivered", "failed"]
    attempts: int
    response_status: int | None
    error: str | None
    created_at: datetime
    next_attempt_at: datetime | None
    finished_at: datetime | None

    @classmethod
    def of(cls, d: Delivery) -> DeliveryOut:
        return cls.model_validate(
            {
                "id": d.id,
                "webhook_id": d.webhook_id,
                "event_kind": d.event_kind,
                "station_id": d.station_id,
                "payload": d.payload,
                "status": d.status,
                "attempts": d.attempts,
                "response_status": d.response_status,
                "error": d.error,
                "created_at": d.created_at,
                "next_attempt_at": d.next_attempt_at,
                "finished_at": d.finished_at,
            }
        )


def _service(request: Request) -> WebhookService:
    service = api_state(request).webhooks
    if service is None:
        raise Problem(503, "Unavailable", "webhooks are not running")
    return service


async def _hook(request: Request, webhook_id: int) -> Webhook:
    hook = await _service(request).get(webhook_id)
    if hook is None:
        raise Problem(404, "Not found", f"no webhook {webhook_id}")
    return hook


@router.get("")
async def list_webhooks(
    request: Request, page: Annotated[PageParams, Depends(page_params)]
) -> Page[WebhookOut]:
    """Registered webhooks (never their secrets). Sort by id, url."""
    hooks = [WebhookOut.of(h) for h in await _service(request).list()]
    return page_in_memory(hooks, page, {"id": lambda h: h.id, "url": lambda h: h.url}, "id")


@router.post("", status_code=201)
async def create_webhook(request: Request, body: WebhookCreate) -> WebhookCreated:
    """Register a URL for the events matching the filter."""
    hook = await _service(request).create(
        str(body.url),
        secret=body.secret,
        event_kinds=body.event_kinds,
        station_ids=body.station_ids,
        description=body.description,
        active=body.active,
    )
    return WebhookCreated(**WebhookOut.of(hook).model_dump(), secret=hook.secret)


@router.get("/{webhook_id}", responses=_NOT_FOUND)
async def get_webhook(request: Request, webhook_id: WebhookId) -> WebhookOut:
    return WebhookOut.of(await _hook(request, webhook_id))


@router.patch("/{webhook_id}", responses=_NOT_FOUND)
async def update_webhook(request: Request, webhook_id: WebhookId, body: WebhookUpdate) -> WebhookOut:
    """Change the URL, secret, filter, description, or pause it (``active: false``)."""
    changes = body.model_dump(exclude_unset=True)
    if "url" in changes and changes["url"] is not None:
        changes["url"] = str(body.url)
    changes = {k: v for k, v in changes.items() if v is not None or k == "description"}
    hook = await _service(request).update(webhook_id, **changes)
    if hook is None:
        raise Problem(404, "Not found", f"no webhook {webhook_id}")
    return WebhookOut.of(hook)


@router.delete("/{webhook_id}", status_code=204, responses=_NOT_FOUND)
async def delete_webhook(request: Request, webhook_id: WebhookId) -> Response:
    """Remove the webhook and its delivery log."""
    if not await _service(request).delete(webhook_id):
        raise Problem(404, "Not found", f"no webhook {webhook_id}")
    return Response(status_code=204)


@router.get("/{webhook_id}/deliveries", responses=_NOT_FOUND)
async def list_deliveries(
    request: Request,
    webhook_id: WebhookId,
    page: Annotated[PageParams, Depends(page_params)],
    status: Literal["pending", "delivered", "failed"] | None = None,
) -> Page[DeliveryOut]:
    """Deliveries and their outcome (attempts, last HTTP status or error), newest first. Sort by id."""
    await _hook(request, webhook_id)
    _, descending = page.sort_key(["id"], "-id")
    found, total = await _service(request).deliveries(
        webhook_id, status=status, limit=page.limit, offset=page.offset, descending=descending
    )
    return Page[DeliveryOut](
        items=[DeliveryOut.of(d) for d in found], total=total, limit=page.limit, offset=page.offset
    )


@router.post("/{webhook_id}/ping", status_code=202, responses=_NOT_FOUND)
async def ping_webhook(request: Request, webhook_id: WebhookId) -> dict[str, int]:
    """Send a ``webhook.ping`` event to this webhook now, whatever its filter."""
    hook = await _hook(request, webhook_id)
    queued = await _service(request).enqueue(
        [hook], [DomainEvent("webhook.ping", "", {"webhook_id": hook.id})], match=False
    )
    return {"queued": queued}
