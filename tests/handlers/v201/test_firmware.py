"""2.0.1 block L handler: FirmwareStatusNotification."""

from __future__ import annotations

from pathlib import Path

import pytest

from opencsms.domain import Domain
from opencsms.domain.events import DomainEvent
from opencsms.handlers.context import StationContext
from opencsms.handlers.v201.firmware import firmware_status_notification
from opencsms.ocppj.errors import SecurityError
from opencsms.store import Store
from tests.handlers.conftest import NOW


async def test_a_firmware_status_is_passed_on_as_an_event(tmp_path: Path) -> None:
    events: list[DomainEvent] = []
    store = await Store.open(f"sqlite+aiosqlite:///{tmp_path / 'firmware.db'}")
    try:
        domain = Domain(store, clock=lambda: NOW, on_event=events.append)
        ctx = StationContext("CS1", "2.0.1", domain, clock=lambda: NOW, registration="Accepted")
        assert await firmware_status_notification(ctx, {"status": "Idle"}) == {}
        assert await firmware_status_notification(ctx, {"status": "Installed", "requestId": 3}) == {}
    finally:
        await store.close()
    assert [(e.kind, e.data) for e in events] == [
        ("station.firmware_status", {"status": "Idle", "request_id": None}),
        ("station.firmware_status", {"status": "Installed", "request_id": 3}),
    ]


async def test_a_pending_station_needs_a_trigger(ctx: StationContext) -> None:
    ctx.registration = "Pending"
    with pytest.raises(SecurityError):
        await firmware_status_notification(ctx, {"status": "Idle"})
