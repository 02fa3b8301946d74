"""The OCPP WebSocket listener: handshake checks, then one task per station session.

One listener per security profile (0: plain ws://, 1: ws:// + Basic auth, 2: wss:// + Basic
auth, 3: wss:// + client certificate). Every decision about a handshake is made by the
transport-independent filter chain (:mod:`opencsms.security.handshake`); this module only turns
the HTTP upgrade request into a :class:`HandshakeRequest` and the decision into a response.
The websockets library picks a subprotocol by the server's list order, so the list is given
newest first.

Abuse limits applied here: at most ``max_pending_handshakes`` connections (and
``max_pending_handshakes_per_ip`` from one address) may be waiting for their HTTP upgrade request;
when all slots are taken, a newcomer from an address holding fewer than the busiest address takes
the busiest one's oldest slot (a fair share: a few addresses cannot starve the others). A request
that has not fully arrived within ``request_timeout`` (a slowloris trickle) is dropped, and the
whole handshake, TLS included, must end within ``open_timeout``.

Behind trusted proxies (``trusted_proxies``), a listener with ``proxy="protocol"`` reads a PROXY
protocol header (v1 or v2) from each trusted peer, and one with ``proxy="http"`` the
``X-Forwarded-For`` header; the address so named is the one every limit and security event uses.
A ``proxy="http"`` listener of profile 2 or 3 has TLS terminated by the proxy, and profile 3
reads the client certificate from ``client_cert_header``, believed only from a trusted peer.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import logging
import ssl
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any
from urllib.parse import unquote

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.datastructures import Headers
from websockets.http11 import Request, Response
from websockets.typing import Subprotocol

from opencsms.ocppj import SUBPROTOCOLS, select_subprotocol
from opencsms.security.handshake import Admitted, HandshakeDecision, HandshakeRequest
from opencsms.security.trusted_proxies import TrustedProxies
from opencsms.transport.proxy_protocol import ProxyProtocolError, parse_proxy_header

log = logging.getLogger(__name__)

HandshakeCheck = Callable[[HandshakeRequest], Awaitable[HandshakeDecision]]
SessionHandler = Callable[[str, str, ServerConnection], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class ListenerConfig:
    host: str = "127.0.0.1"
    port: int = 9000
    versions: tuple[str, ...] = tuple(SUBPROTOCOLS)  # subprotocol names, newest first
    max_frame_bytes: int = 256 * 1024
    ping_interval: float | None = 30.0
    ping_timeout: float | None = 30.0
    open_timeout: float = 10.0
    #: Seconds the HTTP upgrade request may take to arrive (a trickling one is dropped).
    request_timeout: float = 5.0
    #: OCPP security profile of this listener (0-3); 2 and 3 need ``ssl`` unless a proxy ends TLS.
    security_profile: int = 0
    ssl: ssl.SSLContext | None = None
    max_pending_handshakes: int = 1000
    max_pending_handshakes_per_ip: int = 100
    #: "" (no proxy), "protocol" (PROXY protocol v1/v2) or "http" (X-Forwarded-For, TLS ended at
    #: the proxy); believed only from ``trusted_proxies``.
    proxy: str = ""
    trusted_proxies: TrustedProxies = field(default_factory=TrustedProxies)
    #: With ``proxy="http"`` at profile 3: the header carrying the client certificate (PEM, plain
    #: or URL-encoded as nginx's $ssl_client_escaped_cert; or base64 DER as HAProxy's ssl_c_der).
    client_cert_header: str = "X-Client-Cert"


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


def _forwarded_certificate(values: Sequence[str]) -> bytes | None:
    """The client certificate (DER) a TLS-terminating proxy put in a header: PEM, plain or
    URL-encoded (nginx ``$ssl_client_escaped_cert``), or base64 DER (HAProxy ``ssl_c_der,base64``);
    None when absent, repeated or unreadable."""
    if len(values) != 1 or not values[0].strip():
        return None
    text = unquote(values[0].strip())
    try:
        if "-----BEGIN" in text:
            # Some proxies fold the PEM onto one line: put the base64 body back on lines of its own.
            body = text.split("-----")[2]
            pem = "-----BEGIN CERTIFICATE-----\n" + "\n".join(body.split()) + "\n-----END CERTIFICATE-----\n"
            return x509.load_pem_x509_certificate(pem.encode()).public_bytes(serialization.Encoding.DER)
        der = base64.b64decode("".join(text.split()), validate=True)
        x509.load_der_x509_certificate(der)
        return der
    except (ValueError, IndexError, binascii.Error):
        return None


def _peer_address(connection: ServerConnection) -> str:
    peer: Any = connection.transport.get_extra_info("peername")
    return str(peer[0]) if isinstance(peer, tuple) and peer else "unknown"


class _PendingHandshakes:
    """Connections waiting for their HTTP upgrade request, in all and per client address."""

    def __init__(self, limit: int, limit_per_ip: int) -> None:
        self.limit = limit
        self.limit_per_ip = limit_per_ip
        self.count = 0
        #: Per address, its waiting connections, oldest first.
        self.per_ip: dict[str, dict[ServerConnection, None]] = {}
        self.dropped = 0
        #: Slots taken from the busiest address for a newcomer from a less busy one.
        self.evicted = 0
        #: Connections dropped because their request trickled in too slowly.
        self.timed_out = 0

    def held(self, ip: str) -> int:
        return len(self.per_ip.get(ip, ()))

    def enter(self, ip: str, connection: ServerConnection, *, capped: bool = True) -> bool:
        """Take a slot for ``connection`` from ``ip`` (``capped``: within the per-address limit)."""
        held = self.held(ip)
        if capped and held >= self.limit_per_ip:
            self.dropped += 1
            return False
        if self.count >= self.limit:
            # Full: the address holding the most gives up its oldest slot, if it holds more
            # than this one would. Only when full, so the scan is rare.
            busiest = max(self.per_ip, key=lambda key: len(self.per_ip[key]))
            if len(self.per_ip[busiest]) <= held + 1:
                self.dropped += 1
                return False
            victim = next(iter(self.per_ip[busiest]))
            self.leave(busiest, victim)
            victim.transport.abort()
            self.evicted += 1
        self.count += 1
        self.per_ip.setdefault(ip, {})[connection] = None
        return True

    def leave(self, ip: str, connection: ServerConnection) -> bool:
        """Free the connection's slot; False if it held none (already freed)."""
        waiting = self.per_ip.get(ip)
        if waiting is None or waiting.pop(connection, 0) is not None:
            return False
        self.count -= 1
        if not waiting:
            del self.per_ip[ip]
        return True


