"""Which peers may speak for a client: the networks of trusted proxies (``OPENCSMS_TRUSTED_PROXIES``).

Only a peer in one of these networks is believed when it names the client it forwards (a PROXY
protocol header, an ``X-Forwarded-For`` header); anyone else's claim is ignored and its own
address stands. Every per-address limit and every security event uses the address believed.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Sequence
from functools import lru_cache

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


class TrustedProxies:
    """A set of networks; empty trusts nobody."""

    def __init__(self, networks: Iterable[Network] = ()) -> None:
        self.networks = tuple(networks)
        self.trusts = lru_cache(maxsize=4096)(self._trusts)

    @classmethod
    def parse(cls, text: str) -> TrustedProxies:
        """From ``"10.0.0.0/8, 192.168.1.7, ::1"``.

        Raises:
            ValueError: an entry is not an address or network.
        """
        networks = []
        for entry in filter(None, (part.strip() for part in text.replace(";", ",").split(","))):
            try:
                networks.append(ipaddress.ip_network(entry, strict=False))
            except ValueError:
                raise ValueError(
                    f"OPENCSMS_TRUSTED_PROXIES: {entry!r} is not an address or network"
                ) from None
        return cls(networks)

    def __bool__(self) -> bool:
        return bool(self.networks)

    def _trusts(self, address: str) -> bool:
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            return False
        return any(ip in network for network in self.networks)

    def client_address(self, peer: str, forwarded_for: Sequence[str]) -> str:
        """The client behind ``peer`` by ``X-Forwarded-For`` (all its values, in order): walking
        from the right, the first address not a trusted proxy. ``peer`` itself when it is not
        trusted, or when the header names nobody usable."""
        if not self.trusts(peer):
            return peer
        hops = [hop.strip() for value in forwarded_for for hop in value.split(",")]
        client = peer
        for hop in reversed(hops):
            try:
                client = str(ipaddress.ip_address(hop))
            except ValueError:
                break  # a hop that is no address: the chain cannot be followed further
            if not self.trusts(client):
                break
        return client
