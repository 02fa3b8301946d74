"""Stored tariffs: versions in force by time, assignments resolved in the documented order."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from opencsms.billing.tariff_service import AssignmentError, AssignmentScope, TariffService
from opencsms.billing.tariffs import TariffError
from opencsms.store import Store
from opencsms.store import sites as site_rows
from opencsms.store.schema import id_tokens

T0 = datetime(2026, 5, 4, 8, 0, tzinfo=UTC)


def body(price: str, **extra: Any) -> dict[str, Any]:
    component = {"type": "ENERGY", "price": Decimal(price), "step_size": 1}
    return {"currency": "EUR", "elements": [{"price_components": [component]}], **extra}


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def service(store: Store, clock: Clock) -> TariffService:
    return TariffService(store, default_time_zone="Europe/Amsterdam", clock=clock)


async def test_each_change_is_a_version_in_force_from_when_it_was_stored(
    service: TariffService, clock: Clock
) -> None:
    first, new = await service.put("STD", body("0.30"))
    assert (first.version, new, first.time_zone) == (1, True, "Europe/Amsterdam")
    again, new = await service.put("STD", body("0.30"))
    assert (again.version, new) == (1, False)
    clock.now = T0 + timedelta(hours=2)
    second, _ = await service.put("STD", body("0.35"))
    assert second.version == 2
    await service.assign(AssignmentScope.DEFAULT, "", "STD")
    before = await service.resolve("CP1", 1, None, T0 + timedelta(hours=1))
    after = await service.resolve("CP1", 1, None, T0 + timedelta(hours=3))
    assert before is not None and after is not None
    assert before.version.version == 1 and before.version.tariff.elements[0].price_components[
        0
    ].price == Decimal("0.30")
    assert after.version.version == 2
    assert [v.version for v in await service.versions("STD")] == [1, 2]
    assert (await service.get("STD", 1)) == before.version


async def test_resolution_order_token_evse_station_site_default(service: TariffService, store: Store) -> None:
    for name in ("DEF", "SITE", "STATION", "EVSE", "FLEET", "DRIVER"):
        await service.put(name, body("0.10"))
    card = {"id_token": "CARD1", "status": "Accepted", "parent_id_token": "FLEET-A"}
    await store.write(lambda c: c.execute(id_tokens.insert(), {**card, "created_at": T0, "updated_at": T0}))
    await store.write(lambda c: site_rows.put_site(c, {"id": "depot", "name": None, "limit_amps": 100.0,
        "limit_kw": None, "limit_schedule": None, "other_load_kw": 0.0, "min_current_a": 6.0,
        "fail_safe_current_a": 6.0, "created_at": T0}))  # fmt: skip
    await store.write(lambda c: site_rows.put_assignment(c, {"station_id": "CP1", "site_id": "depot",
        "circuit_id": None, "max_current_a": 32.0, "phases": 3, "priority": 0}))  # fmt: skip
    at = T0 + timedelta(minutes=1)

    async def chosen(token: str | None = "CARD1", evse: int | None = 1, station: str = "CP1") -> str | None:
        found = await service.resolve(station, evse, token, at)
        return None if found is None else found.version.tariff.id

    assert await chosen() is None
    await service.assign(AssignmentScope.DEFAULT, "ignored", "DEF")
    assert await chosen() == "DEF"
    await service.assign(AssignmentScope.SITE, "depot", "SITE")
    assert await chosen() == "SITE" and await chosen(station="CP2") == "DEF"
    await service.assign(AssignmentScope.STATION, "CP1", "STATION")
    assert await chosen() == "STATION"
    await service.assign(AssignmentScope.EVSE, "CP1/1", "EVSE")
    assert await chosen() == "EVSE" and await chosen(evse=2) == "STATION"
    await service.assign(AssignmentScope.TOKEN_GROUP, "FLEET-A", "FLEET")
    assert await chosen() == "FLEET" and await chosen(token="OTHER") == "EVSE"
    await service.assign(AssignmentScope.TOKEN_GROUP, "CARD1", "DRIVER")
    assert await chosen() == "DRIVER"
    assert await service.unassign(AssignmentScope.TOKEN_GROUP, "CARD1")
    assert await chosen() == "FLEET"


async def test_a_tariff_outside_its_own_validity_falls_through(service: TariffService) -> None:
    await service.put("OLD", body("0.20", end_date_time="2026-05-04T09:00:00Z"))
    await service.put("DEF", body("0.30"))
    await service.assign(AssignmentScope.STATION, "CP1", "OLD")
    await service.assign(AssignmentScope.DEFAULT, "", "DEF")
    early = await service.resolve("CP1", None, None, T0 + timedelta(minutes=30))
    late = await service.resolve("CP1", None, None, T0 + timedelta(hours=2))
    assert early is not None and early.version.tariff.id == "OLD"
    assert late is not None and late.version.tariff.id == "DEF"


async def test_deleting_keeps_versions_for_priced_sessions(service: TariffService) -> None:
    await service.put("GONE", body("0.20"))
    await service.assign(AssignmentScope.DEFAULT, "", "GONE")
    assert await service.delete("GONE")
    assert await service.get("GONE") is None and (await service.get("GONE", 1)) is not None
    assert await service.assignments() == [] and not await service.delete("GONE")
    revived, _ = await service.put("GONE", body("0.25"))
    assert revived.version == 2


async def test_bad_input(service: TariffService) -> None:
    with pytest.raises(TariffError) as caught:
        await service.put("X", body("0.20"), "Mars/Olympus")
    assert caught.value.field == "time_zone"
    with pytest.raises(AssignmentError):
        await service.assign(AssignmentScope.STATION, "CP1", "NOPE")
    await service.put("X", body("0.20"))
    with pytest.raises(AssignmentError):
        await service.assign(AssignmentScope.EVSE, "CP1", "X")
