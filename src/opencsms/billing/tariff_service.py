"""Stored tariffs: versioned, assigned, and resolved for a session.

Every change of a tariff is a new version, in force from the moment it is stored; versions are
never changed. A session is priced with the version in force when it started, so editing a tariff
never changes a session already priced (nor one running).

Resolution order, most specific first; the first level with an assigned tariff that is valid at
the session's start (its ``start_date_time``/``end_date_time``) wins:

1. ``token_group``: the session's id token itself, then its group (1.6 parentIdTag, 2.0.1
   groupIdToken): fleet and driver prices;
2. ``evse``: the station's EVSE (``STATION/EVSE``);
3. ``station``;
4. ``site``: the site the station is assigned to;
5. ``default``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import select

from opencsms.billing import decimal_json
from opencsms.billing.tariffs import Tariff, TariffError, parse_tariff, tariff_to_json
from opencsms.store import Store
from opencsms.store import billing as rows
from opencsms.store.schema import id_tokens
from opencsms.store.schema_smart_charging import site_stations


class AssignmentScope(StrEnum):
    DEFAULT = "default"
    SITE = "site"
    STATION = "station"
    EVSE = "evse"
    TOKEN_GROUP = "token_group"


#: Most specific first.
RESOLUTION_ORDER = (
    AssignmentScope.TOKEN_GROUP,
    AssignmentScope.EVSE,
    AssignmentScope.STATION,
    AssignmentScope.SITE,
    AssignmentScope.DEFAULT,
)


class AssignmentError(ValueError):
    """An assignment names no tariff, or a target that does not fit its scope."""


@dataclass(frozen=True, slots=True)
class TariffVersion:
    tariff: Tariff
    version: int
    time_zone: str
    created_at: datetime

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)

    def valid_at(self, moment: datetime) -> bool:
        """Whether the tariff's own validity (start/end_date_time) includes ``moment``."""
        start, end = self.tariff.start_date_time, self.tariff.end_date_time
        return (start is None or start <= moment) and (end is None or moment < end)

    def to_json(self) -> dict[str, Any]:
        return {
            **tariff_to_json(self.tariff),
            "version": self.version,
            "time_zone": self.time_zone,
            "last_updated": self.created_at.isoformat(),
        }


@dataclass(frozen=True, slots=True)
class Assignment:
    scope: AssignmentScope
    target: str
    tariff_id: str

    def to_json(self) -> dict[str, Any]:
        return {"scope": self.scope.value, "target": self.target, "tariff_id": self.tariff_id}


@dataclass(frozen=True, slots=True)
class Resolved:
    """The tariff version that applies, and the assignment that chose it."""

    version: TariffVersion
    assignment: Assignment


def _now() -> datetime:
    return datetime.now(UTC)


def _version(row: Any) -> TariffVersion:
    return TariffVersion(
        parse_tariff(decimal_json.loads(row.body), tariff_id=row.tariff_id),
        row.version,
        row.time_zone,
        row.created_at,
    )


def check_time_zone(name: str) -> str:
    """Raises ``TariffError`` (field ``time_zone``) for a name that is no IANA time zone."""
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise TariffError(
            "time_zone", f"must be an IANA time zone such as Europe/Amsterdam (got {name!r})"
        ) from None
    return name


