"""Charge detail records: what one finished session is billed, never changed once written.

A CDR names the station, EVSE, connector, site, token (and its group) and authorization method,
start and stop, energy, charging and parking time, the charging periods with their dimensions,
the tariff version applied, the totals per component excluding and including VAT, and the signed
meter data as the station sent it. A correction is a *credit CDR*: the same record with negated
amounts, ``credit_of`` naming the CDR it cancels; a new CDR then bills the corrected session.
"""

from __future__ import annotations

from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from opencsms.billing.costing import SessionCost
from opencsms.billing.currencies import minor_unit
from opencsms.billing.tariff_service import TariffVersion
from opencsms.billing.usage import StoredSession

MICRO = Decimal(1_000_000)


def to_micro(amount: Decimal) -> int:
    """An amount in millionths (exact for every ISO 4217 currency)."""
    return int((amount * MICRO).to_integral_value(ROUND_HALF_UP))


def from_micro(value: int, currency: str) -> Decimal:
    """Millionths back to an amount, shown with the currency's minor units."""
    return (Decimal(value) / MICRO).quantize(minor_unit(currency))


def _ms(seconds: Decimal) -> int:
    return int((seconds * 1000).to_integral_value(ROUND_HALF_UP))


def auth_method(transaction: Any) -> str:
    """OCPI AuthMethod: COMMAND for a remote start, AUTH_REQUEST with a token, else WHITELIST."""
    if transaction.remote_start_id is not None or transaction.start_trigger_reason == "RemoteStart":
        return "COMMAND"
    return "AUTH_REQUEST" if transaction.id_token else "WHITELIST"


def cdr_values(
    session: StoredSession, version: TariffVersion, cost: SessionCost, now: datetime
) -> dict[str, Any]:
    """The ``cdrs`` row billing ``session`` at ``cost``."""
    tx = session.transaction
    detail = {
        "transaction": {
            "id": tx.id,
            "transaction_ref": tx.transaction_ref,
            "meter_start_wh": tx.meter_start_wh,
            "meter_stop_wh": tx.meter_stop_wh,
            "stop_reason": tx.stop_reason,
            "ended_by": tx.ended_by,
            "inferred_cause": tx.inferred_cause,
            "token_type": tx.token_type,
        },
        "tariff": {"id": version.tariff.id, "version": version.version, "time_zone": version.time_zone},
        "cost": cost.to_json(),
        "signed_meter_data": session.signed_meter_data(),
    }
    return {
        "transaction_id": tx.id,
        "credit": False,
        "credit_of": None,
        "station_id": tx.station_id,
        "evse_id": tx.evse_id,
        "connector_id": tx.connector_id,
        "site_id": session.site_id,
        "id_token": tx.id_token,
        "token_group": session.token_group,
        "auth_method": auth_method(tx),
        "started_at": tx.started_at,
        "stopped_at": tx.stopped_at,
        "ended_by": tx.ended_by,
        "tariff_id": version.tariff.id,
        "tariff_version": version.version,
        "currency": cost.currency,
        "energy_mwh": int((cost.energy_wh * 1000).to_integral_value(ROUND_HALF_UP)),
        "duration_ms": _ms(cost.total_seconds),
        "charging_ms": _ms(cost.charging_seconds),
        "parking_ms": _ms(cost.parking_seconds),
        "total_excl_micro": to_micro(cost.total.excl_vat),
        "total_incl_micro": to_micro(cost.total.incl_vat),
        "detail": detail,
        "created_at": now,
    }


def credit_values(original: Any, reason: str, now: datetime) -> dict[str, Any]:
    """A credit CDR cancelling ``original`` (a ``cdrs`` row): the same record, amounts negated."""
    values = {name: getattr(original, name) for name in original._fields if name != "id"}
    values |= {
        "credit": True,
        "credit_of": original.id,
        "energy_mwh": -original.energy_mwh,
        "duration_ms": -original.duration_ms,
        "charging_ms": -original.charging_ms,
        "parking_ms": -original.parking_ms,
        "total_excl_micro": -original.total_excl_micro,
        "total_incl_micro": -original.total_incl_micro,
        "detail": {**original.detail, "credit_reason": reason},
        "created_at": now,
    }
    return values


def cdr_json(row: Any) -> dict[str, Any]:
    """A ``cdrs`` row for the API: amounts as exact decimal strings, times ISO 8601."""
    return {
        "id": row.id,
        "transaction_id": row.transaction_id,
        "credit": bool(row.credit),
        "credit_of": row.credit_of,
        "station_id": row.station_id,
        "evse_id": row.evse_id,
        "connector_id": row.connector_id,
        "site_id": row.site_id,
        "id_token": row.id_token,
        "token_group": row.token_group,
        "auth_method": row.auth_method,
        "started_at": row.started_at.isoformat(),
        "stopped_at": row.stopped_at.isoformat(),
        "ended_by": row.ended_by,
        "tariff_id": row.tariff_id,
        "tariff_version": row.tariff_version,
        "currency": row.currency,
        "total_energy_kwh": str(Decimal(row.energy_mwh) / 1_000_000),
        "total_time_hours": str((Decimal(row.duration_ms) / 3_600_000).quantize(Decimal("0.000001"))),
        "total_charging_hours": str((Decimal(row.charging_ms) / 3_600_000).quantize(Decimal("0.000001"))),
        "total_parking_hours": str((Decimal(row.parking_ms) / 3_600_000).quantize(Decimal("0.000001"))),
        "total_cost": {
            "excl_vat": str(from_micro(row.total_excl_micro, row.currency)),
            "incl_vat": str(from_micro(row.total_incl_micro, row.currency)),
        },
        "detail": row.detail,
        "created_at": row.created_at.isoformat(),
    }
