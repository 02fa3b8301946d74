"""Validate OCPP payloads against the OCA JSON schemas, one cached ``Validator`` per version.

Schemas come from the installed ``ocpp`` package (see ``_schema_files``) and are compiled with
jsonschema-rs under the draft each one declares (1.6: draft-04 and draft-06; 2.x: draft-06),
with formats such as ``date-time`` and ``uri`` checked.

Cost (CPython 3.11, jsonschema-rs 0.61, x86-64): indexing a version's files takes under 1 ms
(3 ms for the first, which imports ``ocpp``); compiling one schema 0.06-0.3 ms, so all 387
would add 50-100 ms to start-up. Each action is therefore compiled on first use
(``compile_all`` warms a version up). A valid payload costs one ``is_valid`` call: 1.6
MeterValues with 5 sampled values ~1.6 us, 2.0.1 TransactionEvent with 5 sampled values
~2.5 us (about what ``orjson.loads`` of the same frame costs). Only an invalid payload pays for
collecting the detailed errors (~8-13 us).
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from importlib.resources.abc import Traversable
from itertools import islice

import jsonschema_rs

from opencsms.messages._decimal_steps import KEYWORD as DECIMAL_MULTIPLE_OF
from opencsms.messages._decimal_steps import DecimalMultipleOf
from opencsms.messages._schema_files import SUPPORTED_VERSIONS, find_schema_files, read_schema
from opencsms.messages._violations import not_an_object, not_json, unexplained, violation_for
from opencsms.ocppj.errors import NotImplementedCallError, OcppError

__all__ = ["SUPPORTED_VERSIONS", "Validator", "get_validator"]

# Collecting every error of a hostile payload is wasted work: the first decides the error code
# and the rest are only counted, as "at least 9 more" once this cap is reached.
_MAX_ERRORS = 10

# What jsonschema-rs raises for input it cannot read as JSON: dict keys that are not strings,
# lone surrogates, nesting beyond its recursion limit.
_UNREADABLE = (ValueError, TypeError, OverflowError)


class Validator:
    """Checks the request and response payloads of one OCPP version.

    Create it with ``get_validator(version)``; it is shared by everything in the process.
    """

    __slots__ = (
        "_request_files",
        "_requests",
        "_response_files",
        "_responses",
        "actions",
        "response_actions",
        "version",
    )

    version: str
    actions: frozenset[str]
    """The actions that have a request schema (including 2.1 SEND messages)."""
    response_actions: frozenset[str]
    """The actions that have a response schema (all but 2.1 SEND messages)."""

    def __init__(self, version: str) -> None:
        """Index the schema files of ``version``; nothing is compiled yet.

        Raises:
            UsageError: ``version`` is not one of ``SUPPORTED_VERSIONS``.
        """
        schema_files = find_schema_files(version)
        self.version = version
        self.actions = frozenset(schema_files.requests)
        self.response_actions = frozenset(schema_files.responses)
        self._request_files = schema_files.requests
        self._response_files = schema_files.responses
        self._requests: dict[str, jsonschema_rs.Validator] = {}
        self._responses: dict[str, jsonschema_rs.Validator] = {}

    def validate_request(self, action: str, payload: object) -> None:
        """Check the payload of a CALL of ``action``.

        Raises:
            NotImplementedCallError: ``action`` is unknown in this version.
            OcppError: the payload breaks the schema; the subclass is the OCPP-J error code
                (FormatViolation, TypeConstraintViolation, OccurrenceConstraintViolation,
                PropertyConstraintViolation), the description names the path and the problem.
        """
        compiled = self._requests.get(action)
        if compiled is None:
            compiled = self._compile(action, self._request_files, self._requests, "request")
        try:
            if compiled.is_valid(payload):
                return
        except _UNREADABLE as exc:
            raise not_json(exc) from exc
        raise _rejection(compiled, payload)

    def validate_response(self, action: str, payload: object) -> None:
        """Check the payload of a CALLRESULT to a CALL of ``action`` (ours or a station's).

        Raises:
            NotImplementedCallError: ``action`` is unknown in this version or has no response.
            OcppError: the payload breaks the schema, as for ``validate_request``.
        """
        compiled = self._responses.get(action)
        if compiled is None:
            compiled = self._compile(action, self._response_files, self._responses, "response")
        try:
            if compiled.is_valid(payload):
                return
        except _UNREADABLE as exc:
            raise not_json(exc) from exc
        raise _rejection(compiled, payload)

    def compile_all(self) -> None:
        """Compile every schema of this version now rather than on first use."""
        for action in self._request_files:
            self._compile(action, self._request_files, self._requests, "request")
        for action in self._response_files:
            self._compile(action, self._response_files, self._responses, "response")

    def _compile(
        self,
        action: str,
        schema_files: Mapping[str, Traversable],
        compiled: dict[str, jsonschema_rs.Validator],
        kind: str,
    ) -> jsonschema_rs.Validator:
        """Compile and cache one schema (two threads racing here both store an equal result)."""
        schema_file = schema_files.get(action)
        if schema_file is None:
            if action in self.actions:
                raise NotImplementedCallError(f"{action} has no {kind} in OCPP {self.version}")
            raise NotImplementedCallError(f"Unknown action {action!r} in OCPP {self.version}")
        validator = jsonschema_rs.validator_for(
            read_schema(schema_file),
            validate_formats=True,
            keywords={DECIMAL_MULTIPLE_OF: DecimalMultipleOf},
        )
        compiled[action] = validator
        return validator

    def __repr__(self) -> str:
        return f"<Validator OCPP {self.version}: {len(self.actions)} actions>"


@functools.cache
def get_validator(version: str) -> Validator:
    """The process-wide ``Validator`` for ``version`` ("1.6", "2.0.1" or "2.1").

    Raises:
        UsageError: ``version`` is not one of ``SUPPORTED_VERSIONS``.
    """
    return Validator(version)


def _rejection(compiled: jsonschema_rs.Validator, payload: object) -> OcppError:
    """The OCPP error for a payload that ``compiled`` found invalid."""
    if not isinstance(payload, dict):
        return not_an_object(payload)
    try:
        errors = list(islice(compiled.iter_errors(payload), _MAX_ERRORS))
    except _UNREADABLE as exc:
        return not_json(exc)
    if not errors:
        # is_valid and iter_errors disagree: a jsonschema-rs bug; still refuse the payload.
        return unexplained()
    return violation_for(errors, complete=len(errors) < _MAX_ERRORS)