async def start_listener(config: ListenerConfig, check: HandshakeCheck, on_session: SessionHandler) -> Server:
    """Start listening; ``on_session(station_id, subprotocol, websocket)`` serves each station."""
    pending = _PendingHandshakes(config.max_pending_handshakes, config.max_pending_handshakes_per_ip)
    trusted = config.trusted_proxies

    class GuardedConnection(ServerConnection):
        """Admits a connection to the pending handshakes (by the client address, which a trusted
        proxy names in a PROXY protocol header), and drops it when its request trickles in."""

        client_address = "unknown"
        _waiting_for_proxy_header = False
        _proxy_buffer = b""
        _refused = False
        _request_timer: asyncio.TimerHandle | None = None

        def connection_made(self, transport: asyncio.BaseTransport) -> None:
            super().connection_made(transport)
            self.client_address = _peer_address(self)
            self._request_timer = self.loop.call_later(config.request_timeout, self._request_too_slow)
            proxied = trusted.trusts(self.client_address)
            if config.proxy == "protocol" and proxied:
                self._waiting_for_proxy_header = True  # admitted once the header names the client
            # An HTTP proxy speaks for many clients, named only in its requests' headers.
            elif not pending.enter(
                self.client_address, self, capped=not (proxied and config.proxy == "http")
            ):
                self._refuse()

        def data_received(self, data: bytes) -> None:
            if not self._waiting_for_proxy_header:
                super().data_received(data)
                return
            self._proxy_buffer += data
            try:
                header = parse_proxy_header(self._proxy_buffer)
            except ProxyProtocolError as exc:
                log.info("%s: %s", self.client_address, exc)
                self._refuse()
                return
            if header is None:
                return
            rest = self._proxy_buffer[header.length :]
            self._waiting_for_proxy_header = False
            self._proxy_buffer = b""
            if header.source is not None:
                self.client_address = header.source
            if not pending.enter(self.client_address, self):
                self._refuse()
                return
            if rest:
                super().data_received(rest)

        def _refuse(self) -> None:
            self._refused = True
            self.transport.abort()

        def _request_too_slow(self) -> None:
            if self._waiting_for_proxy_header or pending.leave(self.client_address, self):
                pending.timed_out += 1
                self.transport.abort()

        def request_arrived(self) -> None:
            """The upgrade request is in: its slot is free for the next connection."""
            if self._request_timer is not None:
                self._request_timer.cancel()
            pending.leave(self.client_address, self)

        async def handshake(self, *args: Any, **kwargs: Any) -> None:
            if self._refused:
                raise ConnectionError("too many pending handshakes")
            try:
                await super().handshake(*args, **kwargs)
            finally:
                self.request_arrived()

    async def process_request(connection: ServerConnection, request: Request) -> Response | None:
        guarded: GuardedConnection = connection  # type: ignore[assignment]
        guarded.request_arrived()
        if request.path.split("?")[0] in ("/health", "/health/"):
            return _reply(HTTPStatus.OK, "ok")
        client = guarded.client_address
        certificate = _peer_certificate(connection)
        if config.proxy == "http" and trusted.trusts(client):
            if config.security_profile == 3:
                certificate = _forwarded_certificate(request.headers.get_all(config.client_cert_header))
            client = trusted.client_address(client, request.headers.get_all("X-Forwarded-For"))
            guarded.client_address = client
        decision = await check(
            HandshakeRequest(
                path=request.path,
                authorization=request.headers.get_all("Authorization"),
                offered_subprotocols=offered_subprotocols(request),
                peer_address=client,
                peer_certificate=certificate,
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
