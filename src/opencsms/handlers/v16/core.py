"""OCPP 1.6J Core profile, station -> CSMS (OCPP 1.6 edition 2, section 4 and 6).

Transaction messages (StartTransaction, StopTransaction, MeterValues) are never answered with a
CALLERROR for a business reason: a station drops a message after a few failed attempts, so that
would lose billing data. They are stored, then answered with a result (section 4.8 / 4.10).
"""

from __future__ import annotations

from typing import Any

from opencsms.domain.model import (
    BootInfo,
    IdTokenInfo,
    MeterSample,
    SampledValue,
    TransactionStart,
    TransactionStop,
)
from opencsms.domain.transactions import MeterQuotaExceeded
from opencsms.handlers.context import Handler, Payload, StationContext, format_datetime, parse_datetime
from opencsms.ocppj.errors import OccurrenceConstraintViolation, SecurityError
from opencsms.security.handshake import SecurityEvent

TRANSACTION_ACTIONS = frozenset({"StartTransaction", "StopTransaction", "MeterValues"})


def id_tag_info(info: IdTokenInfo) -> Payload:
    out: Payload = {"status": str(info.status) if str(info.status) in _V16_STATUSES else "Invalid"}
    if info.expiry_date is not None:
        out["expiryDate"] = format_datetime(info.expiry_date)
    if info.parent_id_token:
        out["parentIdTag"] = info.parent_id_token
    return out


_V16_STATUSES = frozenset({"Accepted", "Blocked", "Expired", "Invalid", "ConcurrentTx"})


def meter_samples(ctx: StationContext, meter_values: list[dict[str, Any]]) -> tuple[MeterSample, ...]:
    """1.6 MeterValue objects -> domain samples; values kept verbatim, absent fields get the
    defaults section 7.45 gives them (Energy.Active.Import.Register, Wh, Sample.Periodic, Outlet)."""
    samples = []
    for mv in meter_values:
        ts = parse_datetime(mv.get("timestamp"), ctx.clock())
        values = tuple(
            SampledValue(
                value=sv["value"],
                measurand=sv.get("measurand", "Energy.Active.Import.Register"),
                phase=sv.get("phase"),
                unit=sv.get("unit", "Wh"),
                context=sv.get("context", "Sample.Periodic"),
                location=sv.get("location", "Outlet"),
                format=sv.get("format"),
            )
            for sv in mv.get("sampledValue", ())
        )
        samples.append(MeterSample(ts, values))
    return tuple(samples)


def refuse_if_rejected(ctx: StationContext, action: str) -> None:
    """A station whose boot was Rejected may only boot again (4.2); transaction data is still kept.

    Raises:
        SecurityError: the station is Rejected and the action is not a transaction message.
    """
    if ctx.registration == "Rejected" and action not in TRANSACTION_ACTIONS:
        raise SecurityError(f"{action} refused: the station's registration was rejected")


async def boot_notification(ctx: StationContext, payload: Payload) -> Payload:
    """1.6 section 4.2: register the station and answer with status, time and interval."""
    info = BootInfo(
        vendor=payload["chargePointVendor"],
        model=payload["chargePointModel"],
        serial_number=payload.get("chargePointSerialNumber") or payload.get("chargeBoxSerialNumber"),
        firmware_version=payload.get("firmwareVersion"),
        iccid=payload.get("iccid"),
        imsi=payload.get("imsi"),
        meter_type=payload.get("meterType"),
        meter_serial=payload.get("meterSerialNumber"),
    )
    decision = await ctx.domain.stations.boot(ctx.station_id, info, ctx.clock())
    ctx.registration = str(decision.status)
    return {
        "status": str(decision.status),
        "currentTime": format_datetime(decision.current_time),
        "interval": decision.interval,
    }


async def heartbeat(ctx: StationContext, payload: Payload) -> Payload:
    """1.6 section 4.6: answer with the current time."""
    refuse_if_rejected(ctx, "Heartbeat")
    now = await ctx.domain.stations.heartbeat(ctx.station_id, ctx.clock())
    return {"currentTime": format_datetime(now)}


