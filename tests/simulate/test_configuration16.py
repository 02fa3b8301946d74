"""The configuration keys of a simulated 1.6 station."""

from __future__ import annotations

import pytest

from opencsms.simulate.configuration16 import CORE_KEYS, Configuration16, default_values, format_number
from tests.simulate.csms import VALIDATOR


def fresh(changes: list[tuple[str, str]] | None = None) -> Configuration16:
    def record(name: str, value: str) -> None:
        if changes is not None:
            changes.append((name, value))

    return Configuration16(
        default_values(connectors=2, heartbeat_interval=300, meter_interval=0.5), on_change=record
    )


def test_every_core_key_has_a_value_and_the_answer_is_valid() -> None:
    config = fresh()
    answer = config.get_configuration(None)
    assert [k["key"] for k in answer["configurationKey"]] == [spec.name for spec in CORE_KEYS]
    assert config.value("MeterValueSampleInterval") == "0.5"
    if VALIDATOR is not None:
        VALIDATOR.validate_response("GetConfiguration", answer)
        VALIDATOR.validate_response(
            "GetConfiguration", config.get_configuration(["Nope", "heartbeatinterval"])
        )


def test_changes_are_checked_and_reported() -> None:
    changes: list[tuple[str, str]] = []
    config = fresh(changes)
    assert config.change_configuration("heartbeatInterval", "30") == "Accepted"
    assert config.change_configuration("LocalPreAuthorize", "TRUE") == "Accepted"
    assert config.flag("LocalPreAuthorize")
    assert config.change_configuration("HeartbeatInterval", "-1") == "Rejected"
    assert config.change_configuration("HeartbeatInterval", "١٢") == "Rejected"  # digits, but not ASCII
    assert config.change_configuration("SupportedFeatureProfiles", "Core") == "Rejected"
    assert config.change_configuration("Unknown", "1") == "NotSupported"
    assert changes == [("HeartbeatInterval", "30"), ("LocalPreAuthorize", "true")]
    assert config.number("HeartbeatInterval") == 30
    config.set("NumberOfConnectors", "3")  # the station itself may set read-only keys
    assert config.value("numberofconnectors") == "3"
    with pytest.raises(KeyError):
        config.value("Unknown")


def test_requested_keys_keep_their_order_once_each() -> None:
    answer = fresh().get_configuration(["NumberOfConnectors", "Nope", "numberOfConnectors", "ResetRetries"])
    assert [k["key"] for k in answer["configurationKey"]] == ["NumberOfConnectors", "ResetRetries"]
    assert answer["unknownKey"] == ["Nope"]


def test_format_number() -> None:
    assert format_number(60.0) == "60" and format_number(0.25) == "0.25" and format_number(7) == "7"
