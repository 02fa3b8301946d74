"""Frames: serialize and parse every OCPP-J message type; refuse every malformed shape."""

from __future__ import annotations

from typing import Any

import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st

from opencsms.ocppj.errors import FormatViolation, MessageTypeNotSupported, OcppError, RpcFrameworkError
from opencsms.ocppj.frames import (
    CALL,
    CALLERROR,
    CALLRESULT,
    CALLRESULTERROR,
    DEFAULT_MAX_FRAME_BYTES,
    MAX_ACTION_LENGTH,
    MAX_MESSAGE_ID_LENGTH,
    SEND,
    Call,
    CallError,
    CallResult,
    CallResultError,
    Frame,
    FrameError,
    Send,
    parse_frame,
    serialize,
    serialize_bytes,
)

FRAMES: list[Frame] = [
    Call("19223201", "BootNotification", {"chargePointVendor": "VendorX", "chargePointModel": "M1"}),
    Call("a", "Heartbeat", {}),
    CallResult("19223201", {"status": "Accepted", "currentTime": "2024-01-01T00:00:00Z", "interval": 300}),
    CallResult("b", {}),
    CallError("162376037", "NotSupported", "SetDisplayMessageRequest not implemented", {"x": [1, 2]}),
    CallError("c", "GenericError"),
    CallResultError("d", "FormatViolation", "could not read your result", {}),
    Send("e", "NotifyPeriodicEventStream", {"id": 1, "pending": 0, "basetime": "2024-01-01T00:00:00Z"}),
]


def assert_frame_error(
    data: str | bytes,
    error: type[OcppError],
    message_id: str | None,
    message_type: int | None,
    **kwargs: Any,
) -> FrameError:
    with pytest.raises(FrameError) as info:
        parse_frame(data, **kwargs)
    exc = info.value
    assert type(exc.error) is error
    assert exc.message_id == message_id
    assert exc.message_type == message_type
    assert str(exc) == str(exc.error)
    return exc


def dumps(value: object) -> str:
    return orjson.dumps(value).decode()


# -- round trips ----------------------------------------------------------------------------------


@pytest.mark.parametrize("frame", FRAMES, ids=lambda frame: type(frame).__name__)
def test_round_trip_text(frame: Frame) -> None:
    assert parse_frame(serialize(frame)) == frame


@pytest.mark.parametrize("frame", FRAMES, ids=lambda frame: type(frame).__name__)
def test_round_trip_bytes(frame: Frame) -> None:
    assert parse_frame(serialize_bytes(frame)) == frame


def test_wire_shapes() -> None:
    assert orjson.loads(serialize(Call("1", "Heartbeat", {}))) == [CALL, "1", "Heartbeat", {}]
    assert orjson.loads(serialize(CallResult("1", {"a": 1}))) == [CALLRESULT, "1", {"a": 1}]
    assert orjson.loads(serialize(CallError("1", "InternalError", "boom"))) == [
        CALLERROR,
        "1",
        "InternalError",
        "boom",
        {},
    ]
    assert orjson.loads(serialize(CallResultError("1", "InternalError"))) == [
        CALLRESULTERROR,
        "1",
        "InternalError",
        "",
        {},
    ]
    assert orjson.loads(serialize(Send("1", "Act", {}))) == [SEND, "1", "Act", {}]


def test_serialize_keeps_non_ascii() -> None:
    frame = CallResult("1", {"text": "Ladesäule ⚡ 充电"})
    assert serialize_bytes(frame).decode() == serialize(frame)
    assert parse_frame(serialize(frame)) == frame


json_scalars = st.none() | st.booleans() | st.integers(-(2**63), 2**63 - 1) | st.text(max_size=10)
json_objects = st.dictionaries(
    st.text(max_size=8),
    st.recursive(
        json_scalars,
        lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
        max_leaves=10,
    ),
    max_size=4,
)
message_ids = st.text(min_size=1, max_size=MAX_MESSAGE_ID_LENGTH)
actions = st.text(min_size=1, max_size=MAX_ACTION_LENGTH)


@given(
    st.one_of(
        st.builds(Call, message_ids, actions, json_objects),
        st.builds(CallResult, message_ids, json_objects),
        st.builds(CallError, message_ids, st.text(max_size=30), st.text(max_size=30), json_objects),
        st.builds(CallResultError, message_ids, st.text(max_size=30), st.text(max_size=30), json_objects),
        st.builds(Send, message_ids, actions, json_objects),
    )
)
def test_round_trip_any_frame(frame: Frame) -> None:
    assert parse_frame(serialize(frame)) == frame
    assert parse_frame(serialize_bytes(frame)) == frame


# -- tolerated inputs -----------------------------------------------------------------------------


def test_callerror_without_details_is_accepted() -> None:
    assert parse_frame('[4, "1", "GenericError", "oops"]') == CallError("1", "GenericError", "oops", {})