async def authorize(ctx: StationContext, payload: Payload) -> Payload:
    """1.6 section 4.1: the id tag's status, expiry and parent."""
    refuse_if_rejected(ctx, "Authorize")
    info = await ctx.domain.tokens.authorize(payload["idTag"], ctx.clock())
    return {"idTagInfo": id_tag_info(info)}


async def status_notification(ctx: StationContext, payload: Payload) -> Payload:
    """1.6 section 4.9: record the connector's status (connector 0 is the station itself)."""
    refuse_if_rejected(ctx, "StatusNotification")
    now = ctx.clock()
    await ctx.domain.stations.status(
        ctx.station_id,
        payload["connectorId"],
        payload["status"],
        now,
        error_code=payload.get("errorCode"),
        info=payload.get("info"),
        vendor_error_code=payload.get("vendorErrorCode"),
        timestamp=parse_datetime(payload.get("timestamp"), now),
    )
    return {}


async def data_transfer(ctx: StationContext, payload: Payload) -> Payload:
    """1.6 section 4.3: no vendor extensions are configured, so every vendor id is unknown."""
    refuse_if_rejected(ctx, "DataTransfer")
    return {"status": "UnknownVendorId"}


async def start_transaction(ctx: StationContext, payload: Payload) -> Payload:
    """1.6 section 4.8: store the transaction (idempotently) and answer its id and the tag's status."""
    now = ctx.clock()
    result = await ctx.domain.transactions.start(
        TransactionStart(
            station_id=ctx.station_id,
            connector_id=payload["connectorId"],
            id_token=payload["idTag"],
            meter_start_wh=float(payload["meterStart"]),
            timestamp=parse_datetime(payload.get("timestamp"), now),
            reservation_id=payload.get("reservationId"),
        )
    )
    if payload.get("reservationId") is not None:  # 5.13: the reservation ends with its transaction
        await ctx.domain.reservations.set_status(
            ctx.station_id, payload["reservationId"], "Used", transaction_id=result.transaction_id
        )
    return {"transactionId": result.transaction_id, "idTagInfo": id_tag_info(result.id_token_info)}


async def stop_transaction(ctx: StationContext, payload: Payload) -> Payload:
    """1.6 section 4.10: store the stop and its transactionData; an unknown transaction is recorded."""
    now = ctx.clock()
    result = await ctx.domain.transactions.stop(
        TransactionStop(
            station_id=ctx.station_id,
            meter_stop_wh=float(payload["meterStop"]),
            timestamp=parse_datetime(payload.get("timestamp"), now),
            transaction_id=payload["transactionId"],
            reason=payload.get("reason", "Local"),
            id_token=payload.get("idTag"),
            samples=meter_samples(ctx, payload.get("transactionData") or []),
        )
    )
    if result.other_station is not None:
        # Answered like any unknown transaction (the station must not learn whose it is); recorded.
        ctx.domain.security.record(
            ctx.station_id,
            SecurityEvent.FOREIGN_TRANSACTION_REFUSED,
            f"StopTransaction named transaction {payload['transactionId']} of another station",
        )
    if result.id_token_info is not None:
        return {"idTagInfo": id_tag_info(result.id_token_info)}
    return {}


async def meter_values(ctx: StationContext, payload: Payload) -> Payload:
    """1.6 section 4.7: store every sampled value verbatim, with or without a transaction.

    A message over the per-message quota is refused with OccurenceConstraintViolation (too many
    sampledValue elements for this CSMS); nothing of it is stored."""
    try:
        await ctx.domain.transactions.meter_values(
            ctx.station_id,
            meter_samples(ctx, payload["meterValue"]),
            connector_id=payload["connectorId"],
            transaction_id=payload.get("transactionId"),
        )
    except MeterQuotaExceeded as exc:
        raise OccurrenceConstraintViolation(str(exc)) from None
    return {}


HANDLERS: dict[str, Handler] = {
    "Authorize": authorize,
    "BootNotification": boot_notification,
    "DataTransfer": data_transfer,
    "Heartbeat": heartbeat,
    "MeterValues": meter_values,
    "StartTransaction": start_transaction,
    "StatusNotification": status_notification,
    "StopTransaction": stop_transaction,
}
