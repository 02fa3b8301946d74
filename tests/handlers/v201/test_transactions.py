"""2.0.1 block E handler: TransactionEvent."""

from __future__ import annotations

from typing import Any

from opencsms.handlers.context import StationContext
from opencsms.handlers.v201.transactions import transaction_event


def event(kind: str, seq: int, trigger: str, **extra: Any) -> dict[str, Any]:
    return {
        "eventType": kind,
        "timestamp": f"2026-11-24T09:0{seq}:00Z",
        "triggerReason": trigger,
        "seqNo": seq,
        "transactionInfo": {"transactionId": "T1"},
    } | extra


async def test_a_session_with_a_resend_a_gap_and_offline_events(ctx: StationContext) -> None:
    await ctx.domain.tokens.add("TAG")
    token = {"idToken": "TAG", "type": "ISO14443"}
    energy = {
        "timestamp": "2026-11-24T09:00:00Z",
        "sampledValue": [{"value": 7, "context": "Transaction.Begin"}],
    }
    started = event(
        "Started", 0, "Authorized", idToken=token, evse={"id": 1, "connectorId": 2}, meterValue=[energy]
    )
    assert await transaction_event(ctx, started) == {"idTokenInfo": {"status": "Accepted"}}
    assert await transaction_event(ctx, started) == {"idTokenInfo": {"status": "Accepted"}}  # resend
    assert await transaction_event(ctx, event("Updated", 2, "ChargingStateChanged", offline=True)) == {}
    tx = await ctx.domain.transactions.find("CS1", "T1")
    assert tx is not None and tx.seq_gaps == "1" and tx.offline
    ended = event(
        "Ended",
        3,
        "EVCommunicationLost",
        transactionInfo={"transactionId": "T1", "stoppedReason": "EVDisconnected"},
    )
    assert await transaction_event(ctx, ended) == {}
    tx = await ctx.domain.transactions.find("CS1", "T1")
    assert tx is not None and tx.status == "ended"
    assert (tx.evse_id, tx.connector_id, tx.meter_start_wh, tx.stop_reason) == (1, 2, 7, "EVDisconnected")
    assert (tx.start_trigger_reason, tx.trigger_reason, tx.last_seq_no) == (
        "Authorized",
        "EVCommunicationLost",
        3,
    )
    assert len(await ctx.domain.transactions.meter_values_of(tx.id)) == 1  # the resend stored nothing


async def test_transaction_data_is_never_refused_even_while_rejected(ctx: StationContext) -> None:
    ctx.registration = "Rejected"
    assert await transaction_event(ctx, event("Started", 0, "Authorized")) == {}
    assert await ctx.domain.transactions.find("CS1", "T1") is not None
