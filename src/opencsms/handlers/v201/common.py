"""Pieces shared by the 2.0.1 blocks: id token info and sampled values."""

from __future__ import annotations

from typing import Any

import orjson

from opencsms.domain.model import IdTokenInfo, MeterSample, SampledValue
from opencsms.handlers.context import Payload, StationContext, format_datetime, parse_datetime

_V201_STATUSES = frozenset(
    {
        "Accepted",
        "Blocked",
        "ConcurrentTx",
        "Expired",
        "Invalid",
        "NoCredit",
        "NotAllowedTypeOut",
        "NotAtThisLocation",
        "NotAtThisTime",
        "Unknown",
    }
)


def id_token_info(info: IdTokenInfo) -> Payload:
    """Domain token info as a 2.0.1 IdTokenInfoType (C01.FR.02, C05.FR.01 group id token)."""
    status = str(info.status)
    out: Payload = {"status": status if status in _V201_STATUSES else "Invalid"}
    if info.expiry_date is not None:
        out["cacheExpiryDateTime"] = format_datetime(info.expiry_date)
    if info.parent_id_token:
        out["groupIdToken"] = {"idToken": info.parent_id_token, "type": "Central"}
    return out


def _number_text(value: Any) -> str:
    # Keep the station's number as it was written (orjson renders floats the shortest exact way).
    return orjson.dumps(value).decode() if not isinstance(value, str) else value


def meter_samples(ctx: StationContext, meter_values: list[dict[str, Any]]) -> tuple[MeterSample, ...]:
    """2.0.1 MeterValueType list -> domain samples; signed meter values kept verbatim (J02)."""
    samples = []
    for mv in meter_values:
        ts = parse_datetime(mv.get("timestamp"), ctx.clock())
        values = []
        for sv in mv.get("sampledValue", ()):
            unit_of_measure = sv.get("unitOfMeasure") or {}
            unit = unit_of_measure.get("unit", "Wh")
            multiplier = unit_of_measure.get("multiplier", 0)
            if multiplier:
                unit = f"{unit}*10^{multiplier}"
            signed = sv.get("signedMeterValue")
            values.append(
                SampledValue(
                    value=_number_text(sv["value"]),
                    measurand=sv.get("measurand", "Energy.Active.Import.Register"),
                    phase=sv.get("phase"),
                    unit=unit,
                    context=sv.get("context", "Sample.Periodic"),
                    location=sv.get("location", "Outlet"),
                    signed_data=orjson.dumps(signed).decode() if signed is not None else None,
                )
            )
        samples.append(MeterSample(ts, tuple(values)))
    return tuple(samples)


def energy_register_wh(samples: tuple[MeterSample, ...]) -> float | None:
    """The last Energy.Active.Import.Register reading without phase, in Wh, if any."""
    found: float | None = None
    for sample in samples:
        for sv in sample.values:
            if sv.measurand == "Energy.Active.Import.Register" and sv.phase is None:
                try:
                    value = float(sv.value)
                except ValueError:
                    continue
                unit = sv.unit or "Wh"
                scale = 1.0
                if "*10^" in unit:
                    unit, exp = unit.split("*10^", 1)
                    scale = 10.0 ** int(exp)
                if unit == "kWh":
                    scale *= 1000.0
                found = value * scale
    return found
