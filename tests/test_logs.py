"""Logs as JSON lines carrying the station, message id, request id and node; repeated faults
written once per interval with the count held back."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from opencsms.logs import (
    JsonFormatter,
    RepeatLimit,
    configure,
    message_id_var,
    request_id_var,
    station_id_var,
)
from opencsms.runtime import Runtime
from tests.e2e.wsclient import RawStation


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def restore_root_logger() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    for handler in list(root.handlers):
        root.removeHandler(handler)
    for handler in handlers:
        root.addHandler(handler)
    root.setLevel(level)


def _lines(stream: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def test_a_json_line_carries_what_the_context_knows() -> None:
    record = logging.LogRecord("opencsms.x", logging.INFO, __file__, 1, "%s charged", ("CP1",), None)
    tokens = [station_id_var.set("CP1"), message_id_var.set("m-7"), request_id_var.set("req-1")]
    try:
        line = json.loads(JsonFormatter(node="node-a").format(record))
    finally:
        for variable, token in zip((station_id_var, message_id_var, request_id_var), tokens, strict=True):
            variable.reset(token)
    assert line["message"] == "CP1 charged" and line["level"] == "INFO" and line["logger"] == "opencsms.x"
    assert (line["station_id"], line["message_id"], line["request_id"], line["node"]) == (
        "CP1",
        "m-7",
        "req-1",
        "node-a",
    )
    assert line["time"].endswith("+00:00")
    bare = json.loads(JsonFormatter().format(record))
    assert not {"station_id", "message_id", "request_id", "node"} & set(bare)


def test_a_repeating_warning_is_written_once_per_interval_with_the_count_held_back() -> None:
    clock = Clock()
    limit = RepeatLimit(interval=10.0, clock=clock)

    def warning(template: str) -> logging.LogRecord:
        return logging.LogRecord("opencsms.t", logging.WARNING, __file__, 1, template, ("CP1",), None)

    assert limit.filter(warning("%s: bad frame"))
    assert [limit.filter(warning("%s: bad frame")) for _ in range(5)] == [False] * 5
    assert limit.filter(warning("%s: other fault"))  # another key is not held back
    info = logging.LogRecord("opencsms.t", logging.INFO, __file__, 1, "%s: bad frame", ("CP1",), None)
    assert limit.filter(info)  # below WARNING: never limited
    clock.now = 10.0
    record = warning("%s: bad frame")
    assert limit.filter(record) and record.suppressed == 5  # type: ignore[attr-defined]
    assert record.getMessage() == "CP1: bad frame (5 more like it in the last 10 s, not logged)"
    assert RepeatLimit(interval=0).filter(warning("x")) and RepeatLimit(interval=0).filter(warning("x"))


def test_an_unknown_format_is_refused() -> None:
    with pytest.raises(ValueError, match="text or json"):
        configure("INFO", "yaml")


async def test_a_station_sending_broken_frames_gets_one_json_line_per_interval(
    server: Runtime, restore_root_logger: None
) -> None:
    stream, clock = io.StringIO(), Clock()
    configure("INFO", "json", node="node-a", repeat_interval=60.0, stream=stream, clock=clock)
    station = await RawStation.open(server.ocpp_url, "CP-NOISY")
    boot = await station.call("BootNotification", {"chargePointVendor": "V", "chargePointModel": "M"})
    assert boot[2]["status"] == "Accepted"
    for _ in range(20):
        await station.send_raw('[3, "never-asked", {}]')  # an answer to nothing: a protocol violation
    assert (await station.call("Heartbeat", {}))[0] == 3  # every broken frame was read before this
    clock.now = 61.0
    await station.send_raw('[3, "never-asked", {}]')
    assert (await station.call("Heartbeat", {}))[0] == 3
    await station.close()
    noisy = [
        line for line in _lines(stream) if line.get("station_id") == "CP-NOISY" and line["level"] == "WARNING"
    ]
    assert len(noisy) == 2, noisy
    assert all(line["node"] == "node-a" for line in noisy)
    assert "suppressed" not in noisy[0] and noisy[1]["suppressed"] == 19


async def test_an_http_request_gets_an_id_answered_back(server: Runtime) -> None:
    async with httpx.AsyncClient(base_url=server.http_url) as client:
        given = await client.get("/health", headers={"X-Request-ID": "lb-1234"})
        assert given.headers["x-request-id"] == "lb-1234"
        made = await client.get("/health", headers={"X-Request-ID": 'forged", "level": "ERROR'})
        assert len(made.headers["x-request-id"]) == 16 and '"' not in made.headers["x-request-id"]
