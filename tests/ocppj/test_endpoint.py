"""RpcEndpoint: one CALL in flight, answers in arrival order, malformed input never raises."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from opencsms.ocppj.endpoint import (
    MAX_ERROR_DESCRIPTION,
    CallReceived,
    CallTimedOut,
    ErrorReceived,
    PeerRejectedResult,
    ProtocolViolation,
    ResultReceived,
    RpcEndpoint,
    SendReceived,
)
from opencsms.ocppj.errors import (
    V16,
    V21,
    V201,
    FormatViolation,
    InternalError,
    NotImplementedCallError,
    OccurrenceConstraintViolation,
    UsageError,
)
from opencsms.ocppj.frames import (
    CALL,
    CALLERROR,
    CALLRESULT,
    Call,
    CallError,
    CallResult,
    CallResultError,
    Send,
    parse_frame,
)

VERSIONS = (V16, V201, V21)
EVENT_TYPES = (
    CallReceived,
    SendReceived,
    ResultReceived,
    ErrorReceived,
    CallTimedOut,
    PeerRejectedResult,
    ProtocolViolation,
)


def counting_ids() -> Callable[[], str]:
    counter = itertools.count(1)
    return lambda: f"out-{next(counter)}"


def endpoint(version: str = V201, **kwargs: Any) -> RpcEndpoint:
    return RpcEndpoint(version, id_factory=counting_ids(), **kwargs)


def flush(ep: RpcEndpoint) -> list[list[Any]]:
    """What the endpoint wants sent, decoded."""
    return [orjson.loads(data) for data in ep.data_to_send()]


def wire(*elements: object) -> bytes:
    return orjson.dumps(list(elements))


def call(message_id: str, action: str = "Heartbeat", payload: dict[str, Any] | None = None) -> bytes:
    return wire(CALL, message_id, action, payload or {})


# -- outgoing calls -------------------------------------------------------------------------------


def test_call_is_sent_at_once_when_idle() -> None:
    ep = endpoint(call_timeout=30.0)
    sent = ep.send_call("Reset", {"type": "Soft"}, now=100.0)
    assert sent == Call("out-1", "Reset", {"type": "Soft"})
    assert ep.in_flight == sent
    assert ep.queued_calls == 0
    assert ep.next_deadline() == 130.0
    assert flush(ep) == [[CALL, "out-1", "Reset", {"type": "Soft"}]]
    assert flush(ep) == []


def test_idle_endpoint_has_no_deadline() -> None:
    ep = endpoint()
    assert ep.in_flight is None
    assert ep.next_deadline() is None
    assert ep.expire(1e9) == []
    assert ep.data_to_send() == []


def test_default_ids_are_unique_and_short() -> None:
    first, second = RpcEndpoint(V201), RpcEndpoint(V201)
    ids = [ep.send_call("Heartbeat", {}, now=0.0).message_id for ep in (first, second, first)]
    assert len(set(ids)) == 3
    assert all(0 < len(message_id) <= 36 for message_id in ids)


def test_one_call_in_flight_others_queued_and_sent_in_order_as_answered() -> None:
    ep = endpoint(call_timeout=10.0)
    first = ep.send_call("A", {}, now=0.0)
    second = ep.send_call("B", {}, now=1.0)
    third = ep.send_call("C", {}, now=2.0)
    assert [f[1] for f in flush(ep)] == ["out-1"]
    assert ep.in_flight == first
    assert ep.queued_calls == 2

    events = ep.receive(wire(CALLRESULT, first.message_id, {"ok": 1}), now=3.0)
    assert events == [ResultReceived(first, CallResult(first.message_id, {"ok": 1}))]
    assert flush(ep) == [[CALL, second.message_id, "B", {}]]
    assert ep.in_flight == second
    assert ep.next_deadline() == 13.0  # the clock starts when it is sent, not when it was queued

    events = ep.receive(wire(CALLRESULT, second.message_id, {}), now=4.0)
    assert events == [ResultReceived(second, CallResult(second.message_id, {}))]
    assert flush(ep) == [[CALL, third.message_id, "C", {}]]
    ep.receive(wire(CALLRESULT, third.message_id, {}), now=5.0)
    assert ep.in_flight is None
    assert ep.queued_calls == 0
    assert flush(ep) == []


def test_timeout_sends_the_next_queued_call() -> None:
    ep = endpoint(call_timeout=10.0)
    first = ep.send_call("A", {}, now=0.0)
    second = ep.send_call("B", {}, now=0.0)
    flush(ep)
    assert ep.expire(9.999) == []
    assert ep.in_flight == first
    assert ep.expire(10.0) == [CallTimedOut(first)]
    assert ep.in_flight == second
    assert flush(ep) == [[CALL, second.message_id, "B", {}]]
    assert ep.next_deadline() == 20.0


def test_per_call_timeout_overrides_the_default() -> None:
    ep = endpoint(call_timeout=30.0)
    ep.send_call("A", {}, now=0.0, timeout=5.0)
    assert ep.next_deadline() == 5.0


def test_expire_times_out_every_call_whose_deadline_passed() -> None:
    ep = endpoint(call_timeout=10.0)
    first = ep.send_call("A", {}, now=0.0)
    second = ep.send_call("B", {}, now=0.0, timeout=0.0)
    third = ep.send_call("C", {}, now=0.0)
    assert ep.expire(10.0) == [CallTimedOut(first), CallTimedOut(second)]
    assert ep.in_flight == third
    assert [f[1] for f in flush(ep)] == [first.message_id, second.message_id, third.message_id]


def test_result_is_matched_by_id() -> None:
    ep = endpoint()
    sent = ep.send_call("A", {}, now=0.0)
    queued = ep.send_call("B", {}, now=0.0)
    # An answer to the queued call (never sent) does not answer the one in flight.
    events = ep.receive(wire(CALLRESULT, queued.message_id, {}), now=1.0)
    assert events == [ProtocolViolation("answer to an unknown CALL", queued.message_id)]
    assert ep.in_flight == sent
    assert ep.unknown_results == 1


def test_late_result_after_timeout_is_counted_and_dropped() -> None:
    ep = endpoint(call_timeout=10.0)
    first = ep.send_call("A", {}, now=0.0)
    second = ep.send_call("B", {}, now=0.0)
    ep.expire(10.0)
    flush(ep)
    events = ep.receive(wire(CALLRESULT, first.message_id, {}), now=11.0)
    assert events == [ProtocolViolation("late answer to a timed-out CALL", first.message_id)]
    assert ep.late_results == 1
    assert ep.unknown_results == 0
    assert ep.in_flight == second  # the late answer does not answer the next call
    assert flush(ep) == []  # answers are never answered


def test_late_error_after_timeout_is_counted() -> None:
    ep = endpoint(call_timeout=1.0)
    sent = ep.send_call("A", {}, now=0.0)
    ep.expire(1.0)
    ep.receive(wire(CALLERROR, sent.message_id, "InternalError", "", {}), now=2.0)
    assert ep.late_results == 1
    assert ep.in_flight is None


def test_only_recent_timeouts_are_remembered() -> None:
    ep = endpoint(call_timeout=1.0)
    calls = [ep.send_call("A", {}, now=0.0) for _ in range(65)]
    ep.expire(1000.0)
    ep.receive(wire(CALLRESULT, calls[0].message_id, {}), now=1001.0)
    ep.receive(wire(CALLRESULT, calls[-1].message_id, {}), now=1001.0)
    assert (ep.unknown_results, ep.late_results) == (1, 1)


@pytest.mark.parametrize("frame", [wire(CALLRESULT, "nope", {}), wire(CALLERROR, "nope", "GenericError", "")])
def test_unknown_result_is_counted_and_dropped(frame: bytes) -> None:
    ep = endpoint()
    assert ep.receive(frame, now=0.0) == [ProtocolViolation("answer to an unknown CALL", "nope")]
    assert ep.unknown_results == 1
    assert ep.late_results == 0
    assert ep.protocol_violations == 0  # the frame itself was well formed
    assert flush(ep) == []


def test_callerror_answer_gives_error_received_and_sends_the_next() -> None:
    ep = endpoint()
    first = ep.send_call("A", {}, now=0.0)
    second = ep.send_call("B", {}, now=0.0)
    flush(ep)
    events = ep.receive(wire(CALLERROR, first.message_id, "NotImplemented", "no", {"a": 1}), now=1.0)
    assert events == [ErrorReceived(first, CallError(first.message_id, "NotImplemented", "no", {"a": 1}))]
    assert ep.in_flight == second
    assert flush(ep) == [[CALL, second.message_id, "B", {}]]


def test_cancel_all_returns_in_flight_then_queued() -> None:
    ep = endpoint()
    calls = [ep.send_call(action, {}, now=0.0) for action in "ABC"]
    assert ep.cancel_all() == calls
    assert ep.in_flight is None
    assert ep.queued_calls == 0
    assert ep.next_deadline() is None
    assert ep.expire(1e9) == []
    assert ep.cancel_all() == []
    # An answer to a cancelled call is just unknown now.
    ep.receive(wire(CALLRESULT, calls[0].message_id, {}), now=1.0)
    assert ep.unknown_results == 1


def test_cancel_all_leaves_received_calls_alone() -> None:
    ep = endpoint()
    ep.receive(call("in-1"), now=0.0)
    ep.send_call("A", {}, now=0.0)
    ep.cancel_all()
    assert ep.unanswered_calls == 1


# -- received calls -------------------------------------------------------------------------------


def test_received_call_is_answered() -> None:
    ep = endpoint()
    events = ep.receive(call("in-1", "BootNotification", {"reason": "PowerUp"}), now=0.0)
    assert events == [CallReceived(Call("in-1", "BootNotification", {"reason": "PowerUp"}))]
    assert ep.unanswered_calls == 1
    assert flush(ep) == []
    ep.answer("in-1", {"status": "Accepted"})
    assert flush(ep) == [[CALLRESULT, "in-1", {"status": "Accepted"}]]
    assert ep.unanswered_calls == 0


def test_received_call_as_text_is_answered() -> None:
    ep = endpoint()
    assert ep.receive('[2, "in-1", "Heartbeat", {}]', now=0.0) == [
        CallReceived(Call("in-1", "Heartbeat", {}))
    ]


def test_two_calls_back_to_back_answered_in_order() -> None:
    ep = endpoint()
    ep.receive(call("in-1", "StatusNotification"), now=0.0)
    ep.receive(call("in-2", "StatusNotification"), now=0.1)
    ep.answer("in-1", {})
    ep.answer("in-2", {})
    assert flush(ep) == [[CALLRESULT, "in-1", {}], [CALLRESULT, "in-2", {}]]


def test_answers_given_out_of_order_go_out_in_arrival_order() -> None:
    ep = endpoint()
    for message_id in ("in-1", "in-2", "in-3"):
        ep.receive(call(message_id), now=0.0)
    ep.answer("in-3", {"n": 3})
    ep.answer_error("in-2", InternalError("boom"))
    assert flush(ep) == []  # held back until in-1 is answered
    assert ep.unanswered_calls == 3
    ep.answer("in-1", {"n": 1})
    assert [(f[0], f[1]) for f in flush(ep)] == [
        (CALLRESULT, "in-1"),
        (CALLERROR, "in-2"),
        (CALLRESULT, "in-3"),
    ]
    assert ep.unanswered_calls == 0


def test_duplicate_ids_from_the_peer_are_each_answered() -> None:
    ep = endpoint()
    ep.receive(call("dup"), now=0.0)
    ep.receive(call("dup"), now=0.0)
    ep.answer("dup", {"n": 1})
    ep.answer("dup", {"n": 2})
    assert flush(ep) == [[CALLRESULT, "dup", {"n": 1}], [CALLRESULT, "dup", {"n": 2}]]


def test_answer_to_an_unknown_id_raises_usage_error() -> None:
    ep = endpoint()
    with pytest.raises(UsageError, match="nope"):
        ep.answer("nope", {})
    with pytest.raises(UsageError):
        ep.answer_error("nope", InternalError())


def test_answering_twice_raises_usage_error() -> None:
    ep = endpoint()
    ep.receive(call("in-1"), now=0.0)
    ep.receive(call("in-2"), now=0.0)
    ep.answer("in-2", {})
    with pytest.raises(UsageError):
        ep.answer("in-2", {})  # held back, but already answered
    ep.answer("in-1", {})
    with pytest.raises(UsageError):
        ep.answer("in-1", {})  # already sent
    assert len(flush(ep)) == 2


@pytest.mark.parametrize(
    ("version", "code"),
    [(V16, "FormationViolation"), (V201, "FormatViolation"), (V21, "FormatViolation")],
)
def test_answer_error_is_spelled_for_the_version(version: str, code: str) -> None:
    ep = endpoint(version)
    ep.receive(call("in-1"), now=0.0)
    ep.answer_error("in-1", FormatViolation("bad date", {"field": "timestamp"}))
    assert flush(ep) == [[CALLERROR, "in-1", code, "bad date", {"field": "timestamp"}]]


@pytest.mark.parametrize(
    ("version", "code"),
    [(V16, "OccurenceConstraintViolation"), (V201, "OccurrenceConstraintViolation")],
)
def test_empty_error_description_becomes_the_code(version: str, code: str) -> None:
    ep = endpoint(version)
    ep.receive(call("in-1"), now=0.0)
    ep.answer_error("in-1", OccurrenceConstraintViolation())
    assert flush(ep) == [[CALLERROR, "in-1", code, code, {}]]


def test_error_description_truncated_to_255() -> None:
    ep = endpoint()
    ep.receive(call("in-1"), now=0.0)
    ep.receive(call("in-2"), now=0.0)
    ep.answer_error("in-1", NotImplementedCallError("x" * 1000))
    ep.answer_error("in-2", NotImplementedCallError("y" * MAX_ERROR_DESCRIPTION))
    first, second = flush(ep)
    assert MAX_ERROR_DESCRIPTION == 255
    assert first[3] == "x" * 255
    assert second[3] == "y" * 255


def test_send_gives_send_received_and_no_answer() -> None:
    ep = endpoint(V21)
    events = ep.receive(wire(6, "s-1", "NotifyPeriodicEventStream", {"id": 1}), now=0.0)
    assert events == [SendReceived(Send("s-1", "NotifyPeriodicEventStream", {"id": 1}))]
    assert ep.unanswered_calls == 0
    assert flush(ep) == []
    with pytest.raises(UsageError):
        ep.answer("s-1", {})


def test_callresulterror_gives_peer_rejected_result() -> None:
    ep = endpoint(V21)
    in_flight = ep.send_call("A", {}, now=0.0)
    flush(ep)
    events = ep.receive(wire(5, "in-9", "FormatViolation", "bad result", {}), now=1.0)
    assert events == [PeerRejectedResult(CallResultError("in-9", "FormatViolation", "bad result", {}))]
    assert ep.in_flight == in_flight  # not an answer to our CALL
    assert flush(ep) == []


# -- malformed input ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("version", "code"),
    [(V16, "FormationViolation"), (V201, "RpcFrameworkError"), (V21, "RpcFrameworkError")],
)
def test_malformed_call_with_readable_id_is_answered(version: str, code: str) -> None:
    ep = endpoint(version)
    events = ep.receive(wire(CALL, "in-1", "Heartbeat"), now=0.0)
    assert len(events) == 1
    assert isinstance(events[0], ProtocolViolation)
    assert events[0].message_id == "in-1"
    assert "4 elements" in events[0].description
    assert ep.protocol_violations == 1
    [answer] = flush(ep)
    assert answer[:3] == [CALLERROR, "in-1", code]
    assert ep.unanswered_calls == 0


@pytest.mark.parametrize(
    ("version", "code"),
    [(V16, "FormationViolation"), (V201, "FormatViolation"), (V21, "FormatViolation")],
)
def test_call_payload_not_an_object_is_a_format_violation(version: str, code: str) -> None:
    ep = endpoint(version)
    ep.receive(wire(CALL, "in-1", "Heartbeat", []), now=0.0)
    assert flush(ep)[0][:3] == [CALLERROR, "in-1", code]


@pytest.mark.parametrize(
    ("version", "code"),
    [(V16, "NotSupported"), (V201, "MessageTypeNotSupported"), (V21, "MessageTypeNotSupported")],
)
def test_unknown_message_type_with_readable_id_is_answered(version: str, code: str) -> None:
    ep = endpoint(version)
    [event] = ep.receive(wire(7, "in-1", "Heartbeat", {}), now=0.0)
    assert event == ProtocolViolation("message type id 7 is not supported", "in-1")
    assert flush(ep)[0][:3] == [CALLERROR, "in-1", code]


def test_malformed_call_is_answered_in_order_with_the_others() -> None:
    ep = endpoint()
    ep.receive(call("in-1"), now=0.0)
    ep.receive(wire(CALL, "in-2", 42, {}), now=0.0)
    ep.receive(call("in-3"), now=0.0)
    assert flush(ep) == []  # the error for in-2 waits for in-1's answer
    assert ep.unanswered_calls == 3
    ep.answer("in-3", {})
    assert flush(ep) == []
    ep.answer("in-1", {})
    assert [(f[0], f[1]) for f in flush(ep)] == [
        (CALLRESULT, "in-1"),
        (CALLERROR, "in-2"),
        (CALLRESULT, "in-3"),
    ]
    with pytest.raises(UsageError):
        ep.answer("in-2", {})  # the endpoint answered it itself


UNREADABLE_ID = [
    b"not json",
    b"[]",
    b"{}",
    b'[true, "in-1", "Heartbeat", {}]',
    b'["2", "in-1", "Heartbeat", {}]',
    b"[2]",
    b'[2, 17, "Heartbeat", {}]',
    b'[2, "", "Heartbeat", {}]',
    wire(CALL, "x" * 37, "Heartbeat", {}),
    wire(9, None),
]


@pytest.mark.parametrize("version", [V201, V21])
@pytest.mark.parametrize("data", UNREADABLE_ID)
def test_unreadable_id_answered_with_minus_one_in_2x(version: str, data: bytes) -> None:
    ep = endpoint(version)
    [event] = ep.receive(data, now=0.0)
    assert isinstance(event, ProtocolViolation)
    assert event.message_id is None
    assert ep.protocol_violations == 1
    assert ep.unanswered_calls == 0
    [answer] = flush(ep)
    assert answer[:3] == [CALLERROR, "-1", "RpcFrameworkError"]


@pytest.mark.parametrize("data", UNREADABLE_ID)
def test_unreadable_id_gets_no_answer_in_16(data: bytes) -> None:
    ep = endpoint(V16)
    [event] = ep.receive(data, now=0.0)
    assert isinstance(event, ProtocolViolation)
    assert event.message_id is None
    assert ep.protocol_violations == 1
    assert flush(ep) == []


@pytest.mark.parametrize(("version", "code"), [(V16, "FormationViolation"), (V201, "FormatViolation")])
def test_oversized_call_is_answered_with_its_id(version: str, code: str) -> None:
    ep = endpoint(version, max_frame_bytes=20)
    [event] = ep.receive(call("in-1", "DataTransfer", {"data": "x" * 20}), now=0.0)
    assert isinstance(event, ProtocolViolation)
    assert "exceeds 20" in event.description
    assert [answer[:3] for answer in flush(ep)] == [[CALLERROR, "in-1", code]]


@pytest.mark.parametrize(("version", "answers"), [(V16, 0), (V201, 1), (V21, 1)])
def test_oversized_frame_without_a_readable_id(version: str, answers: int) -> None:
    ep = endpoint(version, max_frame_bytes=20)
    [event] = ep.receive('{"not": "a call", "data": "' + "x" * 20 + '"}', now=0.0)
    assert isinstance(event, ProtocolViolation)
    sent = flush(ep)
    assert len(sent) == answers
    if answers:
        assert sent[0][:3] == [CALLERROR, "-1", "FormatViolation"]


NEVER_ANSWERED = [
    wire(CALLRESULT, "r-1"),  # wrong length
    wire(CALLRESULT, "r-1", []),  # payload not an object
    wire(CALLRESULT, 17, {}),  # unreadable id
    wire(CALLERROR, "r-1", 5, "", {}),
    wire(CALLERROR, "r-1"),
    wire(CALLERROR, None, "GenericError", "", {}),
    wire(5, "r-1", "GenericError", 1, {}),
    wire(5, ["r-1"], "GenericError", "", {}),
    wire(6, "r-1", "Action"),
    wire(6, "r-1", "Action", None),
    wire(6, 1.5, "Action", {}),
]


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("data", NEVER_ANSWERED)
def test_malformed_answers_errors_and_sends_are_never_answered(version: str, data: bytes) -> None:
    ep = endpoint(version)
    [event] = ep.receive(data, now=0.0)
    assert isinstance(event, ProtocolViolation)
    assert ep.protocol_violations == 1
    assert ep.unanswered_calls == 0
    assert flush(ep) == []


def test_malformed_result_for_the_call_in_flight_leaves_it_in_flight() -> None:
    ep = endpoint(call_timeout=10.0)
    sent = ep.send_call("A", {}, now=0.0)
    flush(ep)
    ep.receive(wire(CALLRESULT, sent.message_id, "Accepted"), now=1.0)
    assert ep.in_flight == sent
    assert ep.expire(10.0) == [CallTimedOut(sent)]


# -- properties -----------------------------------------------------------------------------------


def check_outcome(ep: RpcEndpoint, data: str | bytes) -> None:
    """Receive ``data``, answer whatever CALL it was; everything sent must be a valid answer."""
    events = ep.receive(data, now=0.0)
    assert len(events) == 1
    assert isinstance(events[0], EVENT_TYPES)
    for event in events:
        if isinstance(event, CallReceived):
            ep.answer(event.call.message_id, {})
    assert ep.unanswered_calls == 0
    sent = ep.data_to_send()
    assert len(sent) <= 1
    for frame in sent:
        decoded = orjson.loads(frame)
        assert isinstance(decoded, list)
        assert decoded[0] in (CALLRESULT, CALLERROR)
        assert isinstance(parse_frame(frame), CallResult | CallError)


versions = st.sampled_from(VERSIONS)


@settings(max_examples=150)
@given(versions, st.text(max_size=80))
def test_random_text_never_raises(version: str, data: str) -> None:
    check_outcome(endpoint(version), data)


@settings(max_examples=150)
@given(versions, st.binary(max_size=80), st.booleans())
def test_random_bytes_never_raise(version: str, data: bytes, as_text: bool) -> None:
    check_outcome(endpoint(version), data.decode("latin-1") if as_text else data)


json_ints = st.integers(-(2**63), 2**64 - 1)  # what orjson can serialize
json_values = st.recursive(
    st.none()
    | st.booleans()
    | json_ints
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=10),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4),
    max_leaves=15,
)


@settings(max_examples=200)
@given(versions, json_values)
def test_random_json_has_a_defined_outcome(version: str, value: object) -> None:
    check_outcome(endpoint(version), orjson.dumps(value))


message_id_values = st.text(max_size=40) | json_ints | st.none() | st.booleans() | st.just("-1")
ocpp_shaped = st.tuples(
    st.integers(-2, 8),
    message_id_values,
    st.text(max_size=70)
    | json_ints
    | st.none()
    | st.dictionaries(st.text(max_size=3), json_values, max_size=2),
    json_values,
    st.lists(json_values, max_size=2),
).map(lambda parts: [parts[0], parts[1], parts[2], parts[3], *parts[4]])


@settings(max_examples=300)
@given(versions, ocpp_shaped, st.integers(1, 6))
def test_ocpp_shaped_arrays_have_a_defined_outcome(version: str, frame: list[object], length: int) -> None:
    data = orjson.dumps(frame[:length])
    ep = endpoint(version)
    ep.send_call("Reset", {}, now=0.0)
    ep.data_to_send()
    check_outcome(ep, data)


@settings(max_examples=100)
@given(st.integers(1, 8).flatmap(lambda n: st.permutations(range(n))))
def test_answers_in_any_order_go_out_in_arrival_order(order: list[int]) -> None:
    ep = endpoint()
    for index in range(len(order)):
        ep.receive(call(f"in-{index}"), now=float(index))
    for index in order:
        ep.answer(f"in-{index}", {"i": index})
    assert flush(ep) == [[CALLRESULT, f"in-{index}", {"i": index}] for index in range(len(order))]


class AnswerOrderMachine(RuleBasedStateMachine):
    """Received CALLs, malformed CALLs, answers and our own CALLs interleaved at random."""

    def __init__(self) -> None:
        super().__init__()
        self.ep = endpoint(call_timeout=5.0)
        self.now = 0.0
        self.arrived: list[str] = []  # ids of received CALLs (well formed or not), arrival order
        self.answered: set[str] = set()  # answered by us, or by the endpoint for malformed CALLs
        self.sent_answers: list[str] = []

    def _receive(self, data: bytes, message_id: str) -> None:
        self.arrived.append(message_id)
        self.ep.receive(data, self.now)

    @rule()
    def receive_call(self) -> None:
        message_id = f"in-{len(self.arrived)}"
        self._receive(call(message_id), message_id)

    @rule()
    def receive_malformed_call(self) -> None:
        message_id = f"in-{len(self.arrived)}"
        self._receive(wire(CALL, message_id, "Heartbeat", "not an object"), message_id)
        self.answered.add(message_id)

    @precondition(lambda self: len(self.answered) < len(self.arrived))
    @rule(data=st.data(), as_error=st.booleans())
    def answer_one(self, data: st.DataObject, as_error: bool) -> None:
        waiting = [message_id for message_id in self.arrived if message_id not in self.answered]
        message_id = data.draw(st.sampled_from(waiting))
        if as_error:
            self.ep.answer_error(message_id, InternalError("no"))
        else:
            self.ep.answer(message_id, {})
        self.answered.add(message_id)

    @rule()
    def send_our_call(self) -> None:
        self.ep.send_call("TriggerMessage", {}, self.now)

    @precondition(lambda self: self.ep.in_flight is not None)
    @rule()
    def peer_answers_our_call(self) -> None:
        assert self.ep.in_flight is not None
        self.ep.receive(wire(CALLRESULT, self.ep.in_flight.message_id, {}), self.now)

    @rule(step=st.floats(0.0, 10.0))
    def time_passes(self, step: float) -> None:
        self.now += step
        self.ep.expire(self.now)

    @invariant()
    def answers_leave_in_arrival_order(self) -> None:
        self.sent_answers += [f[1] for f in flush(self.ep) if f[0] != CALL]
        expected: list[str] = []
        for message_id in self.arrived:
            if message_id not in self.answered:
                break
            expected.append(message_id)
        assert self.sent_answers == expected
        assert self.ep.unanswered_calls == len(self.arrived) - len(expected)

    def teardown(self) -> None:
        for message_id in self.arrived:
            if message_id not in self.answered:
                self.ep.answer(message_id, {})
        self.sent_answers += [f[1] for f in flush(self.ep) if f[0] != CALL]
        assert self.sent_answers == self.arrived  # none dropped, none duplicated
        assert self.ep.unanswered_calls == 0


AnswerOrderMachine.TestCase.settings = settings(max_examples=60, stateful_step_count=30, deadline=None)
TestAnswerOrder = AnswerOrderMachine.TestCase
