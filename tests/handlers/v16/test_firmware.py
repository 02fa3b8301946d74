"""1.6 Firmware Management and security extension status notifications."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from opencsms.domain import Domain
from opencsms.domain.events import DomainEvent
from opencsms.handlers.context import StationContext
from opencsms.handlers.v16.firmware import HANDLERS
from opencsms.ocppj.errors import SecurityError
from opencsms.store import Store
from tests.handlers.conftest import NOW


async def test_every_status_is_answered_and_passed_on(tmp_path: Path) -> None:
    events: list[DomainEvent] = []
    store = await Store.open(f"sqlite+aiosqlite:///{tmp_path / 'firmware16.db'}")
    try:
        domain = Domain(store, clock=lambda: NOW, on_event=events.append)
        ctx = StationContext("CP1", "1.6", domain, clock=lambda: NOW, registration="Accepted")
        calls = [
            ("FirmwareStatusNotification", {"status": "Idle"}),
            ("DiagnosticsStatusNotification", {"status": "Uploaded"}),
            ("SignedFirmwareStatusNotification", {"status": "SignatureVerified", "requestId": 4}),
            ("LogStatusNotification", {"status": "Uploading", "requestId": 5}),
        ]
        for action, payload in calls:
            assert await HANDLERS[action](ctx, payload) == {}
    finally:
        await store.close()
    assert [(e.kind, e.data) for e in events] == [
        ("station.firmware_status", {"status": "Idle", "request_id": None}),
        ("station.diagnostics_status", {"status": "Uploaded", "request_id": None}),
        ("station.firmware_status", {"status": "SignatureVerified", "request_id": 4}),
        ("station.log_status", {"status": "Uploading", "request_id": 5}),
    ]


async def test_a_rejected_charge_point_may_only_boot(make_ctx: Callable[..., StationContext]) -> None:
    ctx = make_ctx("CP1", "1.6", registration="Rejected")
    with pytest.raises(SecurityError):
        await HANDLERS["FirmwareStatusNotification"](ctx, {"status": "Idle"})
