"""Secrets in OCPP messages, masked before a frame or a value is kept anywhere an operator reads.

A station's Basic auth password travels in 1.6 ChangeConfiguration (key ``AuthorizationKey``) and
2.0.1 SetVariables (``SecurityCtrlr.BasicAuthPassword``); a 2.0.1 network profile may carry an APN
password. The message log, the configuration view and the logs must never show them: a password
in a log is a password given to everyone who reads logs. Frames without these names are
left as they are, untouched and unparsed, so the check costs one substring search per frame.
"""

from __future__ import annotations

from typing import Any

import orjson

#: 1.6 configuration keys and 2.0.1 variable names whose values are secrets.
SECRET_NAMES = frozenset({"AuthorizationKey", "BasicAuthPassword"})
#: Object members that are secrets wherever they appear (2.0.1 APN settings, a 2.1 network profile).
SECRET_MEMBERS = frozenset({"apnPassword", "basicAuthPassword"})
MASK = "********"


def is_secret(name: str) -> bool:
    """Whether a 1.6 configuration key or a 2.0.1 variable name holds a secret."""
    return name in SECRET_NAMES


def redact_frame(frame: str) -> str:
    """The frame with every secret value masked; the frame itself when it names no secret.

    A frame that names a secret but is not JSON is masked whole, since its secret cannot be found.
    """
    # Every frame passes here: three substring searches (the names' distinctive tails, so both
    # BasicAuthPassword and basicAuthPassword match) instead of a loop over the names.
    if "uthorizationKey" not in frame and "asicAuthPassword" not in frame and "pnPassword" not in frame:
        return frame
    try:
        message = orjson.loads(frame)
    except orjson.JSONDecodeError:
        return MASK
    try:
        if not _redact(message):
            return frame
        return orjson.dumps(message).decode()
    except (RecursionError, TypeError, orjson.JSONEncodeError):
        return MASK


def _redact(value: Any) -> bool:
    """Mask secrets in place; True when something was masked."""
    changed = False
    if isinstance(value, list):
        for item in value:
            changed = _redact(item) or changed
        return changed
    if not isinstance(value, dict):
        return False
    for member in SECRET_MEMBERS:
        if member in value and value[member] != MASK:
            value[member] = MASK
            changed = True
    # 1.6: {"key": "AuthorizationKey", "value": ...} (ChangeConfiguration, GetConfiguration.conf)
    if value.get("key") in SECRET_NAMES and "value" in value and value["value"] != MASK:
        value["value"] = MASK
        changed = True
    # 2.0.1: {"variable": {"name": "BasicAuthPassword"}, "attributeValue": ...}
    variable = value.get("variable")
    if (
        isinstance(variable, dict)
        and variable.get("name") in SECRET_NAMES
        and "attributeValue" in value
        and value["attributeValue"] != MASK
    ):
        value["attributeValue"] = MASK
        changed = True
    # 2.0.1 NotifyReport: {"variable": {"name": ...}, "variableAttribute": [{"value": ...}]}
    if isinstance(variable, dict) and variable.get("name") in SECRET_NAMES:
        for attribute in value.get("variableAttribute") or ():
            if isinstance(attribute, dict) and "value" in attribute and attribute["value"] != MASK:
                attribute["value"] = MASK
                changed = True
    for item in value.values():
        if isinstance(item, dict | list):
            changed = _redact(item) or changed
    return changed
