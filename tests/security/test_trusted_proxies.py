"""Trusted proxies: whose word about the client is believed."""

from __future__ import annotations

import pytest

from opencsms.security.trusted_proxies import TrustedProxies

PROXIES = TrustedProxies.parse("10.0.0.0/8, 192.168.1.7; ::1")


def test_networks_and_single_addresses() -> None:
    assert PROXIES.trusts("10.1.2.3") and PROXIES.trusts("192.168.1.7") and PROXIES.trusts("::1")
    assert not PROXIES.trusts("192.168.1.8") and not PROXIES.trusts("not-an-address")
    assert not TrustedProxies.parse("") and not TrustedProxies().trusts("127.0.0.1")


def test_a_bad_entry_is_refused_with_its_name() -> None:
    with pytest.raises(ValueError, match=r"'10\.0\.0\.300'"):
        TrustedProxies.parse("10.0.0.0/8, 10.0.0.300")


@pytest.mark.parametrize(
    ("peer", "forwarded_for", "client"),
    [
        ("10.0.0.5", ["203.0.113.9"], "203.0.113.9"),
        # The rightmost address that is no proxy: what a client writes itself on the left is ignored.
        ("10.0.0.5", ["6.6.6.6, 203.0.113.9, 10.0.0.4"], "203.0.113.9"),
        ("10.0.0.5", ["6.6.6.6", "203.0.113.9"], "203.0.113.9"),
        ("10.0.0.5", [], "10.0.0.5"),
        ("10.0.0.5", ["garbage"], "10.0.0.5"),
        ("10.0.0.5", ["10.0.0.3, 10.0.0.4"], "10.0.0.3"),  # proxies all the way: the last one
        # An untrusted peer's header is not believed.
        ("203.0.113.50", ["1.2.3.4"], "203.0.113.50"),
    ],
)
def test_the_client_behind_a_trusted_proxy(peer: str, forwarded_for: list[str], client: str) -> None:
    assert PROXIES.client_address(peer, forwarded_for) == client
