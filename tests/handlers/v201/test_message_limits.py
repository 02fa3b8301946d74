"""Splitting GetVariables / SetVariables by the station's ItemsPerMessage / BytesPerMessage (no sockets)."""

from __future__ import annotations

from typing import Any

import orjson
from hypothesis import given
from hypothesis import strategies as st

from opencsms.domain.device_model import VariableAttribute
from opencsms.handlers.context import Payload
from opencsms.handlers.v201.message_limits import (
    MessageLimits,
    failed_results,
    limits_for,
    merge,
    split,
)


def frame_size(action: str, payload: Payload) -> int:
    return len(orjson.dumps([2, "x" * 36, action, payload]))


def get_item(n: int, name: str) -> Payload:
    return {"component": {"name": f"Ctrlr{n}"}, "variable": {"name": name}}


names = st.text(alphabet="abcdefghijklmnopqrstuvwxyz", min_size=1, max_size=40)
get_items = st.lists(names, min_size=1, max_size=60).map(
    lambda ns: [get_item(i, name) for i, name in enumerate(ns)]
)
set_items = st.lists(st.tuples(names, names), min_size=1, max_size=60).map(
    lambda pairs: [{**get_item(i, n), "attributeValue": v} for i, (n, v) in enumerate(pairs)]
)


@given(items=get_items, max_items=st.integers(1, 30), max_bytes=st.integers(100, 3000) | st.none())
def test_get_variables_parts_hold_every_item_once_within_both_limits(
    items: list[Payload], max_items: int, max_bytes: int | None
) -> None:
    parts = split("GetVariables", {"getVariableData": items}, MessageLimits(max_items, max_bytes))
    assert [item for part in parts for item in part["getVariableData"]] == items
    for part in parts:
        assert 1 <= len(part["getVariableData"]) <= max_items
        if max_bytes is not None and len(part["getVariableData"]) > 1:
            assert frame_size("GetVariables", part) <= max_bytes
        # only an item too big on its own goes over the byte limit
        if max_bytes is not None and frame_size("GetVariables", part) > max_bytes:
            assert len(part["getVariableData"]) == 1


@given(items=set_items, max_items=st.integers(1, 30) | st.none(), max_bytes=st.integers(150, 3000))
def test_set_variables_parts_hold_every_item_once_within_both_limits(
    items: list[Payload], max_items: int | None, max_bytes: int
) -> None:
    parts = split("SetVariables", {"setVariableData": items}, MessageLimits(max_items, max_bytes))
    assert [item for part in parts for item in part["setVariableData"]] == items
    for part in parts:
        assert len(part["setVariableData"]) <= (max_items or len(items))
        assert frame_size("SetVariables", part) <= max_bytes or len(part["setVariableData"]) == 1


@given(items=get_items, max_items=st.integers(1, 30))
def test_parts_are_as_few_as_the_item_limit_allows(items: list[Payload], max_items: int) -> None:
    parts = split("GetVariables", {"getVariableData": items}, MessageLimits(max_items, None))
    assert len(parts) == -(-len(items) // max_items)


def test_no_limits_known_sends_one_request() -> None:
    items = [get_item(n, "Enabled") for n in range(100)]
    assert split("GetVariables", {"getVariableData": items}, MessageLimits()) == [{"getVariableData": items}]


def test_byte_limit_counts_the_whole_call_frame() -> None:
    items = [get_item(n, "Enabled") for n in range(4)]
    two = frame_size("GetVariables", {"getVariableData": items[:2]})
    parts = split("GetVariables", {"getVariableData": items}, MessageLimits(None, two))
    assert [len(p["getVariableData"]) for p in parts] == [2, 2]
    parts = split("GetVariables", {"getVariableData": items}, MessageLimits(None, two - 1))
    assert [len(p["getVariableData"]) for p in parts] == [1, 1, 1, 1]


def attribute(variable: str, instance: str, value: str | None, **extra: Any) -> VariableAttribute:
    return VariableAttribute(
        "DeviceDataCtrlr",
        variable,
        value,
        variable_instance=instance,
        **extra,  # type: ignore[arg-type]
    )


def test_limits_come_from_the_device_data_controller_of_the_action() -> None:
    stored = [
        attribute("ItemsPerMessage", "GetVariables", "4"),
        attribute("BytesPerMessage", "GetVariables", "900"),
        attribute("ItemsPerMessage", "SetVariables", "7"),
        attribute("BytesPerMessage", "SetVariables", "0"),  # not a limit
        attribute("ItemsPerMessage", "GetReport", "2"),
        attribute("ItemsPerMessage", "GetVariables", "1", attribute_type="MaxSet"),
        VariableAttribute("OCPPCommCtrlr", "ItemsPerMessage", "1", variable_instance="GetVariables"),
    ]
    assert limits_for(stored, "GetVariables") == MessageLimits(4, 900)
    assert limits_for(stored, "SetVariables") == MessageLimits(7, None)
    assert (
        limits_for([attribute("ItemsPerMessage", "GetVariables", "many")], "GetVariables") == MessageLimits()
    )
    assert limits_for([], "SetVariables") == MessageLimits()


def test_merge_keeps_the_parts_order_and_a_failed_part_is_rejected_per_item() -> None:
    first = [get_item(1, "A"), {**get_item(2, "B"), "attributeType": "Target"}]
    answered = {
        "getVariableResult": [{"attributeStatus": "Accepted", "attributeValue": "x", **get_item(3, "C")}]
    }
    failed = {
        "getVariableResult": failed_results(
            "GetVariables", {"getVariableData": first}, "CommandTimeoutLonger!!", "no answer"
        )
    }
    merged = merge("GetVariables", [failed, answered])["getVariableResult"]
    assert [r["variable"]["name"] for r in merged] == ["A", "B", "C"]
    assert [r["attributeStatus"] for r in merged] == ["Rejected", "Rejected", "Accepted"]
    assert merged[0]["attributeStatusInfo"] == {
        "reasonCode": "CommandTimeoutLonger",
        "additionalInfo": "no answer",
    }
    assert merged[1]["attributeType"] == "Target" and "attributeType" not in merged[0]
