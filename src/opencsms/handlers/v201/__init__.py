"""OCPP 2.0.1 handlers, CSMS side: one module per functional block (2.1 stations use them too)."""

from __future__ import annotations

from opencsms.handlers.context import Handler
from opencsms.handlers.v201 import (
    authorization,
    availability,
    data_transfer,
    diagnostics,
    firmware,
    meter_values,
    provisioning,
    reservation,
    security,
    smart_charging,
    transactions,
)

#: action -> handler for every station-initiated 2.0.1 action this CSMS implements.
HANDLERS: dict[str, Handler] = {
    **provisioning.HANDLERS,
    **authorization.HANDLERS,
    **availability.HANDLERS,
    **transactions.HANDLERS,
    **meter_values.HANDLERS,
    **data_transfer.HANDLERS,
    **diagnostics.HANDLERS,
    **firmware.HANDLERS,
    **security.HANDLERS,
    **reservation.HANDLERS,
    **smart_charging.HANDLERS,
}

__all__ = ["HANDLERS"]
