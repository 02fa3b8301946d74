"""What passes between the CSMS and a Pending or Rejected station (B02.FR.09, B03.FR.07)."""

from __future__ import annotations

import pytest

from opencsms.domain import commands as c
from opencsms.handlers.context import StationContext
from opencsms.handlers.registration import check_call, forget_triggers, refuse_unless_accepted
from opencsms.ocppj.errors import SecurityError


@pytest.mark.parametrize(
    "action", ["Heartbeat", "StatusNotification", "Authorize", "NotifyReport", "DataTransfer"]
)
def test_a_rejected_station_may_send_only_a_boot_and_transaction_data(
    ctx: StationContext, action: str
) -> None:
    ctx.registration = "Rejected"
    with pytest.raises(SecurityError, match="rejected"):
        refuse_unless_accepted(ctx, action)
    for allowed in ("BootNotification", "TransactionEvent", "MeterValues"):
        refuse_unless_accepted(ctx, allowed)


def test_a_pending_station_may_send_reports_and_what_was_triggered(ctx: StationContext) -> None:
    ctx.registration = "Pending"
    refuse_unless_accepted(ctx, "NotifyReport")
    with pytest.raises(SecurityError, match="pending"):
        refuse_unless_accepted(ctx, "StatusNotification")
    check_call(ctx, "TriggerMessage", {"requestedMessage": "StatusNotification"})
    check_call(ctx, "TriggerMessage", {"requestedMessage": "SignChargingStationCertificate"})
    refuse_unless_accepted(ctx, "StatusNotification")
    refuse_unless_accepted(ctx, "StatusNotification")  # for every connector
    refuse_unless_accepted(ctx, "SignCertificate")
    with pytest.raises(SecurityError):
        refuse_unless_accepted(ctx, "Heartbeat")
    forget_triggers(ctx)  # a new boot
    with pytest.raises(SecurityError):
        refuse_unless_accepted(ctx, "StatusNotification")


def test_an_accepted_or_unbooted_station_may_send_anything(ctx: StationContext) -> None:
    for registration in ("Accepted", None):
        ctx.registration = registration
        refuse_unless_accepted(ctx, "Heartbeat")
        check_call(ctx, "RequestStartTransaction", {})


@pytest.mark.parametrize(
    "action",
    ["RequestStartTransaction", "RequestStopTransaction", "RemoteStartTransaction", "RemoteStopTransaction"],
)
def test_no_remote_start_or_stop_to_a_pending_station(ctx: StationContext, action: str) -> None:
    ctx.registration = "Pending"
    with pytest.raises(c.InvalidCommand, match="Pending"):
        check_call(ctx, action, {})
    check_call(ctx, "GetBaseReport", {"requestId": 1, "reportBase": "FullInventory"})
    check_call(ctx, "SetVariables", {})


def test_nothing_to_a_rejected_station(ctx: StationContext) -> None:
    ctx.registration = "Rejected"
    with pytest.raises(c.InvalidCommand, match="Rejected"):
        check_call(ctx, "GetBaseReport", {})
