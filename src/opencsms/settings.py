"""Every setting of opencsms in one place: defaults, a TOML config file, OPENCSMS_* environment variables."""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Mapping


@dataclass(frozen=True, slots=True)
class Settings:
    #: OCPP WebSocket listener: loopback only until configured (0.0.0.0 or an interface's address
    #: opens it to stations elsewhere; see the README's "Opening it up").
    ocpp_host: str = "127.0.0.1"
    ocpp_port: int = 9000
    #: HTTP: API, command endpoint, health, dashboard.
    http_host: str = "127.0.0.1"
    http_port: int = 8000
    #: SQLAlchemy URL; SQLite by default, ``postgresql+asyncpg://...`` for PostgreSQL.
    database_url: str = "sqlite+aiosqlite:///var/opencsms.db"
    #: Empty: one node, events stay in the process. ``nats://host:4222``: nodes sharing this NATS
    #: (and one PostgreSQL) form a cluster: events reach every node, commands the station's node.
    bus_url: str = ""
    #: NATS subject prefix; nodes with the same prefix are one cluster.
    bus_prefix: str = "opencsms"
    #: This node's name in the cluster; "" = host name and process id.
    node_id: str = ""
    #: What happens to a station nobody registered: accept, pending or reject.
    registration_policy: str = "accept"
    heartbeat_interval: int = 300
    #: How long a command waits for the station's answer, in seconds.
    call_timeout: float = 30.0
    max_frame_bytes: int = 256 * 1024
    #: WebSocket ping interval and timeout (detects half-open sockets), seconds; 0 disables.
    ping_interval: float = 30.0
    ping_timeout: float = 30.0
    log_level: str = "INFO"
    #: "text" or "json" (one object a line with station_id, message_id, request_id, node).
    log_format: str = "text"
    #: A warning that repeats (same logger and message) is written once per this many seconds,
    #: the next line saying how many were held back; 0 writes every one.
    log_repeat_interval: float = 10.0
    #: Signs the cookie of an OpenID Connect login in progress; random per start when empty. In a
    #: cluster, the same on every node (a login may start on one node and finish on another).
    session_secret: str = ""
    #: How long a dashboard login session lasts, seconds.
    session_ttl: int = 12 * 3600
    #: OpenID Connect login for the dashboard (docs/security.md): the provider's issuer URL turns
    #: it on; the client registered there; the claim (a dotted path) that carries the role, and
    #: how its values map to roles ("admin=csms-admins; operator=ops,field"; empty: values that
    #: name a role); the role of a login whose claim maps to none ("" refuses it); the claim that
    #: names the user; the callback URL as the provider reaches it (default: this server's own).
    oidc_issuer: str = ""
    oidc_client_id: str = ""
    oidc_client_secret: str = ""
    oidc_scopes: str = "openid profile email"
    oidc_role_claim: str = "opencsms_role"
    oidc_roles: str = ""
    oidc_default_role: str = ""
    oidc_username_claim: str = "preferred_username"
    oidc_redirect_url: str = ""
    #: Security (docs/security.md). The listener on ocpp_port has this OCPP security profile (0-3);
    #: ``listeners`` replaces it with a list, e.g. "9000 profile=1; 9443 profile=2; 9444 profile=3".
    ocpp_security_profile: int = 0
    listeners: str = ""
    #: Station URL prefixes per security profile as stations reach them (behind a proxy or NAT),
    #: e.g. "2=wss://csms.example.com/ocpp; 3=wss://csms.example.com:9444/ocpp": sent to a 2.x
    #: station moved up to that profile. Default: the listener's own address.
    public_ocpp_urls: str = ""
    #: TLS material for profile 2 and 3 listeners that name none of their own (PEM files).
    tls_cert_file: str = ""
    tls_key_file: str = ""
    #: CAs that client certificates must chain to (profile 3); default: the CSMS CA's certificate.
    tls_client_ca_file: str = ""
    #: The CSMS-managed CA that signs station CSRs (created on first use); "" = var/ca.
    ca_dir: str = ""
    #: An external signing CA instead (PEM certificate and unencrypted key files).
    ca_cert_file: str = ""
    ca_key_file: str = ""
    #: Station certificates: days they are valid, days before the end a renewal is asked for.
    certificate_validity_days: int = 365
    certificate_renewal_days: int = 30
    #: Abuse limits; 0 disables a rate limit.
    connections_per_ip: float = 20.0
    connection_burst_per_ip: float = 200.0
    #: Failed logins are never locked out, only answered late: past this many failures of one
    #: (station id, address) pair, or of one address, within the window (seconds), each further
    #: failure waits failed_login_delay seconds, doubling, at most failed_login_max_delay.
    failed_logins_per_station: int = 10
    failed_logins_per_ip: int = 30
    failed_login_window: float = 300.0
    failed_login_delay: float = 1.0
    failed_login_max_delay: float = 5.0
    #: A station's message budget, kept across its reconnects; over it, the socket closes with
    #: 1008 and the station's reconnects are refused for station_message_cooldown seconds,
    #: doubling each time it happens again, at most station_message_max_cooldown.
    station_message_rate: float = 50.0
    station_message_burst: float = 500.0
    station_message_cooldown: float = 10.0
    station_message_max_cooldown: float = 300.0
    #: Storage quotas per station (0: none); over one, a StorageQuotaExceeded security event
    #: (on the event stream and to webhooks). Sampled values in one meter value message (more:
    #: OccurrenceConstraintViolation); sampled values a day naming no known transaction (more
    #: are acknowledged and not kept); bytes of frames in the message log a day (more: not logged).
    max_sampled_values_per_message: int = 5000
    max_orphan_sampled_values_per_day: int = 100_000
    max_message_log_bytes_per_station_day: int = 50_000_000
    max_pending_handshakes: int = 1000
    max_pending_handshakes_per_ip: int = 100
    handshake_timeout: float = 10.0
    #: Seconds a connection may take to send its whole HTTP upgrade request (slowloris).
    handshake_request_timeout: float = 5.0
    #: Networks of proxies believed when they name the client (PROXY protocol on listeners with
    #: proxy=protocol, X-Forwarded-For on the HTTP port and on listeners with proxy=http), e.g.
    #: "10.0.0.0/8, 192.168.1.7". Empty: nobody's word is taken, every peer is its own client.
    trusted_proxies: str = ""
    #: The header in which a TLS-terminating proxy passes the client certificate (profile 3).
    proxy_client_cert_header: str = "X-Client-Cert"
    #: How long a connected station gets to answer a ping when another connection claims its id.
    takeover_ping_timeout: float = 5.0
    #: In a cluster, how often (seconds) a node looks for gone nodes and marks their stations
    #: disconnected; 0 turns it off.
    node_sweep_interval: float = 30.0
    #: Seconds between writes of the stations' last_seen, which every message they send moves (in
    #: memory; a heartbeat and a disconnect also write it; 0: only they do).
    last_seen_flush_interval: float = 10.0
    #: Days the raw OCPP message log keeps frames; 0 turns the log off.
    message_log_retention_days: float = 7.0
    #: Days meter samples are kept (those of a running transaction stay); 0 keeps them forever.
    meter_sample_retention_days: float = 0.0
    #: Days connector status history and security events are kept; 0 keeps them forever.
    event_retention_days: float = 0.0
    #: Seconds between retention purges (meter samples, events; the message log purges hourly).
    retention_purge_interval: float = 3600.0
    #: Webhook deliveries: attempts before giving up, and the first retry delay (then doubling), seconds.
    webhook_max_attempts: int = 8
    webhook_backoff: float = 1.0
    #: Seconds between the load manager's looks at time-varying site limits and price plans.
    load_manager_tick: float = 1.0
    #: Seconds a station has after a BootNotification to send the stops it owes; then its
    #: transactions still open from before the boot end as inferred (ADR 0017). 0 turns it off.
    boot_stop_grace: float = 120.0
    #: Billing (docs/billing.md): the IANA time zone a tariff's local times are read in unless
    #: it names its own; the running cost of a session is recomputed at most this often, seconds;
    #: 0 turns costing off (no running cost, no CDRs).
    billing_time_zone: str = "UTC"
    billing_interval: float = 15.0
    #: Seconds between running costs sent to a station's display (2.0.1 CostUpdated; 1.6
    #: California Pricing RunningCost where the station declares it); 0 sends none.
    cost_display_interval: float = 60.0
    #: Graceful drain on SIGTERM: /ready answers 503, the OCPP listeners stop accepting, and the
    #: station sockets close with 1001 (going away) one after another over this many seconds, so
    #: the other nodes behind the load balancer take the stations over without a reconnect storm;
    #: then in-flight writes finish and the process exits 0. 0 closes them all at once.
    drain_window: float = 10.0
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def public_ocpp_url_map(self) -> dict[int, str]:
        """``public_ocpp_urls`` by profile.

        Raises:
            ValueError: an entry is not ``profile=url``.
        """
        urls: dict[int, str] = {}
        for entry in filter(None, (part.strip() for part in self.public_ocpp_urls.split(";"))):
            profile, equals, url = entry.partition("=")
            if not equals or not profile.strip().isdigit() or not url.strip():
                raise ValueError(f"OPENCSMS_PUBLIC_OCPP_URLS: {entry!r} is not profile=url")
            urls[int(profile)] = url.strip()
        return urls

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
        """Defaults, then the TOML file named by OPENCSMS_CONFIG_FILE (if any), then
        OPENCSMS_<FIELD> variables, then ``overrides`` (None values ignored).

        Raises:
            ValueError: a variable does not convert to its field's type, or the config file is
                unreadable, not TOML, has keys no setting has (named) or values of the wrong type.
        """
        env = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        config_file = env.get(CONFIG_FILE_VARIABLE, "")
        if config_file:
            values.update(read_config_file(config_file))
        for name, kind in _field_types().items():
            raw = env.get(f"OPENCSMS_{name.upper()}")
            if raw is not None:
                try:
                    values[name] = kind(raw)
                except ValueError as exc:
                    raise ValueError(f"OPENCSMS_{name.upper()}={raw!r}: {exc}") from None
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)

    def sources(self, environ: Mapping[str, str] | None = None) -> dict[str, str]:
        """Where each setting's value comes from: "default", "file" or the variable's name (for
        ``opencsms config show``); values given as overrides show as "command line"."""
        env = os.environ if environ is None else environ
        in_file: dict[str, Any] = {}
        if env.get(CONFIG_FILE_VARIABLE):
            in_file = read_config_file(env[CONFIG_FILE_VARIABLE])
        defaults = Settings()
        sources: dict[str, str] = {}
        for name in _field_types():
            variable = f"OPENCSMS_{name.upper()}"
            if variable in env:
                sources[name] = variable
            elif name in in_file:
                sources[name] = "file"
            elif getattr(self, name) == getattr(defaults, name):
                sources[name] = "default"
            else:
                sources[name] = "command line"
        return sources