def test_callresulterror_without_details_is_accepted() -> None:
    assert parse_frame('[5, "1", "GenericError", ""]') == CallResultError("1", "GenericError", "", {})


def test_whitespace_around_the_array_is_accepted() -> None:
    assert parse_frame(' \n[2, "1", "Heartbeat", {}]\t') == Call("1", "Heartbeat", {})


@pytest.mark.parametrize("length", [1, MAX_MESSAGE_ID_LENGTH])
def test_message_id_length_bounds_accepted(length: int) -> None:
    message_id = "x" * length
    assert parse_frame(dumps([CALL, message_id, "Heartbeat", {}])).message_id == message_id


def test_action_of_maximum_length_accepted() -> None:
    action = "A" * MAX_ACTION_LENGTH
    assert parse_frame(dumps([CALL, "1", action, {}])) == Call("1", action, {})


def test_custom_id_length() -> None:
    long_id = "x" * 40
    assert parse_frame(dumps([CALL, long_id, "Heartbeat", {}]), max_id_length=40).message_id == long_id


# -- malformed: no id can be read -----------------------------------------------------------------


@pytest.mark.parametrize(
    "data", ["", "not json", "[2, ", '[2, "1", "Heartbeat", {}', "{]", "\ud800", b"\xff\xfe"]
)
def test_not_json(data: str | bytes) -> None:
    assert_frame_error(data, RpcFrameworkError, None, None)


@pytest.mark.parametrize("data", ['{"a": 1}', '"text"', "2", "null", "true", "1.5"])
def test_not_an_array(data: str) -> None:
    assert_frame_error(data, RpcFrameworkError, None, None)


def test_empty_array() -> None:
    assert_frame_error("[]", RpcFrameworkError, None, None)


@pytest.mark.parametrize("type_id", ['"2"', "2.0", "null", "[2]", "{}", "1e400"])
def test_type_id_not_an_integer(type_id: str) -> None:
    assert_frame_error(f'[{type_id}, "1", "Heartbeat", {{}}]', RpcFrameworkError, None, None)


@pytest.mark.parametrize("type_id", ["true", "false"])
def test_bool_type_id_refused(type_id: str) -> None:
    # True == 1 and isinstance(True, int) in Python; JSON true is not a message type id.
    assert_frame_error(f'[{type_id}, "1", "Heartbeat", {{}}]', RpcFrameworkError, None, None)


def test_missing_message_id() -> None:
    exc = assert_frame_error("[2]", RpcFrameworkError, None, CALL)
    assert "missing" in exc.error.description


@pytest.mark.parametrize("raw_id", ['""', "1", "1.5", "null", "true", "[]", '{"id": "1"}'])
def test_message_id_not_a_non_empty_string(raw_id: str) -> None:
    exc = assert_frame_error(f'[2, {raw_id}, "Heartbeat", {{}}]', RpcFrameworkError, None, CALL)
    assert "missing" in exc.error.description


def test_message_id_too_long() -> None:
    too_long = "x" * (MAX_MESSAGE_ID_LENGTH + 1)
    exc = assert_frame_error(dumps([CALL, too_long, "Heartbeat", {}]), RpcFrameworkError, None, CALL)
    assert "longer than 36" in exc.error.description


@pytest.mark.parametrize("type_id", [CALLRESULT, CALLERROR, CALLRESULTERROR, SEND, 9])
def test_bad_id_keeps_the_message_type(type_id: int) -> None:
    assert_frame_error(dumps([type_id, 7]), RpcFrameworkError, None, type_id)


# -- malformed: the id is known -------------------------------------------------------------------


@pytest.mark.parametrize("type_id", [-1, 0, 1, 7, 8, 99, 2**40])
def test_unknown_message_type(type_id: int) -> None:
    exc = assert_frame_error(dumps([type_id, "42", "x", {}]), MessageTypeNotSupported, "42", type_id)
    assert str(type_id) in exc.error.description


@pytest.mark.parametrize("type_id", [CALL, SEND])
@pytest.mark.parametrize("elements", [[], ["Heartbeat"], ["Heartbeat", {}, {}], ["Heartbeat", {}, {}, {}]])
def test_call_wrong_length(type_id: int, elements: list[object]) -> None:
    exc = assert_frame_error(dumps([type_id, "1", *elements]), RpcFrameworkError, "1", type_id)
    assert f"got {len(elements) + 2}" in exc.error.description


@pytest.mark.parametrize("type_id", [CALL, SEND])
@pytest.mark.parametrize("action", [None, 1, True, [], {}, "", "A" * (MAX_ACTION_LENGTH + 1)])
def test_call_bad_action(type_id: int, action: object) -> None:
    assert_frame_error(dumps([type_id, "1", action, {}]), RpcFrameworkError, "1", type_id)


