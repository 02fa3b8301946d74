"""The station side of the OCA CSMS test cases, played by the test as the OCA test tool plays it.

The test sends exactly the station messages a case lists (:class:`~tests.e2e.wsclient.RawStation`)
and answers the CSMS's calls with the status the case gives, while the operator's command goes
through the HTTP command endpoint, as a CSO would send it.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from tests.e2e.wsclient import RawStation


def timestamp(minutes_ago: float = 0.0, now: datetime | None = None) -> str:
    """An OCPP timestamp ``minutes_ago`` minutes before ``now`` (default: the current time)."""
    moment = (now or datetime.now(UTC)) - timedelta(minutes=minutes_ago)
    return moment.isoformat(timespec="seconds").replace("+00:00", "Z")


async def command_answered(
    http: httpx.AsyncClient,
    station: RawStation,
    station_id: str,
    command: str,
    args: dict[str, Any],
    action: str,
    answer: dict[str, Any],
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Send the operator ``command`` and answer the CALL it makes (which must be ``action``) with
    ``answer``; returns the payload the CSMS sent and the command's HTTP result."""
    request = asyncio.create_task(http.post(f"/api/v1/stations/{station_id}/commands/{command}", json=args))
    try:
        message_id, payload = await station.expect_call(action, timeout=15.0)
        await station.reply(message_id, answer)
        response = await request
    finally:
        request.cancel()
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return payload, result
