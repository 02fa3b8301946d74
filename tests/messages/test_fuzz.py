"""Any JSON value, for any action of any version, either passes or raises an OcppError."""

from __future__ import annotations

from functools import cache
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from opencsms.messages import SUPPORTED_VERSIONS, get_validator
from opencsms.messages._schema_files import find_schema_files, read_schema
from opencsms.ocppj.errors import OcppError


@cache
def _vocabulary(version: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Every property name and enum string in ``version``'s schemas, so that payloads reach deep."""
    names: set[str] = set()
    words: set[str] = {"2024-05-01T12:00:00Z", "2024-13-01T12:00:00Z", "ftp://h/p"}

    def collect(node: Any) -> None:
        if isinstance(node, dict):
            names.update(key for key in node.get("properties", {}) if isinstance(key, str))
            words.update(value for value in node.get("enum", []) if isinstance(value, str))
            for child in node.values():
                collect(child)
        elif isinstance(node, list):
            for child in node:
                collect(child)

    schema_files = find_schema_files(version)
    for entry in [*schema_files.requests.values(), *schema_files.responses.values()]:
        collect(read_schema(entry))
    return tuple(sorted(names)), tuple(sorted(words))


def _payloads(version: str) -> st.SearchStrategy[object]:
    names, words = _vocabulary(version)
    scalars = (
        st.none()
        | st.booleans()
        | st.integers()
        | st.floats()
        | st.decimals(allow_nan=False)
        | st.text(max_size=30)
        | st.sampled_from(words)
    )
    keys = st.sampled_from(names) | st.text(max_size=8)
    values = st.recursive(
        scalars,
        lambda children: st.lists(children, max_size=4) | st.dictionaries(keys, children, max_size=6),
        max_leaves=25,
    )
    return values | st.dictionaries(keys, values, max_size=8)


@st.composite
def _cases(draw: st.DrawFn) -> tuple[str, str, bool, object]:
    version = draw(st.sampled_from(SUPPORTED_VERSIONS))
    validator = get_validator(version)
    response = draw(st.booleans())
    actions = validator.response_actions if response else validator.actions
    action = draw(st.sampled_from(sorted(actions)))
    return version, action, response, draw(_payloads(version))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_cases())
def test_random_payloads_pass_or_raise_an_ocpp_error(case: tuple[str, str, bool, object]) -> None:
    version, action, response, payload = case
    validator = get_validator(version)
    check = validator.validate_response if response else validator.validate_request
    try:
        check(action, payload)
    except OcppError as error:
        assert error.code_for(version)
        assert error.description
        assert error.details["path"]
