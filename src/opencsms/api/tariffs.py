"""Tariffs (OCPI 2.2.1 shape, versioned) and where they apply: /api/v1/tariffs, /api/v1/tariff-assignments.

Tariff bodies are read with their numbers exact (never through a float) and answered the same
way; a tariff the model refuses is a 422 problem naming the field (docs/billing.md).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi import Path as PathParam
from pydantic import Field

from opencsms.api.deps import Operator, api_state
from opencsms.api.paging import Page, PageParams, one_order, page_in_memory, page_params
from opencsms.api.problems import Problem
from opencsms.api.request_body import RequestBody
from opencsms.billing import decimal_json
from opencsms.billing.costing import choose_components
from opencsms.billing.restrictions import Situation
from opencsms.billing.tariff_service import RESOLUTION_ORDER, AssignmentError, AssignmentScope, TariffService
from opencsms.billing.tariffs import Dimension, TariffError

router = APIRouter(prefix="/api/v1", tags=["billing"])

TariffId = Annotated[str, PathParam(min_length=1, max_length=36, pattern=r"^[A-Za-z0-9._-]+$")]
_OPENCSMS_FIELDS = ("time_zone",)
_TARIFF_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {
                "schema": {
                    "type": "object",
                    "description": "an OCPI 2.2.1 Tariff (id from the path; currency, elements, ...); "
                    "`time_zone` (IANA) says where its local times are read",
                    "required": ["currency", "elements"],
                    "properties": {
                        "currency": {"type": "string", "example": "EUR"},
                        "elements": {"type": "array", "items": {"type": "object"}},
                        "time_zone": {"type": "string", "example": "Europe/Amsterdam"},
                    },
                }
            }
        },
    }
}


def tariff_service(request: Request) -> TariffService:
    """The app's tariff service (made from the domain's store when the runtime gave none)."""
    state = api_state(request)
    service = state.extras.get("tariffs")
    if service is None:
        service = state.extras["tariffs"] = TariffService(state.domain.store)
    assert isinstance(service, TariffService)
    return service


def exact_json(content: Any, status_code: int = 200) -> Response:
    """A JSON answer with Decimals as exact numbers."""
    return Response(decimal_json.dumps(content), status_code=status_code, media_type="application/json")


def _invalid(error: TariffError) -> Problem:
    return Problem(422, "Invalid tariff", f"{error.field}: {error.message}")


async def _json_body(request: Request) -> Any:
    try:
        return decimal_json.loads(await request.body())
    except ValueError as exc:
        raise Problem(422, "Invalid request", f"body: not JSON ({exc})") from None


@router.get("/tariffs", summary="List tariffs (current versions)")
async def list_tariffs(request: Request, page: Annotated[PageParams, Depends(page_params)]) -> Response:
    page.sort_key(["id"], "id")
    total, versions = await tariff_service(request).page(limit=page.limit, offset=page.offset)
    items = [version.to_json() for version in versions]
    return exact_json({"items": items, "total": total, "limit": page.limit, "offset": page.offset})


@router.put(
    "/tariffs/{tariff_id}",
    dependencies=[Operator],
    openapi_extra=_TARIFF_BODY,
    summary="Create a tariff, or store a new version of it",
    responses={201: {"description": "created"}, 200: {"description": "a new version, or unchanged"}},
)
async def put_tariff(
    tariff_id: TariffId,
    request: Request,
    time_zone: Annotated[str | None, Query(max_length=64, description="IANA zone (or in the body)")] = None,
) -> Response:
    """The body is an OCPI 2.2.1 Tariff; `time_zone` (IANA, in the body or the query) says where
    its local times are read. Sessions already priced or running keep the version they started with."""
    body = await _json_body(request)
    if not isinstance(body, dict):
        raise Problem(422, "Invalid tariff", "body: must be a JSON object")
    time_zone = body.pop("time_zone", time_zone)
    for name in ("version", "last_updated"):  # what GET answers, so a GET can be PUT back
        body.pop(name, None)
    if time_zone is not None and not isinstance(time_zone, str):
        raise Problem(422, "Invalid tariff", "time_zone: must be an IANA time zone name")
    service = tariff_service(request)
    existed = await service.get(tariff_id) is not None
    try:
        version, _ = await service.put(tariff_id, body, time_zone)
    except TariffError as error:
        raise _invalid(error) from None
    return exact_json(version.to_json(), 200 if existed else 201)


@router.get("/tariffs/{tariff_id}", summary="A tariff (current version, or ?version=N)")
async def get_tariff(
    tariff_id: TariffId,
    request: Request,
    version: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None,
) -> Response:
    found = await tariff_service(request).get(tariff_id, version)
    if found is None:
        raise Problem(
            404, "Not found", f"no tariff {tariff_id!r}" + (f" version {version}" if version else "")
        )
    return exact_json(found.to_json())


@router.get("/tariffs/{tariff_id}/versions", summary="Every version of a tariff, oldest first")
async def tariff_versions(
    tariff_id: TariffId, request: Request, page: Annotated[PageParams, Depends(page_params)]
) -> Response:
    """Sorted by ``version`` only."""
    one_order(page, "version")
    versions = await tariff_service(request).versions(tariff_id)
    if not versions:
        raise Problem(404, "Not found", f"no tariff {tariff_id!r}")
    items = [version.to_json() for version in versions[page.offset : page.offset + page.limit]]
    return exact_json({"items": items, "total": len(versions), "limit": page.limit, "offset": page.offset})


@router.delete("/tariffs/{tariff_id}", dependencies=[Operator], status_code=204, summary="Retire a tariff")
async def delete_tariff(tariff_id: TariffId, request: Request) -> Response:
    """Its assignments go; its versions stay, for the sessions priced with them."""
    if not await tariff_service(request).delete(tariff_id):
        raise Problem(404, "Not found", f"no tariff {tariff_id!r}")
    return Response(status_code=204)


class AssignmentIn(RequestBody):
    scope: AssignmentScope = Field(description="default, site, station, evse or token_group")
    target: str = Field(
        default="", max_length=200, description="site id, station id, STATION/EVSE, token or group"
    )
    tariff_id: str = Field(min_length=1, max_length=36)


@router.get("/tariff-assignments", summary="Where each tariff applies")
async def list_assignments(
    request: Request, page: Annotated[PageParams, Depends(page_params)]
) -> Page[dict[str, Any]]:
    """Resolution order for a session, most specific first: token_group (the token, then its
    group), evse, station, site, default. Sort by scope (in that order), target."""
    assignments = [assignment.to_json() for assignment in await tariff_service(request).assignments()]
    return page_in_memory(assignments, page, _ASSIGNMENT_SORT_FIELDS, "scope")


_RESOLUTION_RANK = {scope.value: rank for rank, scope in enumerate(RESOLUTION_ORDER)}
_ASSIGNMENT_SORT_FIELDS: dict[str, Callable[[dict[str, Any]], Any]] = {
    "scope": lambda a: (_RESOLUTION_RANK.get(a["scope"], len(_RESOLUTION_RANK)), a["target"]),
    "target": lambda a: a["target"],
}


@router.put("/tariff-assignments", dependencies=[Operator], summary="Assign a tariff (replaces the target's)")
async def put_assignment(body: AssignmentIn, request: Request) -> dict[str, Any]:
    try:
        assignment = await tariff_service(request).assign(body.scope, body.target, body.tariff_id)
    except AssignmentError as error:
        raise Problem(422, "Invalid assignment", str(error)) from None
    return assignment.to_json()


@router.delete(
    "/tariff-assignments", dependencies=[Operator], status_code=204, summary="Remove an assignment"
)
async def delete_assignment(
    request: Request,
    scope: Annotated[AssignmentScope, Query()],
    target: Annotated[str, Query(max_length=200)] = "",
) -> Response:
    if not await tariff_service(request).unassign(scope, target):
        raise Problem(404, "Not found", f"no {scope.value} assignment for {target!r}")
    return Response(status_code=204)


@router.get("/stations/{station_id}/price", summary="What a session starting now would be priced at")
async def station_price(
    station_id: Annotated[str, PathParam(min_length=1, max_length=48)],
    request: Request,
    evse_id: Annotated[int | None, Query(ge=0, le=2**31 - 1)] = None,
    id_token: Annotated[str | None, Query(max_length=255)] = None,
) -> Response:
    """The tariff that would price a session starting now at the station (or EVSE, for the
    token): what a driver's app shows before charging. `now` lists the price per dimension that
    applies at this moment (excl. and incl. VAT), `tariff` the whole tariff and its texts."""
    service = tariff_service(request)
    now = datetime.now(UTC)
    resolved = await service.resolve(station_id, evse_id, id_token, now)
    if resolved is None:
        raise Problem(
            404,
            "Not found",
            f"no tariff applies at {station_id}" + (f" EVSE {evse_id}" if evse_id is not None else ""),
        )
    version = resolved.version
    situation = Situation(
        local=now.astimezone(version.zone),
        energy_kwh=Decimal(0),
        duration_s=Decimal(0),
        power_kw=None,
        current_a=None,
    )
    prices = {}
    for dimension, ref in choose_components(version.tariff, situation, tuple(Dimension)):
        component = version.tariff.elements[ref.element].price_components[ref.component]
        incl = component.price if component.vat is None else component.price * (1 + component.vat / 100)
        prices[dimension.value] = {
            "price_excl_vat": component.price,
            "price_incl_vat": incl.quantize(Decimal("0.000001")).normalize(),
            "vat": component.vat,
            "step_size": component.step_size,
            "per": {"ENERGY": "kWh", "TIME": "hour", "PARKING_TIME": "hour", "FLAT": "session"}[
                dimension.value
            ],
        }
    return exact_json({
        "station_id": station_id,
        "evse_id": evse_id,
        "currency": version.tariff.currency,
        "applies_by": resolved.assignment.to_json(),
        "texts": [{"language": t.language, "text": t.text} for t in version.tariff.tariff_alt_text],
        "now": prices,
        "tariff": version.to_json(),
    })  # fmt: skip
