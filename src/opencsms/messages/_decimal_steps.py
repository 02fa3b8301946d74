"""Exact ``multipleOf`` for decimal steps such as OCPP 1.6's ``"multipleOf": 0.1``.

OCPP 1.6 declares charging-rate limits (SetChargingProfile, RemoteStartTransaction,
GetCompositeSchedule.conf) as ``{"type": "number", "multipleOf": 0.1}``. A station's ``7.3``
reaches us as the binary float 7.29999…, and float division says it is no multiple of 0.1.
jsonschema-rs changed its arithmetic for this more than once (exact only from about 0.35 on), so
we do not depend on the installed version: when a schema is loaded, every non-integer
``multipleOf`` is renamed to our own keyword, which takes each number as it was written (the
shortest decimal that round-trips, i.e. ``repr``) and checks it with exact rational arithmetic.
So ``7.3`` passes and ``7.35`` fails, as a reader of the JSON text expects.
"""

from __future__ import annotations

import math
from decimal import Decimal
from fractions import Fraction
from typing import Any

KEYWORD = "decimalMultipleOf"


class DecimalMultipleOf:
    """A jsonschema-rs keyword: the instance, if a number, is an exact multiple of a decimal step."""

    def __init__(self, parent_schema: dict[str, Any], value: Any, schema_path: list[str | int]) -> None:
        step = _as_written(value)
        if step is None or step <= 0:
            raise ValueError(f"{KEYWORD} must be a positive number, got {value!r}")
        self._step = step
        self._step_text = repr(value)

    def validate(self, instance: Any) -> None:
        """Check one instance; non-numbers are left to the ``type`` keyword.

        Raises:
            ValueError: ``instance`` is a number that is not a multiple of the step.
        """
        if isinstance(instance, bool) or not isinstance(instance, int | float | Decimal):
            return
        written = _as_written(instance)
        if written is None or (written / self._step).denominator != 1:
            raise ValueError(f"{instance!r} is not a multiple of {self._step_text}")


def _as_written(number: Any) -> Fraction | None:
    """The exact value of ``number`` as JSON text spells it; None when not a finite number."""
    if isinstance(number, bool):
        return None
    if isinstance(number, int):
        return Fraction(number)
    if isinstance(number, float):
        # repr is the shortest decimal that reads back as this float: what the sender wrote.
        return Fraction(repr(number)) if math.isfinite(number) else None
    if isinstance(number, Decimal):
        return Fraction(number) if number.is_finite() else None
    return None


def rewrite_decimal_steps(node: Any) -> None:
    """Rename, in place, every non-integer ``multipleOf`` in a schema to ``KEYWORD``.

    Only numeric values are renamed, so a property that happens to be called ``multipleOf``
    (its value is a schema object) is left alone.
    """
    if isinstance(node, dict):
        step = node.get("multipleOf")
        if isinstance(step, float) and not step.is_integer():
            node[KEYWORD] = node.pop("multipleOf")
        for child in node.values():
            rewrite_decimal_steps(child)
    elif isinstance(node, list):
        for child in node:
            rewrite_decimal_steps(child)
