"""The PROXY protocol header (HAProxy, versions 1 and 2), sans-I/O.

A load balancer that speaks it sends one header before the connection's own bytes, naming the
client it accepted the connection from. Only a peer from a trusted network may send it (the
listener decides that); this module only reads it.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

V2_SIGNATURE = b"\r\n\r\n\x00\r\nQUIT\n"
_V1_PREFIX = b"PROXY "
_V1_MAX = 107  # the longest v1 line, CRLF included
_V2_FIXED = 16
_V2_MAX_PAYLOAD = 1024  # addresses plus TLVs; real headers are far smaller


class ProxyProtocolError(ValueError):
    """The bytes are not a PROXY protocol header."""


@dataclass(frozen=True, slots=True)
class ProxyHeader:
    #: The client's address, or None when the proxy speaks for itself (v2 LOCAL, v1 UNKNOWN):
    #: then the connection's own peer address stands.
    source: str | None
    #: Bytes the header took; what follows belongs to the connection.
    length: int


def parse_proxy_header(data: bytes) -> ProxyHeader | None:
    """The header at the start of ``data``, or None when more bytes are needed.

    Raises:
        ProxyProtocolError: the data does not start with a valid header.
    """
    if data[: len(V2_SIGNATURE)] == V2_SIGNATURE[: len(data)] and len(data) < _V2_FIXED:
        return None
    if data.startswith(V2_SIGNATURE):
        return _parse_v2(data)
    if data[: len(_V1_PREFIX)] == _V1_PREFIX[: len(data)] and len(data) < len(_V1_PREFIX):
        return None
    if data.startswith(_V1_PREFIX):
        return _parse_v1(data)
    raise ProxyProtocolError("no PROXY protocol header")


def _parse_v1(data: bytes) -> ProxyHeader | None:
    end = data.find(b"\r\n", 0, _V1_MAX)
    if end < 0:
        if len(data) >= _V1_MAX:
            raise ProxyProtocolError("PROXY v1 line too long")
        return None
    parts = data[:end].decode("ascii", "replace").split(" ")
    if len(parts) >= 2 and parts[1] == "UNKNOWN":
        return ProxyHeader(None, end + 2)
    if len(parts) != 6 or parts[1] not in ("TCP4", "TCP6"):
        raise ProxyProtocolError("malformed PROXY v1 line")
    _, family, source, destination, source_port, destination_port = parts
    try:
        address = ipaddress.ip_address(source)
        ipaddress.ip_address(destination)
        ports = int(source_port), int(destination_port)
    except ValueError:
        raise ProxyProtocolError("malformed PROXY v1 addresses") from None
    if address.version != (4 if family == "TCP4" else 6) or not all(0 <= p <= 65535 for p in ports):
        raise ProxyProtocolError("malformed PROXY v1 addresses")
    return ProxyHeader(str(address), end + 2)


def _parse_v2(data: bytes) -> ProxyHeader | None:
    version_command, family, length = data[12], data[13], int.from_bytes(data[14:16], "big")
    if version_command >> 4 != 2 or version_command & 0x0F not in (0, 1):
        raise ProxyProtocolError("unsupported PROXY v2 version or command")
    if length > _V2_MAX_PAYLOAD:
        raise ProxyProtocolError("PROXY v2 header too long")
    total = _V2_FIXED + length
    if len(data) < total:
        return None
    if version_command & 0x0F == 0:  # LOCAL: the proxy's own connection (a health check)
        return ProxyHeader(None, total)
    payload = data[_V2_FIXED:total]
    if family >> 4 == 1 and length >= 12:  # AF_INET
        return ProxyHeader(str(ipaddress.IPv4Address(payload[:4])), total)
    if family >> 4 == 2 and length >= 36:  # AF_INET6
        return ProxyHeader(str(ipaddress.IPv6Address(payload[:16])), total)
    if family >> 4 == 0:  # AF_UNSPEC
        return ProxyHeader(None, total)
    raise ProxyProtocolError("unsupported PROXY v2 address family")


def proxy_header_v1(source: str, destination: str, source_port: int, destination_port: int) -> bytes:
    """A v1 header (for tests and the simulator standing in for a proxy)."""
    family = "TCP4" if ipaddress.ip_address(source).version == 4 else "TCP6"
    return f"PROXY {family} {source} {destination} {source_port} {destination_port}\r\n".encode()


def proxy_header_v2(source: str, destination: str, source_port: int, destination_port: int) -> bytes:
    """A v2 PROXY-command header over TCP."""
    src, dst = ipaddress.ip_address(source), ipaddress.ip_address(destination)
    family = 0x11 if src.version == 4 else 0x21
    payload = src.packed + dst.packed + source_port.to_bytes(2, "big") + destination_port.to_bytes(2, "big")
    return V2_SIGNATURE + bytes([0x21, family]) + len(payload).to_bytes(2, "big") + payload