@pytest.mark.parametrize("type_id", [CALL, SEND])
@pytest.mark.parametrize("payload", [None, [], "{}", 1, True, [{"a": 1}]])
def test_call_payload_not_an_object(type_id: int, payload: object) -> None:
    assert_frame_error(dumps([type_id, "1", "Heartbeat", payload]), FormatViolation, "1", type_id)


@pytest.mark.parametrize(
    "elements",
    [[], [{}, {}], [None], [[]], ["{}"], [1]],
)
def test_callresult_malformed(elements: list[object]) -> None:
    assert_frame_error(dumps([CALLRESULT, "1", *elements]), FormatViolation, "1", CALLRESULT)


@pytest.mark.parametrize("type_id", [CALLERROR, CALLRESULTERROR])
@pytest.mark.parametrize(
    "elements",
    [[], ["GenericError"], ["GenericError", "", {}, {}], ["GenericError", "", {}, {}, {}]],
)
def test_callerror_wrong_length(type_id: int, elements: list[object]) -> None:
    assert_frame_error(dumps([type_id, "1", *elements]), FormatViolation, "1", type_id)


@pytest.mark.parametrize("type_id", [CALLERROR, CALLRESULTERROR])
@pytest.mark.parametrize(
    "elements",
    [
        [1, "", {}],
        [None, "", {}],
        ["GenericError", 1, {}],
        ["GenericError", None, {}],
        ["GenericError", "", []],
        ["GenericError", "", None],
        ["GenericError", "", "{}"],
        [{}, {}],
    ],
)
def test_callerror_wrong_element_types(type_id: int, elements: list[object]) -> None:
    assert_frame_error(dumps([type_id, "1", *elements]), FormatViolation, "1", type_id)


# -- size limit -----------------------------------------------------------------------------------


def frame_of_size(size: int) -> str:
    """A valid CALL whose serialization is exactly ``size`` ASCII bytes."""
    empty = dumps([CALL, "1", "DataTransfer", {"data": ""}])
    frame = dumps([CALL, "1", "DataTransfer", {"data": "x" * (size - len(empty))}])
    assert len(frame) == size
    return frame


def test_frame_at_the_size_limit_accepted() -> None:
    assert isinstance(parse_frame(frame_of_size(100), max_frame_bytes=100), Call)
    assert isinstance(parse_frame(frame_of_size(100).encode(), max_frame_bytes=100), Call)


@pytest.mark.parametrize("as_bytes", [False, True])
def test_frame_over_the_size_limit(as_bytes: bool) -> None:
    text = frame_of_size(101)
    data: str | bytes = text.encode() if as_bytes else text
    # The id is read from the frame's head, so the CALL can be answered even in 1.6.
    exc = assert_frame_error(data, FormatViolation, "1", CALL, max_frame_bytes=100)
    assert "exceeds 100" in exc.error.description


def test_default_size_limit() -> None:
    assert isinstance(parse_frame(frame_of_size(DEFAULT_MAX_FRAME_BYTES)), Call)
    assert_frame_error(frame_of_size(DEFAULT_MAX_FRAME_BYTES + 1), FormatViolation, "1", CALL)


@pytest.mark.parametrize(
    "head",
    [
        '["2", "1", "A", {"d": "',  # the type is not a number
        '[2, 1, "A", {"d": "',  # the id is not a string
        '[2, "' + "i" * 37 + '", "A", {"d": "',  # the id is too long
        '[2, "a\\"b", "A", {"d": "',  # an escaped id is not guessed at
        '{"2": "1", "d": "',
    ],
)
def test_oversized_frame_without_a_plain_id_at_its_head(head: str) -> None:
    assert_frame_error(head + "x" * 200, FormatViolation, None, None, max_frame_bytes=100)


def test_size_limit_counts_utf8_bytes_of_text() -> None:
    # 84 characters but 134 bytes: the limit is in bytes whether the frame comes as str or bytes.
    text = dumps([CALL, "1", "DataTransfer", {"data": "é" * 50}])
    assert len(text) <= 100 < len(text.encode())
    assert_frame_error(text, FormatViolation, "1", CALL, max_frame_bytes=100)
    assert_frame_error(text.encode(), FormatViolation, "1", CALL, max_frame_bytes=100)


def test_oversized_frame_is_refused_before_parsing() -> None:
    # Not even JSON, but the size is checked first: the error says so.
    assert_frame_error("x" * 11, FormatViolation, None, None, max_frame_bytes=10)


# -- arbitrary input ------------------------------------------------------------------------------


@given(st.text(max_size=60) | st.binary(max_size=60))
def test_arbitrary_input_parses_or_raises_frame_error(data: str | bytes) -> None:
    try:
        frame = parse_frame(data)
    except FrameError as exc:
        assert isinstance(exc.error, OcppError)
        assert exc.message_id is None or 0 < len(exc.message_id) <= MAX_MESSAGE_ID_LENGTH
    else:
        assert parse_frame(serialize(frame)) == frame
