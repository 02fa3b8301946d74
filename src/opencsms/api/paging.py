"""One way to page, sort and filter every list.

- ``limit`` (1-1000, default 50) and ``offset`` (default 0) pick the page;
- ``sort`` names one field of the items, ``-`` in front for descending (``sort=-started_at``);
  each list documents the fields it sorts by; an unknown field is a 422 problem;
- filters are query parameters named after the field they filter (``station_id=CP1``),
  periods are ``<field>_from`` / ``<field>_to`` (ISO 8601, from inclusive, to exclusive).

A list answers ``{"items": [...], "total": N, "limit": L, "offset": O}``; ``total`` counts
every item matching the filters.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Depends, Query
from pydantic import BaseModel

from opencsms.api.problems import Problem

T = TypeVar("T")
MAX_LIMIT = 1000


class Page(BaseModel, Generic[T]):
    items: list[T]
    total: int
    limit: int
    offset: int


@dataclass(frozen=True, slots=True)
class PageParams:
    limit: int
    offset: int
    sort: str | None

    def sort_key(self, allowed: Sequence[str], default: str) -> tuple[str, bool]:
        """(field, descending) of the requested sort, checked against ``allowed``.

        Raises a 422 problem for a field not in ``allowed``.
        """
        spec = self.sort or default
        descending = spec.startswith("-")
        name = spec.lstrip("-+")
        if name not in allowed:
            raise Problem(
                422, "Invalid sort", f"cannot sort by {name!r}; sort by one of: {', '.join(allowed)}"
            )
        return name, descending


def page_params(
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT, description="items per page")] = 50,
    offset: Annotated[int, Query(ge=0, le=2**31 - 1, description="items to skip")] = 0,
    sort: Annotated[
        str | None, Query(max_length=64, description="a field to sort by; prefix `-` for descending")
    ] = None,
) -> PageParams:
    return PageParams(limit, offset, sort)


PageDep = Annotated[PageParams, Depends(page_params)]


def one_order(params: PageParams, order: str) -> None:
    """For a list kept in one order (``-id``: newest first): ``sort`` may only name that order.

    Raises a 422 problem for any other.
    """
    if params.sort not in (None, order):
        raise Problem(422, "Invalid sort", f"this list is sorted by {order!r} only")


def page_in_memory(
    items: Sequence[T],
    params: PageParams,
    fields: dict[str, Callable[[T], Any]],
    default_sort: str,
) -> Page[T]:
    """Sort and cut a list already in memory (small collections: stations, tokens, keys)."""
    name, descending = params.sort_key(list(fields), default_sort)
    key = fields[name]
    present = [i for i in items if key(i) is not None]
    absent = [i for i in items if key(i) is None]
    ordered = sorted(present, key=key, reverse=descending) + absent
    return Page[T](
        items=ordered[params.offset : params.offset + params.limit],
        total=len(items),
        limit=params.limit,
        offset=params.offset,
    )
