"""Sampled values to stored rows and back; the numeric reading of a value string."""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import fields
from datetime import datetime
from typing import Any

from sqlalchemy.engine import Row

from opencsms.domain.model import MeterSample, SampledValue

# A plain decimal number, as OCPP sends one. float() alone would also take "1_000", "nan" and
# "infinity", which are not readings.
_DECIMAL = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")

SIGNED_DATA_FORMAT = "SignedData"

_VALUE_FIELDS = tuple(field.name for field in fields(SampledValue))


def numeric_value(value: str, value_format: str | None = None) -> float | None:
    """The number in ``value``, or None when it is not a plain finite decimal (or is signed data)."""
    if value_format == SIGNED_DATA_FORMAT:
        return None
    text = value.strip()
    if not _DECIMAL.fullmatch(text):
        return None
    number = float(text)
    return number if math.isfinite(number) else None


def sample_rows(
    samples: Sequence[MeterSample],
    *,
    station_id: str,
    evse_id: int | None,
    connector_id: int | None,
    transaction_id: int | None,
    transaction_ref: str | None,
) -> list[tuple[Any, ...]]:
    """One ``meter_values`` row per sampled value, the value kept verbatim; each row holds the
    values of :data:`opencsms.store.meter_values.COLUMNS`, in that order."""
    return [
        (
            transaction_id,
            transaction_ref,
            station_id,
            evse_id,
            connector_id,
            sample.timestamp,
            value.measurand,
            value.phase,
            value.unit,
            value.context,
            value.location,
            value.format,
            value.value,
            numeric_value(value.value, value.format),
            value.signed_data,
        )
        for sample in samples
        for value in sample.values
    ]


def sampled_value(row: Row[Any]) -> tuple[datetime, SampledValue]:
    """A stored row back as (timestamp, value)."""
    return row.timestamp, SampledValue(
        value=row.value,
        measurand=row.measurand,
        phase=row.phase,
        unit=row.unit,
        context=row.context,
        location=row.location,
        format=row.format,
        signed_data=row.signed_data,
    )


def samples_json(samples: Sequence[MeterSample]) -> list[dict[str, Any]]:
    """The samples as JSON-ready dicts (events, the orphan-stop record)."""
    return [
        {
            "timestamp": sample.timestamp.isoformat(),
            "values": [
                {name: getattr(value, name) for name in _VALUE_FIELDS if getattr(value, name) is not None}
                for value in sample.values
            ],
        }
        for sample in samples
    ]
