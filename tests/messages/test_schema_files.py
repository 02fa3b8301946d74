"""Every OCA schema of every version is found, reads, and compiles under the draft it declares."""

from __future__ import annotations

import json
from importlib.resources.abc import Traversable

import jsonschema_rs
import pytest

from opencsms.messages import SUPPORTED_VERSIONS, Validator, get_validator
from opencsms.messages._decimal_steps import KEYWORD, DecimalMultipleOf, rewrite_decimal_steps
from opencsms.messages._schema_files import find_schema_files, read_schema
from opencsms.ocppj.errors import V16, V21, V201, UsageError

_DRAFTS: dict[str, type[jsonschema_rs.Validator]] = {
    "http://json-schema.org/draft-04/schema#": jsonschema_rs.Draft4Validator,
    "http://json-schema.org/draft-06/schema#": jsonschema_rs.Draft6Validator,
}


def _all_schema_files() -> list[tuple[str, str, Traversable]]:
    found = []
    for version in SUPPORTED_VERSIONS:
        schema_files = find_schema_files(version)
        for action, entry in sorted(schema_files.requests.items()):
            found.append((version, f"{action} request", entry))
        for action, entry in sorted(schema_files.responses.items()):
            found.append((version, f"{action} response", entry))
    return found


ALL_SCHEMA_FILES = _all_schema_files()


def test_every_file_of_the_package_is_counted() -> None:
    # 1.6: 39 actions, 2.0.1: 64, 2.1: 91 (NotifyPeriodicEventStream has no response).
    counts = {version: 0 for version in SUPPORTED_VERSIONS}
    for version, _, _ in ALL_SCHEMA_FILES:
        counts[version] += 1
    assert counts == {V16: 78, V201: 128, V21: 181}


@pytest.mark.parametrize(
    ("version", "message", "schema_file"),
    ALL_SCHEMA_FILES,
    ids=[f"{version}-{message}" for version, message, _ in ALL_SCHEMA_FILES],
)
def test_schema_loads_and_compiles(version: str, message: str, schema_file: Traversable) -> None:
    schema = read_schema(schema_file)
    # A non-object payload must never pass: the fast path relies on it.
    assert schema["type"] == "object"
    compiled = jsonschema_rs.validator_for(
        schema, validate_formats=True, keywords={KEYWORD: DecimalMultipleOf}
    )
    assert type(compiled) is _DRAFTS[schema["$schema"]]
    assert not compiled.is_valid([])


@pytest.mark.parametrize("version", SUPPORTED_VERSIONS)
def test_every_request_has_a_response_but_send_messages(version: str) -> None:
    schema_files = find_schema_files(version)
    without_response = set(schema_files.requests) - set(schema_files.responses)
    assert without_response == ({"NotifyPeriodicEventStream"} if version == V21 else set())
    assert set(schema_files.responses) <= set(schema_files.requests)


@pytest.mark.parametrize("version", SUPPORTED_VERSIONS)
def test_compile_all(version: str) -> None:
    validator = Validator(version)
    validator.compile_all()
    assert validator.actions == frozenset(find_schema_files(version).requests)


def test_get_validator_is_cached_per_version() -> None:
    assert get_validator(V16) is get_validator(V16)
    assert get_validator(V16) is not get_validator(V201)
    assert get_validator(V201).version == V201
    assert "2.0.1" in repr(get_validator(V201))


def test_unknown_version_is_a_usage_error() -> None:
    with pytest.raises(UsageError):
        get_validator("1.5")
    with pytest.raises(UsageError):
        find_schema_files("2.0")


def test_decimal_steps_are_rewritten_only_where_they_are_numbers() -> None:
    schema = {
        "properties": {
            "limit": {"type": "number", "multipleOf": 0.1},
            "count": {"type": "integer", "multipleOf": 5},
            "multipleOf": {"type": "number"},
        },
        "items": [{"multipleOf": 0.5}],
    }
    rewrite_decimal_steps(schema)
    assert schema == {
        "properties": {
            "limit": {"type": "number", KEYWORD: 0.1},
            "count": {"type": "integer", "multipleOf": 5},
            "multipleOf": {"type": "number"},
        },
        "items": [{KEYWORD: 0.5}],
    }


def test_the_16_decimal_steps_are_the_ones_we_expect() -> None:
    schema_files = find_schema_files(V16)
    entries = [*schema_files.requests.values(), *schema_files.responses.values()]
    rewritten = {entry.name for entry in entries if KEYWORD in json.dumps(read_schema(entry))}
    assert rewritten == {
        "RemoteStartTransaction.json",
        "SetChargingProfile.json",
        "GetCompositeScheduleResponse.json",
    }


@pytest.mark.parametrize("step", [0, -0.1, "0.1", True, float("inf")])
def test_decimal_step_must_be_a_positive_number(step: object) -> None:
    with pytest.raises(ValueError, match="positive number"):
        DecimalMultipleOf({}, step, [])
