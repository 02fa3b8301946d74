"""The charging profiles a simulated station holds, and the limits they set (1.6 and 2.x).

Written on its own, apart from the CSMS's ``domain.composite_schedule``, so that tests comparing
the two check the arithmetic rather than repeat it. It reads the profiles as they come over the
wire (1.6 ``csChargingProfiles`` or a 2.0.1 ``chargingProfile``) and keeps them as they are.

A limit at a moment: for each purpose, among the profiles valid then whose schedule runs then,
the highest stack level wins (an EVSE's own profile before one on EVSE 0 at equal levels); the
running transaction's TxProfile, else the TxDefaultProfile; the lowest of those and the station
maximum and external constraints is the limit.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

VOLTAGE_V = 230.0
STATION_MAX_PURPOSES = ("ChargePointMaxProfile", "ChargingStationMaxProfile")
_CYCLE_SECONDS = {"Daily": 86_400, "Weekly": 604_800}


def _timestamp(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    moment = datetime.fromisoformat(value)
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


@dataclass(slots=True)
class HeldProfile:
    """One profile as the station keeps it."""

    evse_id: int
    wire: dict[str, Any]
    received_at: datetime

    @property
    def id(self) -> int:
        return int(self.wire.get("id", self.wire.get("chargingProfileId", -1)))

    @property
    def purpose(self) -> str:
        purpose = str(self.wire["chargingProfilePurpose"])
        return "StationMax" if purpose in STATION_MAX_PURPOSES else purpose

    @property
    def stack_level(self) -> int:
        return int(self.wire["stackLevel"])

    @property
    def schedule(self) -> dict[str, Any]:
        schedule = self.wire["chargingSchedule"]
        return dict(schedule[0] if isinstance(schedule, list) else schedule)

    @property
    def transaction_id(self) -> str | None:
        value = self.wire.get("transactionId")
        return None if value is None else str(value)

    def schedule_start(self, transaction_start: datetime | None, fallback: datetime) -> datetime | None:
        kind = self.wire["chargingProfileKind"]
        if kind == "Relative":
            return transaction_start or fallback
        start = _timestamp(self.schedule.get("startSchedule"))
        if start is None and kind == "Absolute":
            start = _timestamp(self.wire.get("validFrom")) or self.received_at
        return start

    def cycle_starts(
        self, moment: datetime, transaction_start: datetime | None, fallback: datetime
    ) -> list[datetime]:
        """Where the schedule begins for ``moment``: for a recurring one the cycle covering it."""
        start = self.schedule_start(transaction_start, fallback)
        if start is None:
            return []
        cycle = _CYCLE_SECONDS.get(str(self.wire.get("recurrencyKind")))
        if self.wire["chargingProfileKind"] != "Recurring" or cycle is None:
            return [start]
        cycles = math.floor((moment - start).total_seconds() / cycle)
        return [start + timedelta(seconds=cycles * cycle)]

    def value_at(
        self, moment: datetime, transaction_start: datetime | None, fallback: datetime
    ) -> tuple[float, str, int | None] | None:
        """(limit, unit, phases) in force at ``moment``, or None."""
        valid_from = _timestamp(self.wire.get("validFrom"))
        valid_to = _timestamp(self.wire.get("validTo"))
        if (valid_from and moment < valid_from) or (valid_to and moment >= valid_to):
            return None
        schedule = self.schedule
        for start in self.cycle_starts(moment, transaction_start, fallback):
            into = (moment - start).total_seconds()
            duration = schedule.get("duration")
            if into < 0 or (duration is not None and into >= duration):
                continue
            started = [p for p in schedule["chargingSchedulePeriod"] if p["startPeriod"] <= into]
            period = max(started, key=lambda p: p["startPeriod"])
            return float(period["limit"]), str(schedule["chargingRateUnit"]), period.get("numberPhases")
        return None


def convert(limit: float, unit: str, wanted: str, phases: int | None) -> float:
    """Amps per phase <-> watts at 230 V on ``phases`` (default 3) phases."""
    if unit == wanted:
        return limit
    watts_per_amp = VOLTAGE_V * (phases or 3)
    return limit * watts_per_amp if wanted == "W" else limit / watts_per_amp


@dataclass(slots=True)
class StationProfiles:
    """Every profile the station holds."""

    held: list[HeldProfile] = field(default_factory=list)

    def install(self, evse_id: int, wire: dict[str, Any], now: datetime) -> None:
        """Keep ``wire``; it replaces a profile with the same id, or the same purpose and stack level
        on the same EVSE (1.6 section 5.16, 2.0.1 K01.FR.05)."""
        profile = HeldProfile(evse_id, wire, now)
        self.held = [
            old
            for old in self.held
            if old.id != profile.id
            and not (
                old.evse_id == evse_id
                and old.purpose == profile.purpose
                and old.stack_level == profile.stack_level
                and old.transaction_id == profile.transaction_id
            )
        ]
        self.held.append(profile)

    def clear(
        self,
        profile_id: int | None = None,
        evse_id: int | None = None,
        purpose: str | None = None,
        stack_level: int | None = None,
    ) -> bool:
        """Remove the profiles matching every given criterion (all, when none); True if any went."""
        if purpose in STATION_MAX_PURPOSES:
            purpose = "StationMax"

        def matches(profile: HeldProfile) -> bool:
            if profile_id is not None:
                return profile.id == profile_id
            return (
                (evse_id is None or profile.evse_id == evse_id)
                and (purpose is None or profile.purpose == purpose)
                and (stack_level is None or profile.stack_level == stack_level)
            )

        kept = [profile for profile in self.held if not matches(profile)]
        removed = len(kept) != len(self.held)
        self.held = kept
        return removed

    def drop_transaction_profiles(self, evse_id: int) -> None:
        """A transaction ended: its TxProfiles go (1.6 section 3.13.1, 2.0.1 K01.FR.05)."""
        self.held = [p for p in self.held if not (p.evse_id == evse_id and p.purpose == "TxProfile")]

    def limit(
        self,
        evse_id: int,
        moment: datetime,
        unit: str,
        transaction: tuple[str, datetime] | None = None,
        fallback_start: datetime | None = None,
    ) -> tuple[float, int | None] | None:
        """(limit in ``unit``, phases) on ``evse_id`` at ``moment``, or None when no profile limits it.
        ``transaction`` is the running one (id, start); ``fallback_start`` starts Relative schedules
        when there is none."""
        tx_start = transaction[1] if transaction else None
        fallback = fallback_start or moment
        best: dict[str, tuple[tuple[int, int], float, int | None]] = {}
        for profile in self.held:
            purpose = profile.purpose
            if purpose == "StationMax" and profile.evse_id != 0:
                continue
            if purpose in ("TxProfile", "TxDefaultProfile") and evse_id == 0:
                continue
            if purpose == "TxProfile":
                if transaction is None or profile.evse_id != evse_id:
                    continue
                if profile.transaction_id not in (None, transaction[0]):
                    continue
            if profile.evse_id not in (0, evse_id):
                continue
            found = profile.value_at(moment, tx_start, fallback)
            if found is None:
                continue
            rank = (profile.stack_level, 1 if profile.evse_id == evse_id and evse_id != 0 else 0)
            value = convert(found[0], found[1], unit, found[2])
            if purpose not in best or rank > best[purpose][0]:
                best[purpose] = (rank, value, found[2])
        for shadowed in ("TxDefaultProfile",) if "TxProfile" in best else ():
            best.pop(shadowed, None)
        if not best:
            return None
        _, value, phases = min(best.values(), key=lambda entry: entry[1])
        return value, phases

    def composite(
        self,
        evse_id: int,
        start: datetime,
        duration: int,
        unit: str,
        default_limit: float,
        transaction: tuple[str, datetime] | None = None,
    ) -> list[dict[str, Any]]:
        """``chargingSchedulePeriod`` of the composite schedule (``default_limit`` where none limits)."""
        start = start.replace(microsecond=0)
        tx_start = transaction[1] if transaction else None
        candidates = {0}
        for profile in self.held:
            offsets = [p["startPeriod"] for p in profile.schedule["chargingSchedulePeriod"]]
            if profile.schedule.get("duration") is not None:
                offsets.append(profile.schedule["duration"])
            moments = [_timestamp(profile.wire.get(key)) for key in ("validFrom", "validTo")]
            origin = profile.schedule_start(tx_start, start)
            cycle = _CYCLE_SECONDS.get(str(profile.wire.get("recurrencyKind")))
            if origin is not None and profile.wire["chargingProfileKind"] == "Recurring" and cycle:
                origin = profile.cycle_starts(start, tx_start, start)[0] - timedelta(seconds=cycle)
                while origin < start + timedelta(seconds=duration):
                    moments += [origin + timedelta(seconds=o) for o in offsets]
                    origin += timedelta(seconds=cycle)
            elif origin is not None:
                moments += [origin + timedelta(seconds=o) for o in offsets]
            for moment in moments:
                if moment is not None:
                    candidates.add(math.ceil((moment - start).total_seconds()))
        periods: list[dict[str, Any]] = []
        for offset in sorted(c for c in candidates if 0 <= c < duration):
            found = self.limit(evse_id, start + timedelta(seconds=offset), unit, transaction, start)
            limit = default_limit if found is None else min(found[0], default_limit)
            if periods and periods[-1]["limit"] == round(limit, 1):
                continue
            periods.append({"startPeriod": offset, "limit": round(limit, 1)})
        return periods
