"""2.0.1 block G handler: StatusNotification."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from opencsms.handlers.context import StationContext
from opencsms.handlers.v201.availability import status_notification
from opencsms.ocppj.errors import SecurityError


async def test_the_status_of_an_evse_connector_is_stored_with_the_station_time(ctx: StationContext) -> None:
    payload = {
        "timestamp": "2026-11-24T09:59:00Z",
        "connectorStatus": "Occupied",
        "evseId": 2,
        "connectorId": 1,
    }
    assert await status_notification(ctx, payload) == {}
    [connector] = await ctx.domain.stations.connectors("CS1")
    assert (connector.evse_id, connector.connector_id, connector.status) == (2, 1, "Occupied")
    [entry] = await ctx.domain.stations.status_history("CS1", 1, evse_id=2)
    assert entry.updated_at == datetime(2026, 11, 24, 9, 59, tzinfo=UTC)  # the station's timestamp


async def test_a_pending_station_needs_a_trigger(ctx: StationContext) -> None:
    ctx.registration = "Pending"
    payload = {
        "timestamp": "2026-11-24T09:59:00Z",
        "connectorStatus": "Available",
        "evseId": 1,
        "connectorId": 1,
    }
    with pytest.raises(SecurityError):
        await status_notification(ctx, payload)
    assert await ctx.domain.stations.connectors("CS1") == []
