"""Samples to stored rows and back; the numeric reading of a value string."""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import fields
from datetime import datetime
from typing import Any, Protocol

import orjson

from opencsms.domain.model import MeterSample, SampledValue

# A plain decimal number, as OCPP sends one. float() alone would also take "1_000", "nan" and
# "infinity", which are not readings.
_DECIMAL = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")

SIGNED_DATA_FORMAT = "SignedData"

_VALUE_FIELDS = tuple(field.name for field in fields(SampledValue))


class StoredSample(Protocol):
    """A ``meter_samples`` row, or any row with its time and values."""

    @property
    def timestamp(self) -> datetime: ...
    @property
    def sampled_values(self) -> str: ...


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
    """One ``meter_samples`` row per sample, its values kept verbatim as a JSON array; each row
    holds the values of :data:`opencsms.store.meter_values.COLUMNS`, in that order."""
    return [
        (
            transaction_id,
            transaction_ref,
            station_id,
            evse_id,
            connector_id,
            sample.timestamp,
            # orjson writes each SampledValue (a dataclass) as an object of all its fields.
            orjson.dumps(sample.values).decode(),
        )
        for sample in samples
    ]


def sampled_values(row: StoredSample) -> list[tuple[datetime, SampledValue]]:
    """A stored sample back as (timestamp, value) pairs, in the order the station sent them."""
    timestamp = row.timestamp
    return [
        (timestamp, SampledValue(**{name: value[name] for name in _VALUE_FIELDS if name in value}))
        for value in orjson.loads(row.sampled_values)
    ]


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


ENERGY_REGISTER = "Energy.Active.Import.Register"
_TO_WH = {"Wh": 1.0, "kWh": 1000.0}


def energy_register_wh(values: Sequence[SampledValue]) -> float | None:
    """The energy register among ``values`` in Wh: its phase-less reading, else the sum of its
    phases; None when there is none (or its unit is not Wh or kWh)."""
    total: float | None = None
    phases: float | None = None
    for value in values:
        if value.measurand != ENERGY_REGISTER or (scale := _TO_WH.get(value.unit or "Wh")) is None:
            continue
        number = numeric_value(value.value, value.format)
        if number is None:
            continue
        if value.phase is None:
            total = number * scale
        elif value.phase in ("L1", "L2", "L3", "L1-N", "L2-N", "L3-N"):
            phases = (phases or 0.0) + number * scale
    return total if total is not None else phases
