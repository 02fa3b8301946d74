"""A station's ItemsPerMessage / BytesPerMessage limits for GetVariables and SetVariables (B05, B06).

A 2.0.1 station says in DeviceDataCtrlr.ItemsPerMessage[GetVariables|SetVariables] and
BytesPerMessage[...] how many items, and how many bytes, one such request may carry; it may answer a
longer one with a CALLERROR (OccurrenceConstraintViolation, FormatViolation). An operator's command
naming more is split here into requests within both limits, and the answers are merged back into
one, an item of a part that failed reported Rejected with the reason (no answer of the station is
made up for it). Pure functions: the session sends the parts.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import orjson

from opencsms.domain.device_model import VariableAttribute
from opencsms.handlers.context import Payload

#: The actions split, with the list each request carries and the list of results each answer has.
SPLIT_ACTIONS: dict[str, tuple[str, str]] = {
    "GetVariables": ("getVariableData", "getVariableResult"),
    "SetVariables": ("setVariableData", "setVariableResult"),
}
#: A CALL's message id is at most 36 characters (OCPP-J 4.1.3); the size of a part counts the longest.
_LONGEST_MESSAGE_ID = "x" * 36
#: StatusInfoType field lengths.
_REASON_CODE_LENGTH = 20
_ADDITIONAL_INFO_LENGTH = 512


@dataclass(frozen=True, slots=True)
class MessageLimits:
    """At most ``items`` items and ``bytes`` bytes (the whole CALL frame) a request; None: no limit known."""

    items: int | None = None
    bytes: int | None = None


def _positive_int(value: str | None) -> int | None:
    try:
        number = int(value) if value is not None else 0
    except ValueError:
        return None
    return number if number > 0 else None


def limits_for(attributes: Iterable[VariableAttribute], action: str) -> MessageLimits:
    """The limits for ``action`` among the station's stored attributes (what it reported or answered);
    an attribute missing, unset or not a positive integer sets no limit."""
    found: dict[str, int | None] = {}
    for attribute in attributes:
        if (
            attribute.component == "DeviceDataCtrlr"
            and not attribute.component_instance
            and not attribute.evse_id
            and attribute.variable_instance == action
            and attribute.attribute_type == "Actual"
            and attribute.variable in ("ItemsPerMessage", "BytesPerMessage")
        ):
            found[attribute.variable] = _positive_int(attribute.value)
    return MessageLimits(found.get("ItemsPerMessage"), found.get("BytesPerMessage"))


def _frame_size(action: str, list_key: str, items: Sequence[Payload]) -> int:
    return len(orjson.dumps([2, _LONGEST_MESSAGE_ID, action, {list_key: list(items)}]))


def split(action: str, payload: Payload, limits: MessageLimits) -> list[Payload]:
    """``payload`` of ``action`` as the payloads of requests within ``limits``, items in their order.

    Every item is in exactly one part; a part is over the byte limit only when it is one item that
    is over it on its own (it goes alone: the station answers that one as it sees fit).
    """
    list_key, _ = SPLIT_ACTIONS[action]
    items: list[Payload] = list(payload[list_key])
    max_items = limits.items or len(items) or 1
    # A frame of k items is the frame of none plus each item plus k - 1 commas (compact JSON).
    empty = _frame_size(action, list_key, [])
    parts: list[list[Payload]] = []
    part: list[Payload] = []
    size = empty
    for item in items:
        item_size = len(orjson.dumps(item))
        grown = size + item_size + (1 if part else 0)
        if part and (len(part) >= max_items or (limits.bytes is not None and grown > limits.bytes)):
            parts.append(part)
            part, grown = [], empty + item_size
        part.append(item)
        size = grown
    if part or not parts:
        parts.append(part)
    return [{**payload, list_key: part} for part in parts]


def failed_results(action: str, part: Payload, reason: str, info: str) -> list[Payload]:
    """The results that stand for the items of a part the station did not answer: Rejected, with
    ``reason`` and ``info`` as the attributeStatusInfo."""
    list_key, _ = SPLIT_ACTIONS[action]
    status_info = {
        "reasonCode": reason[:_REASON_CODE_LENGTH],
        "additionalInfo": info[:_ADDITIONAL_INFO_LENGTH],
    }
    results = []
    for item in part[list_key]:
        result: Payload = {
            "attributeStatus": "Rejected",
            "component": item["component"],
            "variable": item["variable"],
            "attributeStatusInfo": status_info,
        }
        if "attributeType" in item:
            result["attributeType"] = item["attributeType"]
        results.append(result)
    return results


def merge(action: str, answers: Sequence[Payload]) -> Payload:
    """One answer with the results of every part's answer, in the parts' order."""
    _, result_key = SPLIT_ACTIONS[action]
    return {result_key: [result for answer in answers for result in answer.get(result_key, [])]}