class TariffService:
    def __init__(
        self, store: Store, *, default_time_zone: str = "UTC", clock: Callable[[], datetime] = _now
    ) -> None:
        self._store = store
        self._clock = clock
        self.default_time_zone = default_time_zone

    async def put(
        self, tariff_id: str, data: Any, time_zone: str | None = None
    ) -> tuple[TariffVersion, bool]:
        """Store ``data`` (OCPI Tariff JSON, numbers as Decimal) as the tariff's next version.

        The same tariff stored again makes no new version. Returns the current version and
        whether it is new. Raises ``TariffError`` naming the invalid field.
        """
        tariff = parse_tariff(data, tariff_id=tariff_id)
        zone = check_time_zone(time_zone or self.default_time_zone)
        current = await self.get(tariff_id)
        if current is not None and current.tariff == tariff and current.time_zone == zone:
            return current, False
        body = decimal_json.dumps(tariff_to_json(tariff))
        now = self._clock()
        version = await self._store.write(
            lambda connection: rows.add_tariff_version(connection, tariff_id, body, zone, now)
        )
        return TariffVersion(tariff, version, zone, now), True

    async def get(self, tariff_id: str, version: int | None = None) -> TariffVersion | None:
        """The current version (or ``version``); None for an unknown or deleted tariff (a given
        ``version`` of a deleted tariff is still returned: sessions name it)."""

        def read(connection: Any) -> Any:
            head = rows.tariff(connection, tariff_id)
            if head is None or (version is None and head.deleted_at is not None):
                return None
            return rows.tariff_version(connection, tariff_id, version or head.current_version)

        row = await self._store.read(read)
        return None if row is None else _version(row)

    async def versions(self, tariff_id: str) -> list[TariffVersion]:
        found = await self._store.read(lambda connection: rows.tariff_versions_of(connection, tariff_id))
        return [_version(row) for row in found]

    async def page(self, *, limit: int = 50, offset: int = 0) -> tuple[int, list[TariffVersion]]:
        total, found = await self._store.read(
            lambda connection: rows.current_tariffs(connection, limit=limit, offset=offset)
        )
        return total, [_version(row) for row in found]

    async def delete(self, tariff_id: str) -> bool:
        """Retire the tariff and its assignments; its versions stay for the sessions priced with them."""
        now = self._clock()
        deleted = await self._store.write(lambda connection: rows.delete_tariff(connection, tariff_id, now))
        return deleted > 0

    async def assign(self, scope: AssignmentScope, target: str, tariff_id: str) -> Assignment:
        """Raises ``AssignmentError``: unknown tariff, or a target that does not fit the scope."""
        if await self.get(tariff_id) is None:
            raise AssignmentError(f"no tariff {tariff_id!r}")
        target = _check_target(scope, target)
        now = self._clock()
        await self._store.write(
            lambda connection: rows.put_assignment(connection, scope.value, target, tariff_id, now)
        )
        return Assignment(scope, target, tariff_id)

    async def unassign(self, scope: AssignmentScope, target: str) -> bool:
        deleted = await self._store.write(
            lambda connection: rows.delete_assignment(connection, scope.value, target)
        )
        return deleted > 0

    async def assignments(self) -> list[Assignment]:
        found = await self._store.read(rows.assignments)
        return [Assignment(AssignmentScope(row.scope), row.target, row.tariff_id) for row in found]

    async def resolve(
        self, station_id: str, evse_id: int | None, id_token: str | None, at: datetime
    ) -> Resolved | None:
        """The tariff version that prices a session starting ``at`` (see the module docstring)."""

        def read(connection: Any) -> Any:
            by_target = {(row.scope, row.target): row.tariff_id for row in rows.assignments(connection)}
            site = connection.execute(
                select(site_stations.c.site_id).where(site_stations.c.station_id == station_id)
            ).scalar()
            group = None
            if id_token is not None:
                group = connection.execute(
                    select(id_tokens.c.parent_id_token).where(id_tokens.c.id_token == id_token)
                ).scalar()
            candidates: list[tuple[AssignmentScope, str]] = []
            for token in (id_token, group):
                if token:
                    candidates.append((AssignmentScope.TOKEN_GROUP, token))
            if evse_id is not None:
                candidates.append((AssignmentScope.EVSE, f"{station_id}/{evse_id}"))
            candidates.append((AssignmentScope.STATION, station_id))
            if site is not None:
                candidates.append((AssignmentScope.SITE, site))
            candidates.append((AssignmentScope.DEFAULT, ""))
            found = []
            for scope, target in candidates:
                tariff_id = by_target.get((scope.value, target))
                if tariff_id is None:
                    continue
                version = rows.tariff_version_at(connection, tariff_id, at)
                if version is not None:
                    found.append((Assignment(scope, target, tariff_id), version))
            return found

        for assignment, row in await self._store.read(read):
            version = _version(row)
            if version.valid_at(at):
                return Resolved(version, assignment)
        return None


def _check_target(scope: AssignmentScope, target: str) -> str:
    if scope == AssignmentScope.DEFAULT:
        return ""
    if not target or len(target) > 200:
        raise AssignmentError(f"a {scope.value} assignment needs a target of 1 to 200 characters")
    if scope == AssignmentScope.EVSE:
        station, _, evse = target.rpartition("/")
        if not station or not evse.isdigit():
            raise AssignmentError("an evse assignment's target is STATION/EVSE, such as CP001/1")
    return target
