"""What travels between nodes for a command: subjects, results and errors (no server needed)."""

from __future__ import annotations

import orjson
import pytest

from opencsms.bus.nats_routing import NatsStationRouter, decode_reply, encode_error, station_subject
from opencsms.domain import commands as c


def test_station_ids_become_one_subject_token_without_reserved_characters() -> None:
    assert station_subject("opencsms", "CP-001_a") == "opencsms.station.CP-001_a"
    assert station_subject("p", "a.b *>c") == "p.station.a%2Eb%20%2A%3Ec"
    assert station_subject("p", "é") == "p.station.%C3%A9"
    assert station_subject("p", "a.b") != station_subject("p", "a_b")


@pytest.mark.parametrize(
    "error",
    [
        c.StationOffline("station X is not connected"),
        c.CommandTimeout("X did not answer Reset in time"),
        c.InvalidCommand("no transaction 7"),
        c.UnknownCommand("no commands for OCPP 9"),
    ],
)
def test_a_command_error_on_the_holding_node_is_raised_again_on_the_caller(error: c.CommandError) -> None:
    with pytest.raises(type(error), match=str(error)):
        decode_reply(orjson.dumps(encode_error(error)))


def test_a_callerror_keeps_its_code_and_description() -> None:
    with pytest.raises(c.CommandRejected) as raised:
        decode_reply(orjson.dumps(encode_error(c.CommandRejected("NotSupported", "no such thing"))))
    assert (raised.value.code, raised.value.description) == ("NotSupported", "no such thing")


def test_an_unexpected_failure_there_is_a_command_error_here() -> None:
    with pytest.raises(c.CommandError, match="RuntimeError: boom"):
        decode_reply(orjson.dumps(encode_error(RuntimeError("boom"))))


def test_a_result_comes_back_whole() -> None:
    ok = {
        "action": "Reset",
        "status": "Accepted",
        "response": {"status": "Accepted"},
        "request": {"type": "Soft"},
    }
    assert decode_reply(orjson.dumps({"ok": ok})) == c.CommandResult(
        "Reset", "Accepted", {"status": "Accepted"}, {"type": "Soft"}
    )


class Disconnected:
    """A NATS client between two connections: it buffers subscriptions, would hold requests."""

    is_connected = False

    def __init__(self) -> None:
        self.subscribed: list[str] = []

    async def request(self, *args: object, **kwargs: object) -> None:
        raise AssertionError("no request while disconnected")

    async def subscribe(self, subject: str, **kwargs: object) -> object:
        self.subscribed.append(subject)
        return object()


async def test_while_nats_is_away_a_station_is_taken_at_once_and_commands_elsewhere_are_offline() -> None:
    connection = Disconnected()
    router = NatsStationRouter(connection, None, prefix="p", node_id="a")  # type: ignore[arg-type]
    assert await router.claim("CP1")
    assert connection.subscribed == ["p.station.CP1"]
    with pytest.raises(c.StationOffline, match="NATS is unreachable"):
        await router.execute("CP2", c.Reset())
