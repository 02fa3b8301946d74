"""The station side of one WebSocket, reduced to what the load generator needs: send, receive, close.

Two implementations: picows (Cython framing, callbacks; the default because it costs the
generator far less CPU per call) and the websockets asyncio client (pure Python framing), kept
to check that the choice of client library does not change what is measured.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from typing import Protocol

import picows
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed
from websockets.typing import Subprotocol


class LinkClosed(Exception):
    """The connection closed (or was aborted) while a frame was awaited or sent."""


class Link(Protocol):
    async def send(self, frame: bytes) -> None: ...
    async def recv(self) -> bytes: ...
    def abort(self) -> None: ...
    async def close(self) -> None: ...


# -- picows -----------------------------------------------------------------------------------------


class _PicowsLink(picows.WSListener):
    """Frames arrive through callbacks; ``recv`` parks one future until the next text frame."""

    def __init__(self) -> None:
        self._frames: deque[bytes] = deque()
        self._waiter: asyncio.Future[bytes] | None = None
        self._transport: picows.WSTransport | None = None
        self._closed = False

    # callbacks from picows

    def on_ws_connected(self, transport: picows.WSTransport) -> None:
        self._transport = transport

    def on_ws_frame(self, transport: picows.WSTransport, frame: picows.WSFrame) -> None:
        kind = frame.msg_type
        if kind is picows.WSMsgType.TEXT or kind is picows.WSMsgType.BINARY:
            data = frame.get_payload_as_bytes()
            waiter = self._waiter
            if waiter is not None and not waiter.done():
                self._waiter = None
                waiter.set_result(data)
            else:
                self._frames.append(data)
        elif kind is picows.WSMsgType.CLOSE:
            transport.send_close(frame.get_close_code())
            transport.disconnect()

    def on_ws_disconnected(self, transport: picows.WSTransport) -> None:
        self._closed = True
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            self._waiter = None
            waiter.set_exception(LinkClosed("connection closed"))

    # Link

    async def send(self, frame: bytes) -> None:
        if self._closed or self._transport is None:
            raise LinkClosed("connection closed")
        self._transport.send(picows.WSMsgType.TEXT, frame)

    async def recv(self) -> bytes:
        if self._frames:
            return self._frames.popleft()
        if self._closed:
            raise LinkClosed("connection closed")
        self._waiter = asyncio.get_running_loop().create_future()
        return await self._waiter

    def abort(self) -> None:
        if self._transport is not None:
            self._transport.disconnect(graceful=False)

    async def close(self) -> None:
        if self._transport is None or self._closed:
            return
        self._transport.send_close(picows.WSCloseCode.OK)
        self._transport.disconnect()
        await self._transport.wait_disconnected()


async def open_picows(url: str, subprotocol: str, local_address: str | None) -> Link:
    """Connect to ``url`` offering ``subprotocol``, from ``local_address`` when given."""
    _, listener = await picows.ws_connect(
        _PicowsLink,
        url,
        extra_headers={"Sec-WebSocket-Protocol": subprotocol},
        websocket_handshake_timeout=30,
        enable_auto_pong=True,
        local_addr=(local_address, 0) if local_address else None,
    )
    assert isinstance(listener, _PicowsLink)
    return listener


# -- websockets -------------------------------------------------------------------------------------


class _WebsocketsLink:
    def __init__(self, websocket: ClientConnection) -> None:
        self._websocket = websocket

    async def send(self, frame: bytes) -> None:
        try:
            await self._websocket.send(frame, text=True)
        except ConnectionClosed as exc:
            raise LinkClosed(str(exc)) from exc

    async def recv(self) -> bytes:
        try:
            data = await self._websocket.recv(decode=False)
        except ConnectionClosed as exc:
            raise LinkClosed(str(exc)) from exc
        return data if isinstance(data, bytes) else data.encode()

    def abort(self) -> None:
        self._websocket.transport.abort()

    async def close(self) -> None:
        with contextlib.suppress(Exception):
            await self._websocket.close()


async def open_websockets(url: str, subprotocol: str, local_address: str | None) -> Link:
    """Connect to ``url`` offering ``subprotocol`` (no compression, no keepalive pings)."""
    websocket = await connect(
        url,
        subprotocols=[Subprotocol(subprotocol)],
        compression=None,
        ping_interval=None,
        open_timeout=30,
        close_timeout=5,
        local_addr=(local_address, 0) if local_address else None,
    )
    return _WebsocketsLink(websocket)


OPENERS = {"picows": open_picows, "websockets": open_websockets}
