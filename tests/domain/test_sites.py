"""Sites, circuits, assignments and prices as stored (SQLite and PostgreSQL)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest

from opencsms.domain import Domain
from opencsms.domain.load_management import Circuit, NodeLimit
from opencsms.domain.price_scheduling import PriceSlot
from opencsms.domain.sites import Site, SiteError, StationAssignment

T0 = datetime(2026, 1, 5, tzinfo=UTC)


async def test_a_site_with_circuits_assignments_and_prices(make_domain: Callable[..., Domain]) -> None:
    domain = make_domain()
    changes: list[int] = []
    domain.sites.on_change = lambda: changes.append(1)
    schedule = ((T0 + timedelta(hours=1), NodeLimit(amps=32)),)
    await domain.sites.put_site(Site("s1", NodeLimit(kw=100), "Depot", schedule, other_load_kw=5))
    await domain.sites.put_circuit("s1", Circuit("hall", NodeLimit(amps=63)))
    await domain.sites.put_circuit("s1", Circuit("row", NodeLimit(amps=32), parent="hall"))
    await domain.sites.assign(StationAssignment("CP1", "s1", "row", 16, 1, 2))
    await domain.sites.set_prices(
        "s1", [PriceSlot(T0, 3600, 0.3), PriceSlot(T0 + timedelta(hours=1), 3600, 0.1)]
    )
    layout = await domain.sites.layout()
    site = layout.sites["s1"]
    assert (site.name, site.limit, site.other_load_kw) == ("Depot", NodeLimit(kw=100), 5)
    assert site.limit_at(T0) == NodeLimit(kw=100) and site.limit_at(T0 + timedelta(hours=2)) == NodeLimit(
        amps=32
    )
    assert [c.id for c in layout.circuits["s1"]] == ["hall", "row"]
    assert layout.assignments["CP1"] == StationAssignment("CP1", "s1", "row", 16, 1, 2)
    assert [s.price for s in await domain.sites.prices("s1")] == [0.3, 0.1]
    # new prices from a later start replace only from there on
    await domain.sites.set_prices("s1", [PriceSlot(T0 + timedelta(hours=1), 1800, 0.2)])
    assert [s.price for s in await domain.sites.prices("s1")] == [0.3, 0.2]
    assert len(changes) == 6
    assert await domain.sites.delete_site("s1")
    assert (await domain.sites.layout()).assignments == {}


async def test_invalid_layouts_are_refused(make_domain: Callable[..., Domain]) -> None:
    domain = make_domain()
    with pytest.raises(SiteError, match="limit_amps or limit_kw"):
        await domain.sites.put_site(Site("s1", NodeLimit()))
    await domain.sites.put_site(Site("s1", NodeLimit(amps=100)))
    with pytest.raises(SiteError, match="unknown on site s1 or makes a cycle"):
        await domain.sites.put_circuit("s1", Circuit("a", NodeLimit(amps=10), parent="nowhere"))
    with pytest.raises(SiteError, match="no site s2"):
        await domain.sites.assign(StationAssignment("CP1", "s2"))
    with pytest.raises(SiteError, match="no circuit x"):
        await domain.sites.assign(StationAssignment("CP1", "s1", "x"))
    with pytest.raises(SiteError, match="overlap"):
        await domain.sites.set_prices(
            "s1", [PriceSlot(T0, 3600, 1), PriceSlot(T0 + timedelta(minutes=30), 60, 2)]
        )
