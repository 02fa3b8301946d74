"""The PROXY protocol header, v1 and v2, without sockets."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from opencsms.transport.proxy_protocol import (
    V2_SIGNATURE,
    ProxyHeader,
    ProxyProtocolError,
    parse_proxy_header,
    proxy_header_v1,
    proxy_header_v2,
)

REQUEST = b"GET /ocpp/CP1 HTTP/1.1\r\n"


@pytest.mark.parametrize(
    ("source", "destination"), [("203.0.113.7", "10.0.0.1"), ("2001:db8::7", "2001:db8::1")]
)
@pytest.mark.parametrize("make", [proxy_header_v1, proxy_header_v2])
def test_a_header_names_the_client_and_leaves_the_request(
    source: str, destination: str, make: object
) -> None:
    header = make(source, destination, 50123, 9000)  # type: ignore[operator]
    assert parse_proxy_header(header + REQUEST) == ProxyHeader(source, len(header))


@pytest.mark.parametrize("make", [proxy_header_v1, proxy_header_v2])
def test_a_header_in_pieces_needs_more_bytes_until_complete(make: object) -> None:
    header = make("203.0.113.7", "10.0.0.1", 1, 2)  # type: ignore[operator]
    for cut in range(1, len(header)):
        assert parse_proxy_header(header[:cut]) is None
    assert parse_proxy_header(header) == ProxyHeader("203.0.113.7", len(header))


def test_the_proxy_speaking_for_itself_names_nobody() -> None:
    assert parse_proxy_header(b"PROXY UNKNOWN\r\n" + REQUEST) == ProxyHeader(None, 15)
    local = V2_SIGNATURE + bytes([0x20, 0x00, 0, 0])
    assert parse_proxy_header(local + REQUEST) == ProxyHeader(None, 16)


@pytest.mark.parametrize(
    "data",
    [
        REQUEST,  # no header at all
        b"PROXY TCP4 1.2.3.4 5.6.7.8 1\r\n",  # a field missing
        b"PROXY TCP4 1.2.3.999 5.6.7.8 1 2\r\n",
        b"PROXY TCP4 2001:db8::1 5.6.7.8 1 2\r\n",  # the family does not match
        b"PROXY TCP4 1.2.3.4 5.6.7.8 1 70000\r\n",
        b"PROXY TCP4 " + b"1" * 120,  # no end of line where one must be
        V2_SIGNATURE + bytes([0x11, 0x11, 0, 12]) + bytes(12),  # version 1 in a v2 header
        V2_SIGNATURE + bytes([0x21, 0x11, 0x40, 0]) + bytes(12),  # far too long
        V2_SIGNATURE + bytes([0x21, 0x31, 0, 4]) + bytes(4),  # AF_UNIX
    ],
)
def test_malformed_headers_are_refused(data: bytes) -> None:
    with pytest.raises(ProxyProtocolError):
        parse_proxy_header(data)


@given(st.binary(max_size=120))
def test_arbitrary_bytes_parse_wait_or_raise(data: bytes) -> None:
    try:
        header = parse_proxy_header(data)
    except ProxyProtocolError:
        return
    assert header is None or 0 < header.length <= len(data)
