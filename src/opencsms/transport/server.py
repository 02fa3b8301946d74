"""The OCPP WebSocket listener: handshake checks, then one task per station session.

One listener per security profile (0: plain ws://, 1: ws:// + Basic auth, 2: wss:// + Basic
auth, 3: wss:// + client certificate). Every decision about a handshake is made by the
transport-independent filter chain (:mod:`opencsms.security.handshake`); this module only turns
the HTTP upgrade request into a :class:`HandshakeRequest` and the decision into a response.
The websockets library picks a subprotocol by the server's list order, so the list is given
newest first.

Abuse limits applied here: at most ``max_pending_handshakes`` connections (and
``max_pending_handshakes_per_ip`` from one address) may be between TCP accept and the end of the
WebSocket handshake (more are dropped at once), and a handshake that
does not finish within ``open_timeout`` (TLS included) is dropped: a slowloris client holds a
slot for that long at most.
"""

from __future__ import annotations

import asyncio
import logging
import ssl
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any

from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.datastructures import Headers
from websockets.http11 import Request, Response
from websockets.typing import Subprotocol

from opencsms.ocppj import SUBPROTOCOLS, select_subprotocol
from opencsms.security.handshake import Admitted, HandshakeDecision, HandshakeRequest

log = logging.getLogger(__name__)

HandshakeCheck = Callable[[HandshakeRequest], Awaitable[HandshakeDecision]]
SessionHandler = Callable[[str, str, ServerConnection], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class ListenerConfig:
    host: str = "0.0.0.0"
    port: int = 9000
    versions: tuple[str, ...] = tuple(SUBPROTOCOLS)  # subprotocol names, newest first
    max_frame_bytes: int = 256 * 1024
    ping_interval: float | None = 30.0
    ping_timeout: float | None = 30.0
    open_timeout: float = 10.0
    #: OCPP security profile of this listener (0-3); 2 and 3 need ``ssl``.
    security_profile: int = 0
    ssl: ssl.SSLContext | None = None
    max_pending_handshakes: int = 1000
    max_pending_handshakes_per_ip: int = 100


def _reply(status: HTTPStatus, text: str, headers: Sequence[tuple[str, str]] = ()) -> Response:
    body = (text + "\n").encode()
    all_headers = Headers(
        [("Content-Type", "text/plain; charset=utf-8"), ("Content-Length", str(len(body))), *headers]
    )
    return Response(status.value, status.phrase, all_headers, body)


def offered_subprotocols(request: Request) -> list[str]:
    return [
        p.strip() for value in request.headers.get_all("Sec-WebSocket-Protocol") for p in value.split(",")
    ]


def _peer_certificate(connection: ServerConnection) -> bytes | None:
    ssl_object = connection.transport.get_extra_info("ssl_object")
    if ssl_object is None:
        return None
    der: bytes | None = ssl_object.getpeercert(binary_form=True)
    return der


def _peer_address(connection: ServerConnection) -> str:
    peer: Any = connection.transport.get_extra_info("peername")
    return str(peer[0]) if isinstance(peer, tuple) and peer else "unknown"


class _PendingHandshakes:
    """Counts connections still in their opening handshake, in all and per IP address."""

    def __init__(self, limit: int, limit_per_ip: int) -> None:
        self.limit = limit
        self.limit_per_ip = limit_per_ip
        self.count = 0
        self.per_ip: dict[str, int] = {}
        self.dropped = 0

    def enter(self, ip: str) -> bool:
        if self.count >= self.limit or self.per_ip.get(ip, 0) >= self.limit_per_ip:
            self.dropped += 1
            return False
        self.count += 1
        self.per_ip[ip] = self.per_ip.get(ip, 0) + 1
        return True

    def leave(self, ip: str) -> None:
        self.count -= 1
        left = self.per_ip[ip] - 1
        if left:
            self.per_ip[ip] = left
        else:
            del self.per_ip[ip]


async def start_listener(config: ListenerConfig, check: HandshakeCheck, on_session: SessionHandler) -> Server:
    """Start listening; ``on_session(station_id, subprotocol, websocket)`` serves each station."""
    pending = _PendingHandshakes(config.max_pending_handshakes, config.max_pending_handshakes_per_ip)

    class GuardedConnection(ServerConnection):
        """Drops a connection at once when too many others (in all, or from its address) are still
        in their handshake."""

        async def handshake(self, *args: Any, **kwargs: Any) -> None:
            ip = _peer_address(self)
            if not pending.enter(ip):
                self.transport.abort()
                raise ConnectionError("too many pending handshakes")
            try:
                await super().handshake(*args, **kwargs)
            finally:
                pending.leave(ip)

    async def process_request(connection: ServerConnection, request: Request) -> Response | None:
        if request.path.split("?")[0] in ("/health", "/health/"):
            return _reply(HTTPStatus.OK, "ok")
        decision = await check(
            HandshakeRequest(
                path=request.path,
                authorization=request.headers.get_all("Authorization"),
                offered_subprotocols=offered_subprotocols(request),
                peer_address=_peer_address(connection),
                peer_certificate=_peer_certificate(connection),
                listener_profile=config.security_profile,
            )
        )
        if isinstance(decision, Admitted):
            connection.station_id = decision.station_id  # type: ignore[attr-defined]
            return None
        log.info("handshake refused (%d): %s", decision.status, decision.reason)
        if decision.delay > 0:
            await asyncio.sleep(decision.delay)  # a failed login past its free ones: answered late
        challenge = (
            [("WWW-Authenticate", 'Basic realm="OCPP", charset="UTF-8"')] if decision.challenge else []
        )
        return _reply(HTTPStatus(decision.status), decision.reason, challenge)

    def choose_subprotocol(
        connection: ServerConnection, offered: Sequence[Subprotocol]
    ) -> Subprotocol | None:
        chosen = select_subprotocol(offered, config.versions)
        # RFC 6455: echo the client's own spelling of the chosen protocol.
        return next((p for p in offered if p.strip().lower() == chosen), None) if chosen else None

    async def handler(connection: ServerConnection) -> None:
        station_id: str = connection.station_id  # type: ignore[attr-defined]
        subprotocol = connection.subprotocol
        if subprotocol is None:  # process_request already refused such handshakes
            await connection.close(1002, "no OCPP subprotocol")
            return
        # The subprotocol is the client's own spelling (e.g. "OCPP1.6"), matched without case.
        await on_session(station_id, SUBPROTOCOLS[subprotocol.strip().lower()], connection)

    server = await serve(
        handler,
        config.host,
        config.port,
        process_request=process_request,
        select_subprotocol=choose_subprotocol,
        subprotocols=[Subprotocol(v) for v in config.versions],
        compression="deflate",
        max_size=config.max_frame_bytes,
        ping_interval=config.ping_interval,
        ping_timeout=config.ping_timeout,
        open_timeout=config.open_timeout,
        server_header=None,
        ssl=config.ssl,
        create_connection=GuardedConnection,
    )
    server.pending_handshakes = pending  # type: ignore[attr-defined]
    return server
