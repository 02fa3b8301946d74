"""Secrets masked in frames and configuration values (src/opencsms/security/redaction.py)."""

from __future__ import annotations

import orjson
from hypothesis import given
from hypothesis import strategies as st

from opencsms.security.redaction import MASK, redact_frame

SECRET = "s3cr3t-Passw0rd-0123456789"


def test_a_v16_authorization_key_is_masked_in_change_configuration() -> None:
    frame = orjson.dumps(
        [2, "m1", "ChangeConfiguration", {"key": "AuthorizationKey", "value": SECRET}]
    ).decode()
    redacted = redact_frame(frame)
    assert SECRET not in redacted
    assert orjson.loads(redacted) == [
        2,
        "m1",
        "ChangeConfiguration",
        {"key": "AuthorizationKey", "value": MASK},
    ]


def test_a_v16_authorization_key_is_masked_in_a_get_configuration_answer() -> None:
    keys = [
        {"key": "AuthorizationKey", "readonly": False, "value": SECRET},
        {"key": "HeartbeatInterval", "readonly": False, "value": "300"},
    ]
    conf = {"configurationKey": keys}
    redacted = orjson.loads(redact_frame(orjson.dumps([3, "m2", conf]).decode()))
    assert [k["value"] for k in redacted[2]["configurationKey"]] == [MASK, "300"]


def test_a_v201_basic_auth_password_is_masked_in_set_variables_and_reports() -> None:
    data = {
        "setVariableData": [
            {"component": {"name": "SecurityCtrlr"}, "variable": {"name": "BasicAuthPassword"},
             "attributeValue": SECRET},
            {"component": {"name": "OCPPCommCtrlr"}, "variable": {"name": "HeartbeatInterval"},
             "attributeValue": "60"},
        ]
    }  # fmt: skip
    redacted = orjson.loads(redact_frame(orjson.dumps([2, "m3", "SetVariables", data]).decode()))
    assert [d["attributeValue"] for d in redacted[3]["setVariableData"]] == [MASK, "60"]
    item = {
        "component": {"name": "SecurityCtrlr"},
        "variable": {"name": "BasicAuthPassword"},
        "variableAttribute": [{"value": SECRET}],
    }
    report = {"reportData": [item]}
    assert SECRET not in redact_frame(orjson.dumps([2, "m4", "NotifyReport", report]).decode())


def test_an_apn_password_in_a_network_profile_is_masked() -> None:
    profile = {"configurationSlot": 1, "connectionData": {"apn": {"apn": "x", "apnPassword": SECRET}}}
    assert SECRET not in redact_frame(orjson.dumps([2, "m5", "SetNetworkProfile", profile]).decode())


def test_frames_without_secrets_are_returned_unchanged() -> None:
    frame = '[2, "m6",  "Heartbeat", {}]'
    assert redact_frame(frame) is frame


def test_a_broken_frame_naming_a_secret_is_masked_whole() -> None:
    assert redact_frame('[2,"m7","ChangeConfiguration",{"key":"AuthorizationKey","value":"' + SECRET) == MASK


@given(st.text())
def test_any_text_gets_a_string_back_without_raising(text: str) -> None:
    assert isinstance(redact_frame(text), str)
    assert isinstance(redact_frame(text + "AuthorizationKey"), str)


def test_a_v21_network_profile_password_is_masked() -> None:
    profile = {
        "configurationSlot": 1,
        "connectionData": {"ocppCsmsUrl": "wss://x", "basicAuthPassword": SECRET},
    }
    assert SECRET not in redact_frame(orjson.dumps([2, "m8", "SetNetworkProfile", profile]).decode())
