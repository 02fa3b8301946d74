"""A failure that hits every message (a database outage) is logged once, not once per message."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import orjson
import pytest
from sqlalchemy.exc import OperationalError

from opencsms.ocppj import Call
from opencsms.transport import connection as connection_module
from opencsms.transport.connection import HandlerFailureLog, OcppConnection


class ScriptedSocket:
    """Hands out the given frames, then waits until closed; keeps what is sent."""

    def __init__(self, frames: list[str]) -> None:
        self.frames = list(frames)
        self.sent: list[Any] = []
        self.gone = asyncio.Event()

    async def send(self, message: Any, *, text: bool | None = None) -> None:
        self.sent.append(message)
        if len(self.sent) == 200:
            self.gone.set()

    async def recv(self, decode: bool | None = None) -> str | bytes:
        if self.frames:
            return self.frames.pop(0)
        await self.gone.wait()
        raise ConnectionError("closed")

    async def close(self, code: int = 1000, reason: str = "") -> None:
        self.gone.set()


async def _database_down(call: Call) -> dict[str, Any]:
    raise OperationalError("INSERT INTO meter_samples ...", {}, ConnectionRefusedError("connection refused"))


async def test_two_hundred_failed_messages_log_one_traceback(
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(connection_module, "handler_failures", HandlerFailureLog(interval=3600.0))
    frames = [orjson.dumps([2, f"m{i}", "Heartbeat", {}]).decode() for i in range(200)]
    socket = ScriptedSocket(frames)
    with caplog.at_level(logging.ERROR, logger="opencsms.transport.connection"):
        await OcppConnection(socket, "1.6", _database_down, name="CP-OUTAGE").run()
    # Every message got its InternalError answer ...
    assert [orjson.loads(frame)[2] for frame in socket.sent] == ["InternalError"] * 200
    # ... and the log got one traceback.
    assert [record.exc_info is not None for record in caplog.records] == [True]
    assert connection_module.handler_failures.suppressed == 199


def test_the_repeats_are_counted_and_mentioned_with_the_next_logged(caplog: pytest.LogCaptureFixture) -> None:
    failures = HandlerFailureLog(interval=60.0)
    with caplog.at_level(logging.ERROR, logger="opencsms.transport.connection"):
        for now in (0.0, 1.0, 2.0, 59.0):
            failures.failed("CP1", "MeterValues", RuntimeError("down"), now)
        failures.failed("CP2", "StartTransaction", RuntimeError("down"), 3.0)  # another kind
        failures.failed("CP1", "MeterValues", RuntimeError("down"), 60.0)
    messages = [record.getMessage() for record in caplog.records]
    assert messages == [
        "CP1: handler for MeterValues failed",
        "CP2: handler for StartTransaction failed",
        "CP1: handler for MeterValues failed (3 more failures like it since, not logged)",
    ]
