"""A bare OCPP-J client for end-to-end tests that need to send exactly the bytes they choose."""

from __future__ import annotations

import asyncio
from typing import Any

import orjson
from websockets.asyncio.client import ClientConnection, connect


class RawStation:
    def __init__(self, ws: ClientConnection) -> None:
        self.ws = ws
        self._ids = 0

    @classmethod
    async def open(
        cls, url: str, station_id: str, subprotocols: tuple[str, ...] = ("ocpp1.6",)
    ) -> RawStation:
        ws = await connect(f"{url}/{station_id}", subprotocols=list(subprotocols))  # type: ignore[arg-type]
        return cls(ws)

    async def send_raw(self, text: str) -> None:
        await self.ws.send(text)

    async def recv(self, timeout: float = 5.0) -> list[Any]:
        return orjson.loads(await asyncio.wait_for(self.ws.recv(), timeout))  # type: ignore[no-any-return]

    async def call(self, action: str, payload: dict[str, Any], timeout: float = 5.0) -> list[Any]:
        """Send a CALL and return the whole answer frame ([3, id, {...}] or [4, id, code, ...])."""
        self._ids += 1
        message_id = f"m{self._ids}"
        await self.ws.send(orjson.dumps([2, message_id, action, payload]).decode())
        frame = await self.recv(timeout)
        assert frame[1] == message_id
        return frame

    async def expect_call(self, action: str, timeout: float = 5.0) -> tuple[str, dict[str, Any]]:
        """Wait for the CSMS's next CALL, which must be ``action``; returns its id and payload."""
        frame = await self.recv(timeout)
        assert frame[0] == 2 and frame[2] == action, frame
        return frame[1], frame[3]

    async def reply(self, message_id: str, payload: dict[str, Any]) -> None:
        """Answer the CSMS's CALL ``message_id`` with a CALLRESULT."""
        await self.ws.send(orjson.dumps([3, message_id, payload]).decode())

    async def close(self) -> None:
        await self.ws.close()
