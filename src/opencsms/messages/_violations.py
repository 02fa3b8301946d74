"""Turn jsonschema-rs validation errors into OCPP-J errors.

The error code follows the OCPP-J error tables (1.6 §4.2.3, 2.0.1 §4.3); each class spells
its code per version through ``OcppError.code_for``:

- wrong JSON type                                   -> TypeConstraintViolation
- missing required property, too few or many items  -> OccurrenceConstraintViolation
- enum, length, pattern, range, format, multipleOf  -> PropertyConstraintViolation
- unknown property, payload not an object, the rest -> FormatViolation

The description names the JSON path and the problem, e.g.
``"connectorId: -1 is less than the minimum of 0"``.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from jsonschema_rs import ValidationError, ValidationErrorKind

from opencsms.messages._decimal_steps import KEYWORD as DECIMAL_MULTIPLE_OF
from opencsms.ocppj.errors import (
    FormatViolation,
    OccurrenceConstraintViolation,
    OcppError,
    PropertyConstraintViolation,
    TypeConstraintViolation,
)

ROOT = "payload"
"""How a description names the payload itself (an empty JSON path)."""

_PREVIEW_CHARS = 60
_ENUM_OPTIONS_SHOWN = 6

_ERROR_BY_KEYWORD: dict[str, type[OcppError]] = {
    "type": TypeConstraintViolation,
    "required": OccurrenceConstraintViolation,
    "minItems": OccurrenceConstraintViolation,
    "maxItems": OccurrenceConstraintViolation,
    **dict.fromkeys(
        (
            "enum",
            "const",
            "maxLength",
            "minLength",
            "pattern",
            "minimum",
            "maximum",
            "exclusiveMinimum",
            "exclusiveMaximum",
            "format",
            "multipleOf",
            DECIMAL_MULTIPLE_OF,
        ),
        PropertyConstraintViolation,
    ),
}


def violation_for(errors: Sequence[ValidationError], *, complete: bool) -> OcppError:
    """The OCPP error for a non-empty list of schema errors; the first one decides the code.

    ``complete`` says whether ``errors`` holds all of them or was cut short.
    """
    first = errors[0]
    keyword = first.kind.name
    where, problem = _describe(first)
    description = f"{where}: {problem}"
    others = len(errors) - 1
    if others:
        count = f"{others}" if complete else f"at least {others}"
        description += f" (and {count} more problem{'s' if others > 1 or not complete else ''})"
    error_class = _ERROR_BY_KEYWORD.get(keyword, FormatViolation)
    return error_class(description, {"path": where, "keyword": keyword})


def not_an_object(payload: object) -> FormatViolation:
    """The error for a payload that is not a JSON object."""
    return FormatViolation(
        f"{ROOT}: expected a JSON object, got {_json_type(payload)}", {"path": ROOT, "keyword": "type"}
    )


def not_json(reason: object) -> FormatViolation:
    """The error for a payload the validator cannot read as JSON (e.g. a lone surrogate)."""
    return FormatViolation(f"{ROOT}: not valid JSON ({reason})", {"path": ROOT, "keyword": "json"})


def unexplained() -> FormatViolation:
    """The error for a payload the schema rejects without saying why (a validator bug)."""
    return FormatViolation(f"{ROOT}: rejected by the schema", {"path": ROOT, "keyword": "unknown"})


def json_path(parts: Sequence[str | int]) -> str:
    """``["meterValue", 0, "timestamp"]`` -> ``"meterValue[0].timestamp"``; ``[]`` -> ``ROOT``."""
    text = ""
    for part in parts:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else part
    return text or ROOT


def _describe(error: ValidationError) -> tuple[str, str]:
    """The JSON path and a short sentence for one schema error."""
    parts = error.instance_path
    value = _preview(error.instance)
    match error.kind:
        case ValidationErrorKind.Required(property=name):
            return json_path([*parts, name]), "required property is missing"
        case ValidationErrorKind.AdditionalProperties(unexpected=names):
            if len(names) == 1:
                return json_path([*parts, names[0]]), "property is not allowed by the schema"
            return json_path(parts), f"properties {', '.join(names)} are not allowed by the schema"
        case ValidationErrorKind.Type(types=types):
            expected = " or ".join(f'"{name}"' for name in types)
            problem = f"{value} is not of type {expected}"
        case ValidationErrorKind.Enum(options=options):
            problem = f"{value} is not one of {_options(options)}"
        case ValidationErrorKind.MaxLength(limit=limit):
            problem = f"{value} is longer than {limit} characters"
        case ValidationErrorKind.MinLength(limit=limit):
            problem = f"{value} is shorter than {limit} characters"
        case ValidationErrorKind.Minimum(limit=bound):
            problem = f"{value} is less than the minimum of {_number(bound)}"
        case ValidationErrorKind.Maximum(limit=bound):
            problem = f"{value} is greater than the maximum of {_number(bound)}"
        case ValidationErrorKind.MinItems(limit=limit):
            problem = f"has {_length(error.instance)} items, fewer than the minimum of {limit}"
        case ValidationErrorKind.MaxItems(limit=limit):
            problem = f"has {_length(error.instance)} items, more than the maximum of {limit}"
        case ValidationErrorKind.Format(format=name):
            problem = f"{value} is not a valid {name}"
        case ValidationErrorKind.Pattern(pattern=pattern):
            problem = f"{value} does not match the pattern {pattern}"
        case ValidationErrorKind.MultipleOf(multiple_of=step):
            problem = f"{value} is not a multiple of {step}"
        case ValidationErrorKind.Custom(message=message):
            problem = message
        case _:
            problem = _truncate(error.message)
    return json_path(parts), problem


def _preview(value: object) -> str:
    """A JSON rendering of ``value``, cut short so that a huge value cannot flood a CALLERROR."""
    return _truncate(json.dumps(value, ensure_ascii=False, default=str))


def _truncate(text: str) -> str:
    return text if len(text) <= _PREVIEW_CHARS else text[: _PREVIEW_CHARS - 1] + "…"


def _number(bound: object) -> str:
    # The 2.x schemas write integer bounds as 0.0 and 100.0; say "100" as the spec does.
    if isinstance(bound, float) and bound.is_integer():
        return str(int(bound))
    return str(bound)


def _options(options: Sequence[object]) -> str:
    shown = ", ".join(_preview(option) for option in options[:_ENUM_OPTIONS_SHOWN])
    hidden = len(options) - _ENUM_OPTIONS_SHOWN
    return f"{shown} or {hidden} more" if hidden > 0 else shown


def _length(value: object) -> int | str:
    return len(value) if isinstance(value, list) else "?"


def _json_type(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list | tuple):
        return "array"
    return type(value).__name__
