"""A simulated 2.x station's customer information (N09, N10): CustomerInformation answered, then
what it holds about the customer reported in NotifyCustomerInformation.

The simulator keeps no customer records: what it holds about an id token is the sessions running
on its EVSEs with that token; a customer identifier or certificate names nobody it knows.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from opencsms.simulate.ev import ocpp_timestamp
from opencsms.simulate.received_calls import optional, required
from opencsms.transport.connection import CallFailed, Payload

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from opencsms.simulate.station201 import SimulatedStation201

    Handler = Callable[[SimulatedStation201, Payload], Awaitable[Payload]]

log = logging.getLogger(__name__)
#: NotifyCustomerInformation's data is at most 512 characters a part.
_PART = 512


def held_about(station: SimulatedStation201, id_token: str | None) -> str:
    """What the station holds about the customer with ``id_token`` (or another identity)."""
    if id_token is None:
        return "No data held for this customer"
    running = [
        f"EVSE {evse_id}: transaction {evse.transaction.transaction_id} since {evse.transaction.started_at}"
        for evse_id, evse in sorted(station.evses.items())
        if evse.transaction is not None
        and evse.transaction.id_token is not None
        and evse.transaction.id_token.get("idToken") == id_token
    ]
    if not running:
        return f"idToken {id_token}: no transaction on this station"
    return f"idToken {id_token}: " + "; ".join(running)


async def customer_information(station: SimulatedStation201, payload: Payload) -> Payload:
    """N09/N10: Accepted, and with ``report`` the data follows in NotifyCustomerInformation parts
    (seqNo from 0, tbc on all but the last). Invalid when no customer is named, Rejected when
    neither a report nor a clear is asked for."""
    request_id = required(payload, "requestId", int)
    report = required(payload, "report", bool)
    clear = required(payload, "clear", bool)
    id_token = optional(payload, "idToken", dict)
    named = (
        id_token is not None
        or optional(payload, "customerIdentifier", str) is not None
        or optional(payload, "customerCertificate", dict) is not None
    )
    if not named:
        return {"status": "Invalid"}
    if not report and not clear:
        return {"status": "Rejected"}
    if report:
        data = held_about(station, None if id_token is None else str(id_token.get("idToken")))
        if clear:
            data += " (cleared)"
        station.spawn(_notify(station, request_id, data), "customer information")
    return {"status": "Accepted"}


async def _notify(station: SimulatedStation201, request_id: int, data: str) -> None:
    parts = [data[i : i + _PART] for i in range(0, len(data), _PART)] or [""]
    generated_at = ocpp_timestamp()
    for seq_no, part in enumerate(parts):
        message = {
            "data": part,
            "tbc": seq_no < len(parts) - 1,
            "seqNo": seq_no,
            "generatedAt": generated_at,
            "requestId": request_id,
        }
        try:
            await station.call("NotifyCustomerInformation", message)
        except CallFailed as exc:
            log.info("%s: NotifyCustomerInformation failed: %s", station.station_id, exc)
            return


HANDLERS: dict[str, Handler] = {"CustomerInformation": customer_information}
