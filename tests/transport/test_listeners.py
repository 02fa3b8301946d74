"""The listener list: proxies in front of listeners end TLS themselves."""

from __future__ import annotations

import pytest

from opencsms.transport.listeners import ListenerSpecError, build_listener_configs, parse_listeners
from opencsms.transport.server import ListenerConfig


def test_listeners_behind_a_proxy_have_no_tls_of_their_own() -> None:
    specs = parse_listeners(
        "9000 profile=1 proxy=protocol; 9443 profile=2 proxy=protocol; 9444 profile=3 proxy=http"
    )
    configs = build_listener_configs(specs, ListenerConfig())
    assert [(c.port, c.security_profile, c.proxy, c.ssl) for c in configs] == [
        (9000, 1, "protocol", None),
        (9443, 2, "protocol", None),
        (9444, 3, "http", None),
    ]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("9444 profile=3 proxy=protocol", "needs proxy=http"),
        ("9000 profile=0 proxy=socks", "proxy is protocol or http"),
        ("9443 profile=2", "needs a certificate and key"),
    ],
)
def test_bad_proxy_set_ups_are_refused(text: str, message: str) -> None:
    with pytest.raises(ListenerSpecError, match=message):
        build_listener_configs(parse_listeners(text), ListenerConfig())
