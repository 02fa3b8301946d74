"""Find and read the OCA JSON schemas that the installed ``ocpp`` package ships.

The schemas are read at run time from the package data, never copied into this repository.
File names per version:

- 1.6: ``{Action}.json`` (request) and ``{Action}Response.json``;
- 2.0.1 and 2.1: ``{Action}Request.json`` and ``{Action}Response.json``; a 2.1 SEND message,
  which has no response, is a bare ``{Action}.json`` (``NotifyPeriodicEventStream``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from importlib.resources import files
from importlib.resources.abc import Traversable
from typing import Any

from opencsms.messages._decimal_steps import rewrite_decimal_steps
from opencsms.ocppj.errors import V16, V21, V201, UsageError

_PACKAGE = "ocpp"
_FOLDERS = {V16: "v16", V201: "v201", V21: "v21"}
_REQUEST_SUFFIX = {V16: "", V201: "Request", V21: "Request"}
_RESPONSE_SUFFIX = "Response"

SUPPORTED_VERSIONS: tuple[str, ...] = tuple(_FOLDERS)


@dataclass(frozen=True, slots=True)
class SchemaFiles:
    """The schema files of one OCPP version, keyed by action."""

    version: str
    requests: Mapping[str, Traversable]
    responses: Mapping[str, Traversable]


def find_schema_files(version: str) -> SchemaFiles:
    """List the request and response schema files of ``version``.

    Raises:
        UsageError: ``version`` is not one of ``SUPPORTED_VERSIONS``.
    """
    folder = _FOLDERS.get(version)
    if folder is None:
        raise UsageError(f"no OCPP schemas for version {version!r}; expected one of {SUPPORTED_VERSIONS}")
    request_suffix = _REQUEST_SUFFIX[version]
    requests: dict[str, Traversable] = {}
    responses: dict[str, Traversable] = {}
    for entry in (files(_PACKAGE) / folder / "schemas").iterdir():
        stem, dot, extension = entry.name.rpartition(".")
        if not dot or extension != "json":
            continue
        if stem.endswith(_RESPONSE_SUFFIX):
            responses[stem.removesuffix(_RESPONSE_SUFFIX)] = entry
        else:
            # removesuffix leaves a 2.1 SEND message's bare name as it is.
            requests[stem.removesuffix(request_suffix) if request_suffix else stem] = entry
    return SchemaFiles(version, requests, responses)


def read_schema(file: Traversable) -> dict[str, Any]:
    """Parse one schema file, ready to compile (decimal ``multipleOf`` rewritten).

    Raises:
        OSError: the file cannot be read.
        ValueError: the file is not a JSON object (a broken ``ocpp`` installation).
    """
    schema = json.loads(file.read_text(encoding="utf-8"))
    if not isinstance(schema, dict):
        raise ValueError(f"{file.name} is not a JSON schema object")
    rewrite_decimal_steps(schema)
    return schema
