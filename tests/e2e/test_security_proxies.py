"""Attack 7 of the hostile audit and the trusted-proxy set-up, against a real server on 127.0.0.1.

Behind one proxy address, 1,000 stations used to need about a minute to come back after a restart
(20 new connections a second per address). A trusted proxy now names each client (PROXY protocol
v1/v2, or X-Forwarded-For from an HTTP proxy) and every per-address limit applies to the client.
The proxy is 127.0.0.2; other 127.0.0.x addresses are clients or untrusted peers.
"""

from __future__ import annotations

import asyncio
import socket
import urllib.parse
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidHandshake, InvalidStatus

from opencsms.runtime import Runtime
from opencsms.transport.proxy_protocol import proxy_header_v1, proxy_header_v2
from tests.e2e.test_security_basic_auth import wait_events
from tests.e2e.tls_material import make_tls_material

pytestmark = pytest.mark.e2e

PROXY = "127.0.0.2"
STATIONS = 1000


async def through_proxy(url: str, port: int, station_id: str, client: str, version: int = 2) -> int:
    """Connect as a proxy at 127.0.0.2 would for ``client``: the PROXY header, then the handshake."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setblocking(False)
    sock.bind((PROXY, 0))
    await asyncio.get_running_loop().sock_connect(sock, ("127.0.0.1", port))
    make = proxy_header_v2 if version == 2 else proxy_header_v1
    await asyncio.get_running_loop().sock_sendall(sock, make(client, "127.0.0.1", 40000, port))
    return await opened(url, station_id, sock=sock)


async def opened(url: str, station_id: str, **options: Any) -> int:
    """101 when the handshake upgrades, else the HTTP status (-1: the connection was dropped)."""
    try:
        ws = await connect(f"{url}/{station_id}", subprotocols=["ocpp1.6"], open_timeout=30, **options)  # type: ignore[list-item]
    except InvalidStatus as refused:
        return refused.response.status_code
    except (OSError, EOFError, InvalidHandshake):
        return -1
    await ws.close()
    return 101


def client_address(i: int) -> str:
    return f"10.{i // 250}.{i % 250}.{1 + i % 7}"


async def reconnect_all(connect_one: Callable[[int], Any]) -> list[int]:
    statuses: list[int] = []
    for start in range(0, STATIONS, 100):
        statuses += await asyncio.gather(*(connect_one(i) for i in range(start, min(start + 100, STATIONS))))
    return statuses


async def test_a_thousand_stations_behind_a_trusted_proxy_come_back_like_a_thousand_addresses(
    server_factory: Callable[..., Any],
) -> None:
    # The default per-address limits: 20 new connections a second, 200 at once.
    rt: Runtime = await server_factory(listeners="0 profile=0 proxy=protocol", trusted_proxies=PROXY)
    try:
        url, port = rt.url_for_profile(0), rt.listeners[0][2]
        behind_proxy = await reconnect_all(
            lambda i: through_proxy(url, port, f"CP-P{i:04d}", client_address(i), version=1 + i % 2)
        )
        refused_behind_proxy = dict(rt.handshake.refusals)
        pending = rt.listener.pending_handshakes  # type: ignore[attr-defined]
        dropped_behind_proxy = pending.dropped
        # The same stations, each from an address of its own (127.0.1.x ... 127.0.4.x).
        own_addresses = await reconnect_all(
            lambda i: opened(url, f"CP-A{i:04d}", local_addr=(f"127.0.{1 + i // 250}.{1 + i % 250}", 0))
        )
        assert behind_proxy == own_addresses == [101] * STATIONS
        assert refused_behind_proxy == rt.handshake.refusals == {}
        assert dropped_behind_proxy == pending.dropped == 0
    finally:
        await rt.stop()


async def test_without_the_proxy_protocol_one_address_is_one_client(
    server_factory: Callable[..., Any],
) -> None:
    """The contrast: the same reconnect from one address runs into its per-address limit."""
    rt: Runtime = await server_factory()
    try:
        statuses = await reconnect_all(lambda i: opened(rt.ocpp_url, f"CP-{i:04d}", local_addr=(PROXY, 0)))
        assert statuses.count(429) > 0 and rt.handshake.refusals["ip_rate"] == statuses.count(429)
    finally:
        await rt.stop()


async def test_only_trusted_peers_may_name_a_client(server_factory: Callable[..., Any]) -> None:
    rt: Runtime = await server_factory(
        listeners="0 profile=1 proxy=protocol", trusted_proxies=f"{PROXY}/32", failed_logins_per_ip=0
    )
    try:
        url, port = rt.url_for_profile(1), rt.listeners[0][2]
        # A trusted proxy's client: the failed login is recorded against the client's address.
        assert await through_proxy(url, port, "CP-TRUST", "198.51.100.23") == 401
        events = await wait_events(rt, "CP-TRUST")
        assert [e.peer_address for e in events] == ["198.51.100.23"]
        # An untrusted peer sending a PROXY header: not believed, the request is not even HTTP.
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setblocking(False)
        sock.bind(("127.0.0.3", 0))
        await asyncio.get_running_loop().sock_connect(sock, ("127.0.0.1", port))
        await asyncio.get_running_loop().sock_sendall(
            sock, proxy_header_v1("198.51.100.99", "127.0.0.1", 1, port)
        )
        assert await opened(url, "CP-LIAR", sock=sock) in (-1, 400)
        # A trusted proxy that sends garbage instead of a header is dropped.
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setblocking(False)
        sock.bind((PROXY, 0))
        await asyncio.get_running_loop().sock_connect(sock, ("127.0.0.1", port))
        assert await opened(url, "CP-NOHEADER", sock=sock) == -1
        # Untrusted peers connect as themselves and are limited as themselves.
        assert await opened(url, "CP-DIRECT", local_addr=("127.0.0.3", 0)) == 401
        events = await wait_events(rt, "CP-DIRECT")
        assert [e.peer_address for e in events] == ["127.0.0.3"]
    finally:
        await rt.stop()


async def test_profile_3_behind_a_tls_terminating_http_proxy(
    server_factory: Callable[..., Any], tmp_path: Path
) -> None:
    """nginx or HAProxy ends TLS, checks the client certificate and passes it in a header with
    X-Forwarded-For; only a trusted proxy's header is believed."""
    tls = make_tls_material(tmp_path / "tls")
    rt: Runtime = await server_factory(listeners="0 profile=3 proxy=http", trusted_proxies=PROXY)
    try:
        url = rt.url_for_profile(3)
        cert_file, _ = tls.station_files("cp-proxied", "CP-PROXIED")
        pem = cert_file.read_text()
        nginx_style = {"X-Client-Cert": urllib.parse.quote(pem), "X-Forwarded-For": "198.51.100.30"}
        assert await opened(url, "CP-PROXIED", additional_headers=nginx_style, local_addr=(PROXY, 0)) == 101
        # HAProxy style: base64 DER; a certificate of another station is refused (403).
        import base64

        from cryptography import x509
        from cryptography.hazmat.primitives import serialization

        der = x509.load_pem_x509_certificate(pem.encode()).public_bytes(serialization.Encoding.DER)
        haproxy_style = {"X-Client-Cert": base64.b64encode(der).decode(), "X-Forwarded-For": "198.51.100.31"}
        assert await opened(url, "CP-OTHER", additional_headers=haproxy_style, local_addr=(PROXY, 0)) == 403
        assert [e.peer_address for e in await wait_events(rt, "CP-OTHER")] == ["198.51.100.31"]
        # Without a certificate header, or from an untrusted peer, there is no certificate.
        assert await opened(url, "CP-PROXIED", local_addr=(PROXY, 0)) == 401
        assert (
            await opened(url, "CP-PROXIED", additional_headers=nginx_style, local_addr=("127.0.0.3", 0))
            == 401
        )
    finally:
        await rt.stop()
