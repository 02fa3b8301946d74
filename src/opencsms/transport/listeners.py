"""The list of OCPP listeners from the settings: port, security profile, TLS material.

``Settings.listeners`` is ``"<port> profile=<0-3> [cert=<pem>] [key=<pem>] [ca=<pem>]
[proxy=protocol|http]"`` entries separated by ``;``. Profiles 2 and 3 need a certificate and key
(``cert``/``key``, else the ``tls_cert_file``/``tls_key_file`` settings); profile 3 also the CAs
client certificates must chain to (``ca``, else ``tls_client_ca_file``, else the CSMS CA's
certificate). Behind a proxy TLS ends at the proxy, so such a listener has no TLS of its own:
``proxy=protocol``, trusted proxies (TCP, e.g. HAProxy ``mode tcp``) send a PROXY protocol header
(profiles 0-2); ``proxy=http``, trusted proxies are HTTP reverse proxies naming the client in
``X-Forwarded-For``, and profile 3 reads the client certificate from a header.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from opencsms.security.tls import server_context
from opencsms.transport.server import ListenerConfig


class ListenerSpecError(ValueError):
    """The listener list is malformed or a TLS listener lacks its material."""


@dataclass(frozen=True, slots=True)
class ListenerSpec:
    port: int
    profile: int = 0
    cert: str = ""
    key: str = ""
    ca: str = ""
    proxy: str = ""


def parse_listeners(text: str) -> list[ListenerSpec]:
    """Raises ListenerSpecError: an entry is malformed."""
    specs: list[ListenerSpec] = []
    for entry in filter(None, (part.strip() for part in text.split(";"))):
        port_text, *options = entry.split()
        try:
            values: dict[str, str] = dict(option.split("=", 1) for option in options)
        except ValueError:
            raise ListenerSpecError(f"listener {entry!r}: options are name=value") from None
        unknown = set(values) - {"profile", "cert", "key", "ca", "proxy"}
        if unknown:
            raise ListenerSpecError(f"listener {entry!r}: unknown option(s) {', '.join(sorted(unknown))}")
        try:
            spec = ListenerSpec(int(port_text), int(values.pop("profile", "0")), **values)
        except ValueError:
            raise ListenerSpecError(f"listener {entry!r}: port and profile are numbers") from None
        if not 0 <= spec.profile <= 3:
            raise ListenerSpecError(f"listener {entry!r}: profile is 0-3")
        if spec.proxy not in ("", "protocol", "http"):
            raise ListenerSpecError(f"listener {entry!r}: proxy is protocol or http")
        if spec.proxy == "protocol" and spec.profile == 3:
            # The PROXY header comes before any TLS; a proxy ending TLS passes no certificate in it.
            raise ListenerSpecError(
                f"listener {entry!r}: profile 3 behind a proxy needs proxy=http (the certificate in a header)"
            )
        specs.append(spec)
    return specs


def build_listener_configs(
    specs: list[ListenerSpec],
    base: ListenerConfig,
    *,
    default_cert: str = "",
    default_key: str = "",
    default_client_ca: str = "",
) -> list[ListenerConfig]:
    """One :class:`ListenerConfig` per spec, ``base`` giving everything but port, profile, TLS.

    Raises:
        ListenerSpecError: a TLS listener has no certificate, key or (profile 3) client CA.
        OSError, ssl.SSLError: a TLS file cannot be loaded.
    """
    configs = []
    for spec in specs:
        context = None
        # Behind a proxy, TLS ends at the proxy: the PROXY header comes before any TLS bytes.
        if spec.profile >= 2 and not spec.proxy:
            cert, key = spec.cert or default_cert, spec.key or default_key
            if not cert or not key:
                raise ListenerSpecError(
                    f"port {spec.port}: profile {spec.profile} needs a certificate and key"
                )
            client_ca = None
            if spec.profile == 3:
                client_ca = spec.ca or default_client_ca
                if not client_ca:
                    raise ListenerSpecError(f"port {spec.port}: profile 3 needs the client CA (ca=...)")
            context = server_context(cert, key, client_ca_file=client_ca)
        configs.append(
            replace(base, port=spec.port, security_profile=spec.profile, ssl=context, proxy=spec.proxy)
        )
    return configs
