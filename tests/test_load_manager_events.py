"""The load manager takes the events of the stations on a site, and no others."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from opencsms.bus import InProcessBus
from opencsms.domain.events import DomainEvent
from opencsms.domain.sites import SiteLayout, StationAssignment
from opencsms.smart_charging.load_manager import LoadManager
from tests.simulate.csms import poll


class _Sites:
    def __init__(self) -> None:
        self.current = SiteLayout()
        self.on_change: Any = None

    async def layout(self) -> SiteLayout:
        return self.current


class _Transactions:
    async def list(self, **_: Any) -> list[Any]:
        return []


async def test_only_stations_on_a_site_have_their_events_offered_to_the_load_manager() -> None:
    bus = InProcessBus()
    sites = _Sites()
    domain: Any = SimpleNamespace(sites=sites, transactions=_Transactions())
    manager = LoadManager(domain, gateway=None, bus=bus, coalesce_seconds=0.0)  # type: ignore[arg-type]
    await manager.start()
    try:
        assert bus.subscriber_count == 0  # no site: a fleet's events go to no one
        sites.current = SiteLayout(assignments={"CP1": StationAssignment("CP1", "S1")})
        manager.sites_changed()
        await poll(lambda: bus.subscriber_count == 1)
        (subscription,) = bus._subscribers
        for kind in ("transaction.meter", "transaction.updated"):
            for station in ("CP1", "CP2"):
                bus.publish(DomainEvent(kind, station, {}))
        assert [e.kind for e in subscription._events] == ["transaction.updated"]
        assert subscription.filter.stations == frozenset({"CP1"})
        sites.current = SiteLayout()
        manager.sites_changed()
        await poll(lambda: bus.subscriber_count == 0)
    finally:
        await manager.close()
