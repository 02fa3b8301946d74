"""2.0.1 block B handlers: BootNotification, Heartbeat, NotifyReport."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from opencsms.domain import Domain, RegistrationPolicy
from opencsms.handlers.context import StationContext
from opencsms.handlers.v201.provisioning import boot_notification, heartbeat, notify_report
from opencsms.ocppj.errors import SecurityError
from tests.handlers.conftest import NOW

BOOT = {
    "reason": "RemoteReset",
    "chargingStation": {
        "model": "DC50",
        "vendorName": "Acme",
        "serialNumber": "S1",
        "firmwareVersion": "2.0",
        "modem": {"iccid": "8931", "imsi": "2040"},
    },
}


async def test_boot_accepted_with_the_heartbeat_interval_and_stored(ctx: StationContext) -> None:
    ctx.registration = None
    answer = await boot_notification(ctx, BOOT)
    assert answer == {"status": "Accepted", "currentTime": "2026-11-24T10:00:00.000Z", "interval": 300}
    assert ctx.registration == "Accepted"
    station = await ctx.domain.stations.get("CS1")
    assert station is not None and (station.vendor, station.model, station.firmware_version) == (
        "Acme",
        "DC50",
        "2.0",
    )


@pytest.mark.parametrize(
    ("policy", "status"), [(RegistrationPolicy.PENDING, "Pending"), (RegistrationPolicy.REJECT, "Rejected")]
)
async def test_boot_pending_or_rejected_gets_the_retry_interval(
    domain: Domain, policy: RegistrationPolicy, status: str
) -> None:
    strict = Domain(domain.store, registration_policy=policy, clock=lambda: NOW)
    ctx = StationContext("CS-NEW", "2.0.1", strict, clock=lambda: NOW)
    answer = await boot_notification(ctx, BOOT)
    assert (answer["status"], answer["interval"]) == (status, 60)
    assert ctx.registration == status


async def test_heartbeat_answers_the_time_and_is_refused_while_rejected(ctx: StationContext) -> None:
    assert await heartbeat(ctx, {}) == {"currentTime": "2026-11-24T10:00:00.000Z"}
    ctx.registration = "Rejected"
    with pytest.raises(SecurityError):
        await heartbeat(ctx, {})


def part(seq_no: int, tbc: bool, *names: str) -> dict[str, Any]:
    return {
        "requestId": 3,
        "generatedAt": "2026-11-24T10:00:00Z",
        "seqNo": seq_no,
        "tbc": tbc,
        "reportData": [
            {
                "component": {"name": "OCPPCommCtrlr"},
                "variable": {"name": name},
                "variableAttribute": [{"value": "1"}],
            }
            for name in names
        ],
    }


async def test_notify_report_parts_are_stored_until_the_report_is_complete(
    make_ctx: Callable[..., StationContext],
) -> None:
    ctx = make_ctx()
    assert await notify_report(ctx, part(0, True, "HeartbeatInterval", "OfflineThreshold")) == {}
    progress = await ctx.domain.device_model.report("CS1", 3)
    assert progress is not None and not progress.complete
    assert await notify_report(ctx, part(1, False, "ResetRetries")) == {}
    progress = await ctx.domain.device_model.report("CS1", 3)
    assert progress is not None and progress.complete and progress.items == 3
    keys = [a.key for a in await ctx.domain.device_model.configuration("CS1")]
    assert keys == [
        "OCPPCommCtrlr.HeartbeatInterval",
        "OCPPCommCtrlr.OfflineThreshold",
        "OCPPCommCtrlr.ResetRetries",
    ]


async def test_an_empty_report_part_is_accepted(ctx: StationContext) -> None:
    assert await notify_report(ctx, {"requestId": 4, "generatedAt": "2026-11-24T10:00:00Z", "seqNo": 0}) == {}
    progress = await ctx.domain.device_model.report("CS1", 4)
    assert progress is not None and progress.complete and progress.items == 0