#: The variable naming a TOML config file (``opencsms --config FILE`` sets it).
CONFIG_FILE_VARIABLE = "OPENCSMS_CONFIG_FILE"
#: Settings whose values ``opencsms config show`` masks.
SECRET_SETTINGS = frozenset({"session_secret", "oidc_client_secret"})


def _field_types() -> dict[str, type]:
    # Every field but extra has a plain default, whose type is the field's.
    return {f.name: type(f.default) for f in dataclasses.fields(Settings) if f.name != "extra"}


def read_config_file(path: str) -> dict[str, Any]:
    """The settings in the TOML file at ``path``: top-level keys named as the settings are, in
    lower case (``ocpp_port = 9000``), equivalent to the OPENCSMS_* variables.

    Raises:
        ValueError: the file is unreadable or not TOML, a key names no setting (every such key is
            named), or a value has the wrong type.
    """
    import tomllib

    try:
        with open(path, "rb") as file:
            document = tomllib.load(file)
    except OSError as exc:
        raise ValueError(f"config file {path}: cannot read it ({exc.strerror})") from None
    except tomllib.TOMLDecodeError as exc:
        raise ValueError(f"config file {path}: not valid TOML ({exc})") from None
    types = _field_types()
    unknown = sorted(key for key in document if key not in types)
    if unknown:
        raise ValueError(f"config file {path}: unknown setting(s) {', '.join(unknown)}")
    values: dict[str, Any] = {}
    for key, value in document.items():
        kind = types[key]
        if kind is float and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        if type(value) is not kind:
            expected = {int: "an integer", float: "a number", str: "a string"}.get(kind, kind.__name__)
            raise ValueError(f"config file {path}: {key} must be {expected}, not {value!r}")
        values[key] = value
    return values


def masked(name: str, value: Any) -> Any:
    """``value`` as ``opencsms config show`` prints it: secrets and URL passwords hidden."""
    if name in SECRET_SETTINGS:
        return "***" if value else ""
    if isinstance(value, str) and "://" in value:
        scheme, _, rest = value.partition("://")
        credentials, at, host = rest.rpartition("@")
        if at and ":" in credentials:
            return f"{scheme}://{credentials.partition(':')[0]}:***@{host}"
    return value
