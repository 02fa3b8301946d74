"""Read view of a station's configuration: 1.6 keys and 2.0.1 device model variables in one list."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Path

from opencsms.api.deps import DomainDep
from opencsms.api.paging import Page, PageDep, page_in_memory
from opencsms.api.problems import Problem
from opencsms.domain.device_model import configuration_entry

router = APIRouter(prefix="/api/v1/stations", tags=["stations"])

StationId = Annotated[str, Path(min_length=1, max_length=48, description="the station's id")]


@router.get("/{station_id}/configuration", responses={404: {"description": "no such station"}})
async def station_configuration(
    station_id: StationId, domain: DomainDep, page: PageDep
) -> Page[dict[str, Any]]:
    """What the CSMS knows of the station's configuration: 1.6 keys (from GetConfiguration and
    ChangeConfiguration answers) or 2.0.1 variables (from NotifyReport, GetVariables and
    SetVariables), one entry per key or variable attribute. Sort by key, updated_at."""
    if await domain.stations.get(station_id) is None:
        raise Problem(404, "Not found", f"no station {station_id}")
    entries = [configuration_entry(a) for a in await domain.device_model.configuration(station_id)]
    return page_in_memory(entries, page, _SORT_FIELDS, "key")


_SORT_FIELDS: dict[str, Callable[[dict[str, Any]], Any]] = {
    "key": lambda entry: entry["key"],
    "updated_at": lambda entry: entry["updated_at"],
}
