"""What each station holds: the charging profiles it accepted, limits set by others, EV needs.

The CSMS records a profile when the station accepts it (and forgets it when the station clears
it), so it can validate the next one against it and compute composite schedules itself.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from opencsms.domain.charging_profiles import (
    SOURCE_CSMS,
    ChargingProfile,
    RateUnit,
    installed_row,
    parse_profile,
)
from opencsms.domain.composite_schedule import (
    CompositeSchedule,
    RunningTransaction,
    composite_schedule,
)
from opencsms.domain.model import Transaction
from opencsms.domain.transactions import TransactionService
from opencsms.store import Store
from opencsms.store import charging_profiles as rows


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class ChargingNeeds:
    """What the driver or EV asked for on one EVSE."""

    station_id: str
    evse_id: int
    departure_time: datetime | None = None
    energy_wh: float | None = None
    min_current_a: float | None = None
    max_current_a: float | None = None
    ev_schedule: dict[str, Any] | None = None


class StationProfileService:
    """The profiles, external limits and charging needs of stations, as stored."""

    def __init__(
        self, store: Store, transactions: TransactionService, *, clock: Callable[[], datetime] = _now
    ) -> None:
        self._store = store
        self._transactions = transactions
        self._clock = clock

    async def installed(self, station_id: str) -> list[ChargingProfile]:
        """The station's profiles, by EVSE and id. Raises sqlalchemy.exc.SQLAlchemyError."""
        found = await self._store.read(lambda connection: rows.profiles_of(connection, station_id))
        return [parse_profile(row.profile, row.evse_id) for row in found]

    async def installed_with_source(self, station_id: str) -> list[tuple[ChargingProfile, str]]:
        found = await self._store.read(lambda connection: rows.profiles_of(connection, station_id))
        return [(parse_profile(row.profile, row.evse_id), row.source) for row in found]

    async def record_installed(
        self, station_id: str, profile: ChargingProfile, source: str = SOURCE_CSMS
    ) -> None:
        """The station accepted (or reported) ``profile``: it replaces one with the same id."""
        values = installed_row(station_id, profile, source, self._clock())
        await self._store.write(lambda connection: rows.put_profile(connection, values))

    async def record_cleared(
        self,
        station_id: str,
        *,
        profile_id: int | None = None,
        evse_id: int | None = None,
        purpose: str | None = None,
        stack_level: int | None = None,
    ) -> int:
        """The station cleared the profiles matching the criteria (all its CSMS profiles when none)."""
        return await self._store.write(
            lambda connection: rows.delete_profiles(
                connection,
                station_id,
                profile_id=profile_id,
                evse_id=None if profile_id is not None else evse_id,
                purpose=None if profile_id is not None else purpose,
                stack_level=None if profile_id is not None else stack_level,
            )
        )

    async def record_report(
        self, station_id: str, evse_id: int, source: str, profiles: Sequence[dict[str, Any]]
    ) -> None:
        """2.0.1 ReportChargingProfiles: keep what the station says it holds.

        Raises:
            ProfileError: a reported profile is malformed.
        """
        for data in profiles:
            await self.record_installed(station_id, parse_profile(data, evse_id), source)

    async def running_transaction(self, station_id: str, evse_id: int) -> RunningTransaction | None:
        """The transaction running on the station's EVSE (connector, for 1.6), if any."""
        for tx in await self._running(station_id):
            if evse_id in (tx.evse_id, tx.connector_id):
                return RunningTransaction(tx.transaction_ref, tx.started_at)
        return None

    async def _running(self, station_id: str) -> list[Transaction]:
        return await self._transactions.list(station_id=station_id, active=True)

    async def composite(
        self, station_id: str, evse_id: int, duration: int, unit: RateUnit = RateUnit.AMPS
    ) -> CompositeSchedule:
        """The composite schedule of the EVSE from now, from what the station holds."""
        profiles = await self.installed(station_id)
        transaction = await self.running_transaction(station_id, evse_id) if evse_id else None
        return composite_schedule(
            profiles,
            evse_id=evse_id,
            start=self._clock(),
            duration=duration,
            unit=unit,
            transaction=transaction,
        )

    # -- limits set by others, EV needs -----------------------------------------------------------

    async def record_external_limit(
        self,
        station_id: str,
        evse_id: int,
        source: str,
        is_grid_critical: bool | None,
        schedules: list[dict[str, Any]] | None,
    ) -> None:
        values = {
            "station_id": station_id,
            "evse_id": evse_id,
            "source": source,
            "is_grid_critical": is_grid_critical,
            "schedules": schedules,
            "updated_at": self._clock(),
        }
        await self._store.write(lambda connection: rows.put_external_limit(connection, values))

    async def clear_external_limit(self, station_id: str, source: str, evse_id: int | None) -> int:
        return await self._store.write(
            lambda connection: rows.delete_external_limit(connection, station_id, source, evse_id)
        )

    async def external_limits(self, station_id: str) -> list[dict[str, Any]]:
        found = await self._store.read(lambda connection: rows.external_limits_of(connection, station_id))
        return [dict(row._mapping) for row in found]

    async def record_needs(self, needs: ChargingNeeds, *, fields: Sequence[str]) -> None:
        """Store ``fields`` of ``needs`` (others keep their stored values)."""
        values = {
            "station_id": needs.station_id,
            "evse_id": needs.evse_id,
            "departure_time": needs.departure_time,
            "energy_wh": needs.energy_wh,
            "min_current_a": needs.min_current_a,
            "max_current_a": needs.max_current_a,
            "ev_schedule": needs.ev_schedule,
            "updated_at": self._clock(),
        }
        await self._store.write(lambda connection: rows.put_needs(connection, values, tuple(fields)))

    async def needs(self, station_id: str | None = None) -> list[ChargingNeeds]:
        found = await self._store.read(lambda connection: rows.needs_of(connection, station_id))
        return [
            ChargingNeeds(
                row.station_id,
                row.evse_id,
                row.departure_time,
                row.energy_wh,
                row.min_current_a,
                row.max_current_a,
                row.ev_schedule,
            )
            for row in found
        ]

    async def forget_needs(self, station_id: str, evse_id: int) -> int:
        return await self._store.write(lambda connection: rows.delete_needs(connection, station_id, evse_id))
