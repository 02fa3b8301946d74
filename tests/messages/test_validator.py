"""Validator: valid payloads pass; each schema problem becomes the right OCPP-J error."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest

from opencsms.messages import get_validator
from opencsms.ocppj.errors import (
    V16,
    V21,
    V201,
    FormatViolation,
    NotImplementedCallError,
    OccurrenceConstraintViolation,
    OcppError,
    PropertyConstraintViolation,
    TypeConstraintViolation,
)
from tests.messages.examples import (
    METER_VALUES_16,
    TRANSACTION_EVENT_201,
    VALID_16,
    VALID_21,
    VALID_201,
    charging_profile_16,
    charging_profile_201,
)

VALID = (
    [(V16, *example) for example in VALID_16]
    + [(V201, *example) for example in VALID_201]
    + [(V21, *example) for example in VALID_21]
)


@pytest.mark.parametrize(
    ("version", "action", "request_payload", "response_payload"),
    VALID,
    ids=[f"{version}-{action}" for version, action, _, _ in VALID],
)
def test_valid_payloads_pass(
    version: str, action: str, request_payload: dict[str, Any], response_payload: dict[str, Any] | None
) -> None:
    validator = get_validator(version)
    validator.validate_request(action, request_payload)
    if response_payload is not None:
        validator.validate_response(action, response_payload)


def _with(payload: dict[str, Any], **changes: Any) -> dict[str, Any]:
    """A deep copy of ``payload`` with top-level ``changes`` (a value of ... removes the key)."""
    copied: dict[str, Any] = json.loads(json.dumps(payload))
    for key, value in changes.items():
        if value is ...:
            del copied[key]
        else:
            copied[key] = value
    return copied


BOOT_16 = {"chargePointVendor": "Acme", "chargePointModel": "X1"}
STATUS_16 = {
    "connectorId": 1,
    "errorCode": "NoError",
    "status": "Available",
    "timestamp": "2024-05-01T12:00:00Z",
}
BOOT_201 = {"reason": "PowerUp", "chargingStation": {"model": "X1", "vendorName": "Acme"}}


def _ev_needs(state_of_charge: int) -> dict[str, Any]:
    dc = {"evMaxCurrent": 200, "evMaxVoltage": 500, "stateOfCharge": state_of_charge}
    return {"evseId": 1, "chargingNeeds": {"requestedEnergyTransfer": "DC", "dcChargingParameters": dc}}


# (version, action, payload, error class, wire code, description)
BROKEN: list[tuple[str, str, object, type[OcppError], str, str]] = [
    (
        V16,
        "Heartbeat",
        [],
        FormatViolation,
        "FormationViolation",
        "payload: expected a JSON object, got array",
    ),
    (
        V16,
        "Heartbeat",
        None,
        FormatViolation,
        "FormationViolation",
        "payload: expected a JSON object, got null",
    ),
    (
        V16,
        "BootNotification",
        _with(BOOT_16, colour="red"),
        FormatViolation,
        "FormationViolation",
        "colour: property is not allowed by the schema",
    ),
    (
        V16,
        "StatusNotification",
        _with(STATUS_16, connectorId="1"),
        TypeConstraintViolation,
        "TypeConstraintViolation",
        'connectorId: "1" is not of type "integer"',
    ),
    (
        V16,
        "BootNotification",
        _with(BOOT_16, chargePointModel=...),
        OccurrenceConstraintViolation,
        "OccurenceConstraintViolation",
        "chargePointModel: required property is missing",
    ),
    (
        V16,
        "MeterValues",
        _with(METER_VALUES_16, meterValue=[]),
        OccurrenceConstraintViolation,
        "OccurenceConstraintViolation",
        "meterValue: has 0 items, fewer than the minimum of 1",
    ),
    (
        V16,
        "StatusNotification",
        _with(STATUS_16, errorCode="Melted"),
        PropertyConstraintViolation,
        "PropertyConstraintViolation",
        'errorCode: "Melted" is not one of "ConnectorLockFailure", "EVCommunicationError", "GroundFailure", '
        '"HighTemperature", "InternalError", "LocalListConflict" or 10 more',
    ),
    (
        V16,
        "BootNotification",
        _with(BOOT_16, chargePointVendor="V" * 21),
        PropertyConstraintViolation,
        "PropertyConstraintViolation",
        f'chargePointVendor: "{"V" * 21}" is longer than 20 characters',
    ),
    (
        V16,
        "StatusNotification",
        _with(STATUS_16, timestamp="2024-02-30T12:00:00Z"),
        PropertyConstraintViolation,
        "PropertyConstraintViolation",
        'timestamp: "2024-02-30T12:00:00Z" is not a valid date-time',
    ),
    (
        V16,
        "GetDiagnostics",
        {"location": "not a uri"},
        PropertyConstraintViolation,
        "PropertyConstraintViolation",
        'location: "not a uri" is not a valid uri',
    ),
    (
        V16,
        "SetChargingProfile",
        charging_profile_16(7.35),
        PropertyConstraintViolation,
        "PropertyConstraintViolation",
        "csChargingProfiles.chargingSchedule.chargingSchedulePeriod[0].limit: 7.35 is not a multiple of 0.1",
    ),
    (
        V201,
        "Heartbeat",
        "{}",
        FormatViolation,
        "FormatViolation",
        "payload: expected a JSON object, got string",
    ),
    (
        V201,
        "BootNotification",
        {"reason": "PowerUp", "chargingStation": {"model": "X1", "vendorName": "Acme", "colour": "red"}},
        FormatViolation,
        "FormatViolation",
        "chargingStation.colour: property is not allowed by the schema",
    ),
    (
        V201,
        "TransactionEvent",
        _with(TRANSACTION_EVENT_201, seqNo="7"),
        TypeConstraintViolation,
        "TypeConstraintViolation",
        'seqNo: "7" is not of type "integer"',
    ),
    (
        V201,
        "TransactionEvent",
        _with(TRANSACTION_EVENT_201, triggerReason=...),
        OccurrenceConstraintViolation,
        "OccurrenceConstraintViolation",
        "triggerReason: required property is missing",
    ),
    (
        V201,
        "GetVariables",
        {"getVariableData": []},
        OccurrenceConstraintViolation,
        "OccurrenceConstraintViolation",
        "getVariableData: has 0 items, fewer than the minimum of 1",
    ),
    (
        V201,
        "SetChargingProfile",
        charging_profile_201(schedules=4),
        OccurrenceConstraintViolation,
        "OccurrenceConstraintViolation",
        "chargingProfile.chargingSchedule: has 4 items, more than the maximum of 3",
    ),
    (
        V201,
        "TransactionEvent",
        _with(TRANSACTION_EVENT_201, eventType="Paused"),
        PropertyConstraintViolation,
        "PropertyConstraintViolation",
        'eventType: "Paused" is not one of "Ended", "Started", "Updated"',
    ),
    (
        V201,
        "TransactionEvent",
        _with(TRANSACTION_EVENT_201, idToken={"idToken": "T" * 37, "type": "ISO14443"}),
        PropertyConstraintViolation,
        "PropertyConstraintViolation",
        f'idToken.idToken: "{"T" * 37}" is longer than 36 characters',
    ),
    (
        V201,
        "NotifyEVChargingNeeds",
        _ev_needs(-1),
        PropertyConstraintViolation,
        "PropertyConstraintViolation",
        "chargingNeeds.dcChargingParameters.stateOfCharge: -1 is less than the minimum of 0",
    ),
    (
        V201,
        "NotifyEVChargingNeeds",
        _ev_needs(101),
        PropertyConstraintViolation,
        "PropertyConstraintViolation",
        "chargingNeeds.dcChargingParameters.stateOfCharge: 101 is greater than the maximum of 100",
    ),
    (
        V201,
        "TransactionEvent",
        _with(TRANSACTION_EVENT_201, timestamp="yesterday"),
        PropertyConstraintViolation,
        "PropertyConstraintViolation",
        'timestamp: "yesterday" is not a valid date-time',
    ),
]


@pytest.mark.parametrize(
    ("version", "action", "payload", "error_class", "wire_code", "description"),
    BROKEN,
    ids=[f"{version}-{action}-{code}-{n}" for n, (version, action, _, _, code, _) in enumerate(BROKEN)],
)
def test_broken_request_gives_the_ocpp_error(
    version: str,
    action: str,
    payload: object,
    error_class: type[OcppError],
    wire_code: str,
    description: str,
) -> None:
    with pytest.raises(error_class) as caught:
        get_validator(version).validate_request(action, payload)
    assert type(caught.value) is error_class
    assert caught.value.code_for(version) == wire_code
    assert caught.value.description == description
    assert caught.value.details["path"] == description.split(":")[0]


@pytest.mark.parametrize(
    ("version", "action", "payload", "error_class"),
    [
        (V16, "RemoteStartTransaction", {"status": "Maybe"}, PropertyConstraintViolation),
        (V16, "GetConfiguration", {"configurationKey": [{"key": "K"}]}, OccurrenceConstraintViolation),
        (
            V201,
            "RequestStartTransaction",
            {"status": "Accepted", "statusInfo": {}},
            OccurrenceConstraintViolation,
        ),
        (V201, "GetVariables", {"getVariableResult": "none"}, TypeConstraintViolation),
        (V21, "AFRRSignal", {"status": "Accepted", "extra": 1}, FormatViolation),
    ],
)
def test_broken_response_gives_the_ocpp_error(
    version: str, action: str, payload: object, error_class: type[OcppError]
) -> None:
    with pytest.raises(error_class):
        get_validator(version).validate_response(action, payload)


@pytest.mark.parametrize("version", [V16, V201, V21])
def test_unknown_action_is_not_implemented(version: str) -> None:
    validator = get_validator(version)
    with pytest.raises(NotImplementedCallError, match="Unknown action 'Teleport'") as caught:
        validator.validate_request("Teleport", {})
    assert caught.value.code_for(version) == "NotImplemented"
    with pytest.raises(NotImplementedCallError, match="Unknown action 'Teleport'"):
        validator.validate_response("Teleport", {})


def test_action_names_are_version_specific() -> None:
    with pytest.raises(NotImplementedCallError):
        get_validator(V16).validate_request("TransactionEvent", TRANSACTION_EVENT_201)
    with pytest.raises(NotImplementedCallError):
        get_validator(V201).validate_request("StartTransaction", {})


def test_send_message_has_no_response() -> None:
    validator = get_validator(V21)
    assert "NotifyPeriodicEventStream" in validator.actions
    assert "NotifyPeriodicEventStream" not in validator.response_actions
    with pytest.raises(NotImplementedCallError, match="has no response"):
        validator.validate_response("NotifyPeriodicEventStream", {})


def test_several_problems_are_counted() -> None:
    with pytest.raises(OcppError) as caught:
        get_validator(V16).validate_request("BootNotification", {"chargePointVendor": 5})
    assert caught.value.description.endswith("(and 1 more problem)")


def test_many_problems_are_counted_as_at_least() -> None:
    payload = {f"unknown{n}": n for n in range(5)} | {"chargePointVendor": 1, "chargePointModel": 2}
    payload |= {"firmwareVersion": 3, "iccid": 4, "imsi": 5, "meterType": 6, "meterSerialNumber": 7}
    payload |= {"chargePointSerialNumber": 8, "chargeBoxSerialNumber": 9}
    with pytest.raises(OcppError) as caught:
        get_validator(V16).validate_request("BootNotification", payload)
    assert caught.value.description.endswith("(and at least 9 more problems)")


def test_huge_values_are_cut_short_in_the_description() -> None:
    with pytest.raises(TypeConstraintViolation) as caught:
        get_validator(V16).validate_request(
            "BootNotification", _with(BOOT_16, chargePointVendor=["x"] * 10_000)
        )
    assert len(caught.value.description) < 200
    assert caught.value.description.endswith('… is not of type "string"')


def test_several_unknown_properties_are_named_together() -> None:
    with pytest.raises(FormatViolation) as caught:
        get_validator(V16).validate_request("Heartbeat", {"a": 1, "b": 2})
    assert caught.value.description == "payload: properties a, b are not allowed by the schema"
    assert caught.value.details == {"path": "payload", "keyword": "additionalProperties"}


@pytest.mark.parametrize(
    "payload",
    [
        # Lone surrogates are no JSON text (orjson refuses them); jsonschema-rs trips over them
        # only where it has to look at the string, so these payloads make it look.
        {"chargePointVendor": "\ud800" * 30, "chargePointModel": "X1"},
        {"chargePointVendor": "Acme", "chargePointModel": "X1", "\ud800": 1},
        {1: "not a string key"},
    ],
)
def test_payload_that_is_not_json_is_a_format_violation(payload: object) -> None:
    with pytest.raises(FormatViolation, match="not valid JSON"):
        get_validator(V16).validate_request("BootNotification", payload)


def test_absurd_nesting_is_a_format_violation() -> None:
    nested: dict[str, Any] = {}
    inner = nested
    for _ in range(10_000):
        inner["x"] = {}
        inner = inner["x"]
    with pytest.raises(FormatViolation):
        get_validator(V201).validate_request("BootNotification", _with(BOOT_201, customData=nested))


@pytest.mark.parametrize(
    "limit", [7.3, 6.1, 22.2, 0.7, 1.1, 123456.7, 16, 0, 32.0, 1e300, Decimal("7.3"), Decimal("7.30")]
)
def test_16_decimal_limits_with_one_fraction_digit_pass(limit: float | Decimal) -> None:
    validator = get_validator(V16)
    validator.validate_request("SetChargingProfile", charging_profile_16(limit, min_rate=limit))
    remote_start = {"idTag": "TAG1", "chargingProfile": charging_profile_16(limit)["csChargingProfiles"]}
    validator.validate_request("RemoteStartTransaction", remote_start)


@pytest.mark.parametrize("limit", [7.35, 0.05, 0.1 * 3, 2.675, Decimal("7.31")])
def test_16_decimal_limits_with_more_fraction_digits_fail(limit: float | Decimal) -> None:
    with pytest.raises(PropertyConstraintViolation) as caught:
        get_validator(V16).validate_request("SetChargingProfile", charging_profile_16(limit))
    assert caught.value.details["keyword"] == "decimalMultipleOf"
    assert caught.value.code_for(V16) == "PropertyConstraintViolation"


def test_16_decimal_step_in_a_response() -> None:
    schedule = charging_profile_16(7.3)["csChargingProfiles"]["chargingSchedule"]
    response = {"status": "Accepted", "connectorId": 1, "scheduleStart": "2024-05-01T12:00:00Z"}
    get_validator(V16).validate_response("GetCompositeSchedule", response | {"chargingSchedule": schedule})
    schedule["minChargingRate"] = 6.15
    with pytest.raises(PropertyConstraintViolation, match=r"chargingSchedule\.minChargingRate: 6\.15 is not"):
        get_validator(V16).validate_response(
            "GetCompositeSchedule", response | {"chargingSchedule": schedule}
        )


def test_decimal_step_leaves_type_errors_to_the_type_keyword() -> None:
    with pytest.raises(TypeConstraintViolation):
        get_validator(V16).validate_request("SetChargingProfile", charging_profile_16(True))
