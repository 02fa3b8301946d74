"""2.0.1 block N handlers: NotifyEvent, LogStatusNotification."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from opencsms.domain import Domain
from opencsms.domain.events import DomainEvent
from opencsms.handlers.context import StationContext
from opencsms.handlers.v201.diagnostics import (
    log_status_notification,
    notify_customer_information,
    notify_event,
)
from opencsms.ocppj.errors import SecurityError
from opencsms.store import Store
from tests.handlers.conftest import NOW

LOCK_PROBLEM: dict[str, Any] = {
    "generatedAt": "2026-11-24T09:59:00Z",
    "seqNo": 0,
    "eventData": [
        {
            "eventId": 1,
            "timestamp": "2026-11-24T09:59:00Z",
            "trigger": "Delta",
            "actualValue": "true",
            "component": {"name": "ConnectorPlugRetentionLock", "evse": {"id": 1, "connectorId": 1}},
            "variable": {"name": "Problem"},
            "eventNotificationType": "HardWiredNotification",
        }
    ],
}


async def test_a_reported_event_value_is_kept_in_the_device_model(ctx: StationContext) -> None:
    assert await notify_event(ctx, LOCK_PROBLEM) == {}
    [attribute] = await ctx.domain.device_model.configuration("CS1")
    assert (attribute.component, attribute.evse_id, attribute.connector_id) == (
        "ConnectorPlugRetentionLock",
        1,
        1,
    )
    assert (attribute.variable, attribute.value, attribute.source) == ("Problem", "true", "NotifyEvent")


async def test_a_later_event_replaces_the_value(ctx: StationContext) -> None:
    await notify_event(ctx, LOCK_PROBLEM)
    [problem] = LOCK_PROBLEM["eventData"]
    cleared = {**LOCK_PROBLEM, "eventData": [{**problem, "actualValue": "false", "cleared": True}]}
    await notify_event(ctx, cleared)
    [attribute] = await ctx.domain.device_model.configuration("CS1")
    assert attribute.value == "false"


async def test_a_rejected_station_may_not_report_events(ctx: StationContext) -> None:
    ctx.registration = "Rejected"
    with pytest.raises(SecurityError):
        await notify_event(ctx, LOCK_PROBLEM)
    assert await ctx.domain.device_model.configuration("CS1") == []


async def test_a_log_status_is_passed_on_as_an_event(tmp_path: Path) -> None:
    events: list[DomainEvent] = []
    store = await Store.open(f"sqlite+aiosqlite:///{tmp_path / 'log.db'}")
    try:
        domain = Domain(store, clock=lambda: NOW, on_event=events.append)
        ctx = StationContext("CS1", "2.0.1", domain, clock=lambda: NOW, registration="Accepted")
        assert await log_status_notification(ctx, {"status": "Uploaded", "requestId": 7}) == {}
        assert await log_status_notification(ctx, {"status": "Idle"}) == {}
    finally:
        await store.close()
    assert [(e.kind, e.station_id, e.data) for e in events] == [
        ("station.log_status", "CS1", {"status": "Uploaded", "request_id": 7}),
        ("station.log_status", "CS1", {"status": "Idle", "request_id": None}),
    ]


async def test_customer_information_parts_are_passed_on(tmp_path: Path) -> None:
    events: list[DomainEvent] = []
    store = await Store.open(f"sqlite+aiosqlite:///{tmp_path / 'customer.db'}")
    try:
        domain = Domain(store, clock=lambda: NOW, on_event=events.append)
        ctx = StationContext("CS1", "2.0.1", domain, clock=lambda: NOW, registration="Accepted")
        for seq_no, data in enumerate(("part one", "part two")):
            payload = {
                "data": data,
                "tbc": seq_no == 0,
                "seqNo": seq_no,
                "generatedAt": "2026-11-24T10:00:00Z",
                "requestId": 9,
            }
            assert await notify_customer_information(ctx, payload) == {}
    finally:
        await store.close()
    assert [(e.kind, e.data) for e in events] == [
        ("station.customer_information", {"request_id": 9, "seq_no": 0, "tbc": True, "data": "part one"}),
        ("station.customer_information", {"request_id": 9, "seq_no": 1, "tbc": False, "data": "part two"}),
    ]
