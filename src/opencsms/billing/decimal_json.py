"""JSON with exact numbers: ``Decimal`` written as a JSON number digit for digit, and read back
as ``Decimal`` (never through a float), for tariffs and amounts."""

from __future__ import annotations

import json
from datetime import datetime
from decimal import Decimal
from typing import Any


def dumps(value: Any) -> str:
    """``value`` as compact JSON; Decimals as numbers exactly as they are, datetimes ISO 8601."""
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError(f"{value} has no JSON form")
        return (
            format(value, "f") if value == value.to_integral_value() or value.adjusted() < -6 else str(value)
        )
    if isinstance(value, dict):
        return "{" + ",".join(f"{json.dumps(str(key))}:{dumps(item)}" for key, item in value.items()) + "}"
    if isinstance(value, list | tuple):
        return "[" + ",".join(dumps(item) for item in value) + "]"
    if isinstance(value, datetime):
        return json.dumps(value.isoformat())
    return json.dumps(value)


def loads(text: str | bytes) -> Any:
    """Parse JSON, numbers with a fraction or exponent as ``Decimal``.

    Raises ``ValueError`` on malformed JSON.
    """
    return json.loads(text, parse_float=Decimal)
