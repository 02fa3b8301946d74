"""Error codes: one class per OCPP code, spelled per version on the wire, and back again."""

from __future__ import annotations

import pytest

from opencsms.ocppj.errors import (
    ALL_ERRORS,
    V16,
    V21,
    V201,
    FormatViolation,
    GenericError,
    InternalError,
    MessageTypeNotSupported,
    NotImplementedCallError,
    NotSupportedError,
    OccurrenceConstraintViolation,
    OcppError,
    PropertyConstraintViolation,
    ProtocolError,
    RpcFrameworkError,
    SecurityError,
    TypeConstraintViolation,
    UsageError,
    error_class,
)

VERSIONS = (V16, V201, V21)

# Class -> (2.x code, 1.6 code), straight from the specifications' tables.
WIRE_CODES: dict[type[OcppError], tuple[str, str]] = {
    NotImplementedCallError: ("NotImplemented", "NotImplemented"),
    NotSupportedError: ("NotSupported", "NotSupported"),
    InternalError: ("InternalError", "InternalError"),
    ProtocolError: ("ProtocolError", "ProtocolError"),
    SecurityError: ("SecurityError", "SecurityError"),
    FormatViolation: ("FormatViolation", "FormationViolation"),
    PropertyConstraintViolation: ("PropertyConstraintViolation", "PropertyConstraintViolation"),
    OccurrenceConstraintViolation: ("OccurrenceConstraintViolation", "OccurenceConstraintViolation"),
    TypeConstraintViolation: ("TypeConstraintViolation", "TypeConstraintViolation"),
    GenericError: ("GenericError", "GenericError"),
    RpcFrameworkError: ("RpcFrameworkError", "FormationViolation"),
    MessageTypeNotSupported: ("MessageTypeNotSupported", "NotSupported"),
}


def test_every_error_class_is_listed_once() -> None:
    assert set(ALL_ERRORS) == set(WIRE_CODES)
    assert len(ALL_ERRORS) == len(set(ALL_ERRORS))
    assert all(issubclass(cls, OcppError) for cls in ALL_ERRORS)


def test_usage_error_is_not_an_ocpp_error() -> None:
    # A local bug must never be caught by code that turns OcppError into a CALLERROR.
    assert not issubclass(UsageError, OcppError)


@pytest.mark.parametrize("cls", ALL_ERRORS, ids=lambda cls: cls.__name__)
@pytest.mark.parametrize("version", VERSIONS)
def test_wire_code_per_version(cls: type[OcppError], version: str) -> None:
    code_2x, code_16 = WIRE_CODES[cls]
    assert cls.code == code_2x
    assert cls.code_for(version) == (code_16 if version == V16 else code_2x)


@pytest.mark.parametrize("cls", ALL_ERRORS, ids=lambda cls: cls.__name__)
def test_2x_spelling_maps_back_to_the_class(cls: type[OcppError]) -> None:
    assert error_class(cls.code) is cls


@pytest.mark.parametrize(
    ("code_16", "cls"),
    [
        ("FormationViolation", FormatViolation),
        ("OccurenceConstraintViolation", OccurrenceConstraintViolation),
        ("NotSupported", NotSupportedError),
        ("NotImplemented", NotImplementedCallError),
        ("PropertyConstraintViolation", PropertyConstraintViolation),
    ],
)
def test_16_spelling_maps_back_to_the_class(code_16: str, cls: type[OcppError]) -> None:
    assert error_class(code_16) is cls


@pytest.mark.parametrize("cls", ALL_ERRORS, ids=lambda cls: cls.__name__)
def test_16_round_trip_lands_on_a_class_with_the_same_16_spelling(cls: type[OcppError]) -> None:
    # RpcFrameworkError and MessageTypeNotSupported share a 1.6 spelling with another class,
    # so the round trip cannot give them back; it must still give a class spelled the same.
    assert error_class(cls.code_for(V16)).code_for(V16) == cls.code_for(V16)


@pytest.mark.parametrize("code", ["", "Bogus", "formatviolation", "FORMATVIOLATION", " GenericError"])
def test_unknown_code_is_generic_error(code: str) -> None:
    assert error_class(code) is GenericError


def test_description_and_details() -> None:
    error = PropertyConstraintViolation("idTag too long", {"field": "idTag"})
    assert error.description == "idTag too long"
    assert error.details == {"field": "idTag"}
    assert str(error) == "idTag too long"


def test_defaults_use_the_code_as_message() -> None:
    error = SecurityError()
    assert error.description == ""
    assert error.details == {}
    assert str(error) == "SecurityError"


def test_details_are_not_shared_between_instances() -> None:
    first, second = InternalError(), InternalError()
    first.details["x"] = 1
    assert second.details == {}


def test_base_class_is_a_generic_error() -> None:
    assert OcppError.code == "GenericError"
    assert OcppError.code_for(V16) == "GenericError"
