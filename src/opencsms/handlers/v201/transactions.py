"""2.0.1 block E, Transactions: TransactionEvent (station -> CSMS).

Like 1.6's transaction messages, a TransactionEvent is never answered with a CALLERROR for a
business reason (E01-E15): it is stored first, duplicates (same transactionId and seqNo, e.g.
re-sent after a lost answer) are answered the same way again, and events queued while offline
are stored with their own timestamps in the order they arrive.
"""

from __future__ import annotations

from opencsms.domain.model import TransactionEvent
from opencsms.handlers.context import Handler, Payload, StationContext, parse_datetime
from opencsms.handlers.v201.common import energy_register_wh, id_token_info, meter_samples


async def transaction_event(ctx: StationContext, payload: Payload) -> Payload:
    """E01-E07 (start/stop points), E15 (seqNo), E11/E12 (offline), E05 (idToken info in the answer)."""
    info = payload["transactionInfo"]
    evse = payload.get("evse") or {}
    token = payload.get("idToken") or {}
    now = ctx.clock()
    samples = meter_samples(ctx, payload.get("meterValue") or [])
    result = await ctx.domain.transactions.transaction_event(
        TransactionEvent(
            station_id=ctx.station_id,
            transaction_ref=info["transactionId"],
            event_type=payload["eventType"],
            seq_no=payload["seqNo"],
            timestamp=parse_datetime(payload.get("timestamp"), now),
            trigger_reason=payload["triggerReason"],
            offline=bool(payload.get("offline", False)),
            evse_id=evse.get("id"),
            connector_id=evse.get("connectorId"),
            id_token=token.get("idToken"),
            token_type=token.get("type"),
            charging_state=info.get("chargingState"),
            stopped_reason=info.get("stoppedReason"),
            remote_start_id=info.get("remoteStartId"),
            reservation_id=payload.get("reservationId"),
            energy_wh=energy_register_wh(samples),
            samples=samples,
        )
    )
    if payload.get("reservationId") is not None:  # H01.FR.21: the reservation is used up
        await ctx.domain.reservations.set_status(
            ctx.station_id, payload["reservationId"], "Used", transaction_id=result.transaction_id
        )
    answer: Payload = {}
    if result.id_token_info is not None:
        answer["idTokenInfo"] = id_token_info(result.id_token_info)
    return answer


HANDLERS: dict[str, Handler] = {"TransactionEvent": transaction_event}
