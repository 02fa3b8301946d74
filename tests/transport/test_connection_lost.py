"""A connection that closes tells its callers whether their CALL had gone out."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from opencsms.transport.connection import ConnectionLost, OcppConnection


class ClosingSocket:
    """Takes what is sent; ``recv`` waits until the test closes the socket."""

    def __init__(self) -> None:
        self.sent: list[Any] = []
        self.gone = asyncio.Event()

    async def send(self, message: Any, *, text: bool | None = None) -> None:
        self.sent.append(message)

    async def recv(self, decode: bool | None = None) -> str | bytes:
        await self.gone.wait()
        raise ConnectionError("closed")

    async def close(self, code: int = 1000, reason: str = "") -> None:
        self.gone.set()


async def _no_calls(call: Any) -> dict[str, Any]:
    raise AssertionError("no CALL expected")


async def test_the_call_in_flight_was_sent_and_the_one_queued_behind_it_was_not() -> None:
    socket = ClosingSocket()
    connection = OcppConnection(socket, "ocpp1.6", _no_calls)
    serving = asyncio.ensure_future(connection.run())
    first = asyncio.ensure_future(connection.call("Reset", {"type": "Hard"}))
    second = asyncio.ensure_future(connection.call("ClearCache", {}))
    await asyncio.sleep(0)
    assert len(socket.sent) == 1  # one CALL in flight at a time: ClearCache waits
    socket.gone.set()
    with pytest.raises(ConnectionLost) as in_flight:
        await first
    with pytest.raises(ConnectionLost) as queued:
        await second
    await serving
    assert in_flight.value.sent is True and queued.value.sent is False
    with pytest.raises(ConnectionLost) as after:
        await connection.call("ClearCache", {})
    assert after.value.sent is False
