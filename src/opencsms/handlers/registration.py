"""What may pass between the CSMS and a station that is not (yet) Accepted, both ways.

Station -> CSMS (2.0.1 B02.FR.09, B03.FR.07): a Rejected station may send only BootNotification;
a Pending one also the reports it was asked for and the messages a TriggerMessage asked for.
Anything else gets a SecurityError. Transaction data is the exception: it is never refused,
since a station that charged before it was accepted must not lose the session.

CSMS -> station: no remote start or stop to a Pending station (2.0.1 B02, 1.6 section 4.2.1), and
nothing to a Rejected one (B03: the station would not answer).
"""

from __future__ import annotations

from opencsms.domain import commands as c
from opencsms.handlers.context import Payload, StationContext
from opencsms.ocppj.errors import SecurityError

#: What a Rejected station may send.
ALLOWED_WHILE_REJECTED = frozenset(
    {"BootNotification", "TransactionEvent", "MeterValues", "StartTransaction", "StopTransaction"}
)
#: What a Pending station may send unasked.
ALLOWED_WHILE_PENDING = ALLOWED_WHILE_REJECTED | {"NotifyReport"}
#: Calls the CSMS does not send to a Pending station.
NOT_TO_PENDING = frozenset(
    {"RequestStartTransaction", "RequestStopTransaction", "RemoteStartTransaction", "RemoteStopTransaction"}
)
#: TriggerMessage requestedMessage -> the action the station then sends.
TRIGGERED_ACTION = {
    "SignChargingStationCertificate": "SignCertificate",
    "SignV2GCertificate": "SignCertificate",
    "SignCombinedCertificate": "SignCertificate",
}
_TRIGGERED = "triggered"


def refuse_unless_accepted(ctx: StationContext, action: str) -> None:
    """Raises SecurityError when a Pending or Rejected station sends what it may not."""
    if ctx.registration == "Rejected" and action not in ALLOWED_WHILE_REJECTED:
        raise SecurityError(f"{action} refused: the station's registration was rejected")
    pending = ctx.registration == "Pending" and action not in ALLOWED_WHILE_PENDING
    if pending and action not in ctx.extra.get(_TRIGGERED, ()):
        raise SecurityError(f"{action} refused: the station's registration is pending")


def forget_triggers(ctx: StationContext) -> None:
    """A new boot: what earlier TriggerMessages allowed is allowed no more."""
    ctx.extra.pop(_TRIGGERED, None)


def check_call(ctx: StationContext, action: str, payload: Payload) -> None:
    """Before the CSMS sends ``action``: refuse what a Pending or Rejected station must not get;
    note what a TriggerMessage to a Pending station asks it to send (allowed from now on, so
    it is in place before the station's answer and message race in).

    Raises:
        InvalidCommand: the station's registration does not allow the call.
    """
    if ctx.registration == "Rejected":
        raise c.InvalidCommand(f"{ctx.station_id} is Rejected: no call may be sent to it")
    if ctx.registration != "Pending":
        return
    if action in NOT_TO_PENDING:
        raise c.InvalidCommand(f"{ctx.station_id} is Pending: {action} is not allowed until it is Accepted")
    if action == "TriggerMessage":
        requested = str(payload.get("requestedMessage"))
        triggered: set[str] = ctx.extra.setdefault(_TRIGGERED, set())
        triggered.add(TRIGGERED_ACTION.get(requested, requested))
