"""Composition root: settings -> store -> domain -> sessions -> OCPP listener + HTTP API."""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import logging
import socket
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import uvicorn
from websockets.asyncio.server import Server

from opencsms.api.app import create_app
from opencsms.auth import ApiKeyService, LoginSessionService, Role, UserService
from opencsms.auth.oidc import OidcConfig, OidcLogin
from opencsms.billing.service import BillingService
from opencsms.billing.tariff_service import TariffService, check_time_zone
from opencsms.bus import EventBus, InProcessBus
from opencsms.command_queue import CommandQueue
from opencsms.domain.live_transactions import LiveTransactions, publishing_through
from opencsms.domain.model import RegistrationPolicy
from opencsms.domain.security import StoredFailureCounts
from opencsms.domain.services import Domain, utc_now
from opencsms.message_log import MessageLog, open_frame_table
from opencsms.retention import RetentionPolicy, RetentionPurge
from opencsms.security.certificates import CA_CERT_FILE, CertificateAuthority
from opencsms.security.handshake import HandshakeFilterChain, HandshakeLimits, SecurityEvent
from opencsms.security.login_failures import LoginThrottle
from opencsms.security.trusted_proxies import TrustedProxies
from opencsms.sessions import SessionManager
from opencsms.settings import Settings
from opencsms.smart_charging.load_manager import LoadManager
from opencsms.store import Store
from opencsms.transport.listeners import ListenerSpec, build_listener_configs, parse_listeners
from opencsms.transport.server import ListenerConfig, start_listener
from opencsms.webhooks import WebhookService

if TYPE_CHECKING:
    from opencsms.cluster import Cluster

log = logging.getLogger(__name__)


@dataclass
class Runtime:
    """A running opencsms: stop it with :meth:`stop`. Ports are the bound ones (port 0 allowed)."""

    settings: Settings
    store: Store
    domain: Domain
    sessions: SessionManager
    listener: Server
    http: uvicorn.Server
    http_task: asyncio.Task[None]
    ocpp_port: int
    http_port: int
    #: Every OCPP listener with its bound port (the first is ``listener``).
    listeners: list[tuple[ListenerConfig, Server, int]]
    handshake: HandshakeFilterChain
    bus: EventBus
    api_keys: ApiKeyService
    #: The admin key created on first start (no keys in the store yet); None otherwise.
    bootstrap_api_key: str | None = None
    #: Asks stations to renew certificates that end soon.
    certificate_renewals: asyncio.Task[None] | None = None
    command_queue: CommandQueue | None = None
    message_log: MessageLog | None = None
    retention: RetentionPurge | None = None
    webhooks: WebhookService | None = None
    load_manager: LoadManager | None = None
    #: This node's NATS connection when ``bus_url`` makes it one node of several.
    cluster: Cluster | None = None
    #: Ends transactions stations left open across a reboot (OPENCSMS_BOOT_STOP_GRACE).
    boot_sweep: asyncio.Task[None] | None = None
    #: Running costs and CDRs (None when OPENCSMS_BILLING_INTERVAL is 0).
    billing: BillingService | None = None
    #: Writes the stations' last_seen now and then (OPENCSMS_LAST_SEEN_FLUSH_INTERVAL).
    last_seen_writer: asyncio.Task[None] | None = None

    def url_for_profile(self, profile: int) -> str:
        """The station URL prefix of the first listener of security ``profile``.

        Raises:
            LookupError: no listener has that profile.
        """
        for config, _, port in self.listeners:
            if config.security_profile == profile:
                host = "127.0.0.1" if config.host in ("0.0.0.0", "") else config.host
                scheme = "wss" if config.ssl is not None else "ws"
                return f"{scheme}://{host}:{port}/ocpp"
        raise LookupError(f"no listener with security profile {profile}")

    def listener_url(self, profile: int) -> str | None:
        """The public station URL prefix of security ``profile``'s listener, or None when none.

        ``OPENCSMS_PUBLIC_OCPP_URLS`` names them where stations see another host than the bound one.
        """
        public = self.settings.public_ocpp_url_map.get(profile)
        if public:
            return public
        try:
            return self.url_for_profile(profile)
        except LookupError:
            return None

    @property
    def ocpp_url(self) -> str:
        host = "127.0.0.1" if self.settings.ocpp_host in ("0.0.0.0", "") else self.settings.ocpp_host
        return f"ws://{host}:{self.ocpp_port}/ocpp"

    @property
    def http_url(self) -> str:
        host = "127.0.0.1" if self.settings.http_host in ("0.0.0.0", "") else self.settings.http_host
        return f"http://{host}:{self.http_port}"

    async def drain(self, window: float | None = None) -> None:
        """Leave the cluster gracefully, then :meth:`stop`: /ready answers 503, the OCPP listeners
        stop accepting (the load balancer's retry goes to another node), the station sockets close
        with 1001 over ``window`` seconds (default ``settings.drain_window``), and the writes of
        what they sent finish before the store closes."""
        window = self.settings.drain_window if window is None else window
        self.sessions.draining = True
        for _, listener, _ in self.listeners:
            listener.close(close_connections=False)
        log.info("draining: closing %d station connections over %.1f s", len(self.sessions.sessions), window)
        await self.sessions.drain(window)
        await self.stop()

    async def stop(self) -> None:
        if self.certificate_renewals is not None:
            self.certificate_renewals.cancel()
        if self.boot_sweep is not None:
            self.boot_sweep.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.boot_sweep
        if self.load_manager is not None:
            await self.load_manager.close()
        self.bus.close()  # ends live event streams, so the HTTP server can stop
        for _, listener, _ in self.listeners:
            listener.close()
        await self.sessions.close_all()
        for _, listener, _ in self.listeners:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(listener.wait_closed(), 5)
        if self.last_seen_writer is not None:
            self.last_seen_writer.cancel()
        with contextlib.suppress(Exception):
            await self.domain.stations.flush()  # what stations sent until the end
        self.http.should_exit = True
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self.http_task, 5)
        if self.billing is not None:
            await self.billing.close()
        if self.command_queue is not None:
            await self.command_queue.close()
        if self.webhooks is not None:
            await self.webhooks.close()
        if self.message_log is not None:
            await self.message_log.close()
        if self.retention is not None:
            await self.retention.close()
        if self.cluster is not None:
            await self.cluster.close()
        await self.store.close()


async def start(settings: Settings) -> Runtime:
    """Open the store (running migrations), then start the OCPP listeners and the HTTP API.

    Raises:
        ListenerSpecError: ``settings.listeners`` is malformed or a TLS listener lacks its files.
    """
    trusted_proxies = TrustedProxies.parse(settings.trusted_proxies)
    base = ListenerConfig(
        host=settings.ocpp_host,
        port=settings.ocpp_port,
        max_frame_bytes=settings.max_frame_bytes * 4,
        ping_interval=settings.ping_interval or None,
        ping_timeout=settings.ping_timeout or None,
        open_timeout=settings.handshake_timeout,
        max_pending_handshakes=settings.max_pending_handshakes,
        max_pending_handshakes_per_ip=settings.max_pending_handshakes_per_ip,
        request_timeout=settings.handshake_request_timeout,
        trusted_proxies=trusted_proxies,
        client_cert_header=settings.proxy_client_cert_header,
    )
    specs = parse_listeners(settings.listeners) or [
        ListenerSpec(settings.ocpp_port, settings.ocpp_security_profile)
    ]
    oidc = oidc_login(settings)  # a mistake in its settings stops the start before anything runs
    configs = build_listener_configs(
        specs,
        base,
        default_cert=settings.tls_cert_file,
        default_key=settings.tls_key_file,
        default_client_ca=settings.tls_client_ca_file or _managed_ca_cert(settings, specs),
    )
    store = await Store.open(settings.database_url)
    cluster = None
    bus: EventBus
    if settings.bus_url:
        from opencsms.cluster import Cluster  # loads the NATS client only when configured

        try:
            cluster = await Cluster.join(settings)
        except BaseException:
            await store.close()
            raise
        bus = cluster.bus
        log.info("node %s of the cluster %r on %s", cluster.node_id, cluster.prefix, settings.bus_url)
    else:
        bus = InProcessBus()
    live_transactions = LiveTransactions()
    domain = Domain(
        store,
        registration_policy=RegistrationPolicy(settings.registration_policy),
        heartbeat_interval=settings.heartbeat_interval,
        boot_stop_grace=settings.boot_stop_grace,
        on_event=publishing_through(live_transactions, bus.publish),
        wants_event=LiveTransactions.wanted_through(bus.wants),
    )
    # Sessions running across a restart: energy so far counts from where the store does.
    live_transactions.load(await domain.transactions.first_readings_of_running())
    if cluster is not None:
        domain.stations.node_id = cluster.node_id
        # A node starting holds no connection yet: those still recorded under its id (a fixed
        # OPENCSMS_NODE_ID, and a crash) are gone, and no other node would sweep a live node's.
        left = await domain.stations.forget_node(cluster.node_id)
        if left:
            log.info("%d stations were still marked connected to this node: now disconnected", len(left))
        cluster.sweep_gone_nodes(domain.stations, settings.node_sweep_interval)
    else:
        # Alone, this server holds every connection there is: none has survived its previous run,
        # whose disconnects a crash left unrecorded. (Nodes of a cluster cannot know that.)
        stale = await domain.stations.forget_connections()
        if stale:
            log.info("%d stations were still marked connected from the previous run: now disconnected", stale)

    def storage_quota_exceeded(station_id: str, what: str) -> None:
        domain.security.record(station_id, SecurityEvent.STORAGE_QUOTA_EXCEEDED, what)

    domain.transactions.max_values_per_message = settings.max_sampled_values_per_message
    domain.transactions.max_orphan_values_per_day = settings.max_orphan_sampled_values_per_day
    domain.transactions.on_quota = storage_quota_exceeded
    api_keys = ApiKeyService(store)
    users = UserService(store)
    bootstrap_api_key = await _bootstrap_admin_key(api_keys, users)
    sessions = SessionManager(
        domain,
        call_timeout=settings.call_timeout,
        max_frame_bytes=settings.max_frame_bytes,
        takeover_ping_timeout=settings.takeover_ping_timeout,
        message_rate=settings.station_message_rate,
        message_burst=settings.station_message_burst,
        message_cooldown=settings.station_message_cooldown,
        message_max_cooldown=settings.station_message_max_cooldown,
    )
    if cluster is not None:
        sessions.other_nodes = cluster.route(sessions, settings)
    domain.certificates.gateway = sessions
    domain.certificates.ca_loader = lambda: signing_ca(settings)
    domain.certificates.validity_days = settings.certificate_validity_days
    message_log = None
    if settings.message_log_retention_days > 0:
        try:
            frames = await open_frame_table(store)
        except BaseException:
            if cluster is not None:
                await cluster.close()
            await store.close()
            raise
        message_log = MessageLog(frames, retention=timedelta(days=settings.message_log_retention_days))
        message_log.max_bytes_per_station_day = settings.max_message_log_bytes_per_station_day
        message_log.on_quota = storage_quota_exceeded
        message_log.start()
        sessions.frame_recorder = message_log.observer
    command_queue = CommandQueue(store, sessions, bus)
    command_queue.start()
    retention = RetentionPurge(
        store,
        RetentionPolicy.of_days(settings.meter_sample_retention_days, settings.event_retention_days),
        interval=settings.retention_purge_interval,
    )
    retention.start()
    load_manager = LoadManager(
        domain,
        sessions,
        bus,
        tick_seconds=settings.load_manager_tick,
        # In a cluster every node follows every site; each sends limits to the stations it holds.
        holds=sessions.sessions.__contains__ if cluster is not None else None,
    )
    await load_manager.start()
    webhooks = WebhookService(
        store,
        bus,
        max_attempts=settings.webhook_max_attempts,
        backoff_base=settings.webhook_backoff,
        hooks_refresh=2.0 if cluster is not None else 0.0,
    )
    await webhooks.start()
    handshake_limits = HandshakeLimits(
        connections_per_ip_per_second=settings.connections_per_ip,
        connection_burst_per_ip=settings.connection_burst_per_ip,
        failed_logins_per_station=settings.failed_logins_per_station,
        failed_logins_per_ip=settings.failed_logins_per_ip,
        failed_login_window=settings.failed_login_window,
        failed_login_delay=settings.failed_login_delay,
        failed_login_max_delay=settings.failed_login_max_delay,
    )
    handshake = HandshakeFilterChain(
        credentials=domain.security.credentials,
        admit=sessions.admit,
        record=domain.security.record,
        credentials_used=domain.security.credentials_used,
        cooling_down=sessions.cooling_down,
        versions=base.versions,
        limits=handshake_limits,
        # Failed logins are counted in the store: a restart does not reset them, nodes share them.
        throttle=LoginThrottle(
            handshake_limits.throttle_limits(),
            StoredFailureCounts(store, settings.failed_login_window, clock=utc_now),
        ),
    )
    listeners = []
    try:
        for listener_config in configs:
            server = await start_listener(listener_config, handshake.check, sessions.serve)
            listeners.append((listener_config, server, next(iter(server.sockets)).getsockname()[1]))
    except BaseException:
        for _, server, _ in listeners:
            server.close()
        await webhooks.close()
        await command_queue.close()
        await retention.close()
        if message_log is not None:
            await message_log.close()
        if cluster is not None:
            await cluster.close()
        await store.close()
        raise
    listener, ocpp_port = listeners[0][1], listeners[0][2]

    http_socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    http_socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    http_socket.bind((settings.http_host, settings.http_port))
    http_port = http_socket.getsockname()[1]
    app = create_app(
        domain,
        sessions,
        bus=bus,
        api_keys_service=api_keys,
        session_secret=settings.session_secret or None,
        command_queue=command_queue,
        message_log=message_log,
        webhooks_service=webhooks,
        users_service=users,
        login_sessions=LoginSessionService(store, ttl=timedelta(seconds=settings.session_ttl)),
        oidc=oidc,
        oidc_redirect_url=settings.oidc_redirect_url,
    )
    app.state.opencsms.extras["load_manager"] = load_manager
    tariffs = TariffService(store, default_time_zone=check_time_zone(settings.billing_time_zone))
    app.state.opencsms.extras["tariffs"] = tariffs
    billing = None
    if settings.billing_interval > 0:
        billing = BillingService(
            store,
            bus,
            tariffs,
            interval=settings.billing_interval,
            display=sessions,
            display_interval=settings.cost_display_interval,
        )
        await billing.start()
        app.state.opencsms.extras["billing"] = billing
    app.state.opencsms.extras["handshake_refusals"] = handshake.refusals
    config = uvicorn.Config(
        app,
        log_level="warning",
        access_log=False,
        lifespan="off",
        # X-Forwarded-For is believed from the trusted proxies only (uvicorn's own default would
        # believe any local process).
        proxy_headers=bool(trusted_proxies),
        forwarded_allow_ips=[str(network) for network in trusted_proxies.networks],
    )
    http = uvicorn.Server(config)
    http_task = asyncio.get_running_loop().create_task(http.serve(sockets=[http_socket]))
    while not http.started and not http_task.done():  # noqa: ASYNC110 - uvicorn has no startup event
        await asyncio.sleep(0.01)
    for listener_config, _, port in listeners:
        scheme = "wss" if listener_config.ssl is not None else "ws"
        log.info(
            "OCPP on %s://%s:%s/ocpp/{stationId} (security profile %d)",
            scheme,
            settings.ocpp_host,
            port,
            listener_config.security_profile,
        )
    log.info("HTTP on %s:%s", settings.http_host, http_port)
    exposed = not _loopback(settings.ocpp_host) and any(
        config.security_profile == 0 for config, _, _ in listeners
    )
    if exposed and settings.registration_policy == "accept":
        log.warning(
            "OCPP listens on %s without authentication (security profile 0) and accepts every "
            "unknown station id: anyone who reaches it can register stations. Use security profile "
            "1-3 or OPENCSMS_REGISTRATION_POLICY=pending/reject (docs/security.md)",
            settings.ocpp_host,
        )
    renewals = asyncio.get_running_loop().create_task(
        domain.certificates.renew_periodically(
            3600.0, timedelta(days=settings.certificate_renewal_days), sessions.sessions.__contains__
        )
    )
    last_seen_writer = asyncio.get_running_loop().create_task(
        domain.stations.flush_seen_periodically(settings.last_seen_flush_interval), name="last_seen"
    )
    boot_sweep = None
    if settings.boot_stop_grace > 0:
        boot_sweep = asyncio.get_running_loop().create_task(domain.boot_sweep.run(), name="boot sweep")
    runtime = Runtime(
        settings,
        store,
        domain,
        sessions,
        listener,
        http,
        http_task,
        ocpp_port,
        http_port,
        listeners,
        handshake,
        bus,
        api_keys,
        bootstrap_api_key,
        renewals,
        command_queue=command_queue,
        message_log=message_log,
        retention=retention,
        webhooks=webhooks,
        load_manager=load_manager,
        cluster=cluster,
        boot_sweep=boot_sweep,
        billing=billing,
        last_seen_writer=last_seen_writer,
    )
    app.state.opencsms.extras["listener_url"] = runtime.listener_url
    return runtime


async def _bootstrap_admin_key(api_keys: ApiKeyService, users: UserService) -> str | None:
    """On the very first start (no key was ever made), make a user named admin and an admin key
    of theirs, so someone can log in."""
    if await api_keys.count() > 0:
        return None
    try:
        admin = await users.create("admin", Role.ADMIN)
    except ValueError:  # another node made it at the same moment, or it was made by hand
        admin = await users.require("admin")
    try:
        created = await api_keys.create("admin", Role.ADMIN, user_id=admin.id)
    except ValueError:  # another node made it at the same moment
        return None
    log.warning("no API key existed: created a user 'admin' and an admin key named 'admin'")
    return created.key


def oidc_login(settings: Settings) -> OidcLogin | None:
    """The dashboard's OpenID Connect login when ``oidc_issuer`` is set.

    Raises:
        ValueError: the OIDC settings are incomplete or malformed.
    """
    if not settings.oidc_issuer:
        return None
    if not settings.oidc_client_id:
        raise ValueError("OPENCSMS_OIDC_CLIENT_ID: needed with OPENCSMS_OIDC_ISSUER")
    return OidcLogin(
        OidcConfig(
            issuer=settings.oidc_issuer,
            client_id=settings.oidc_client_id,
            client_secret=settings.oidc_client_secret,
            scopes=settings.oidc_scopes,
            role_claim=settings.oidc_role_claim,
            role_map=OidcConfig.parse_role_map(settings.oidc_roles),
            default_role=Role(settings.oidc_default_role) if settings.oidc_default_role else None,
            username_claim=settings.oidc_username_claim,
        )
    )


def _loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


def ca_directory(settings: Settings) -> str:
    """Where the managed CA lives: ``ca_dir``, else var/ca."""
    if settings.ca_dir:
        return settings.ca_dir
    return "var/ca"


def signing_ca(settings: Settings) -> CertificateAuthority:
    """The CA that signs station CSRs: the external one when configured, else the managed one.

    Raises:
        OSError, ValueError: the CA files cannot be read or created.
    """
    if settings.ca_cert_file and settings.ca_key_file:
        return CertificateAuthority.from_files(settings.ca_cert_file, settings.ca_key_file)
    return CertificateAuthority.load_or_create(ca_directory(settings))


def _managed_ca_cert(settings: Settings, specs: list[ListenerSpec]) -> str:
    """The managed CA's certificate file, when a profile 3 listener names no client CA of its own."""
    if not any(spec.profile == 3 and not spec.ca for spec in specs):
        return ""
    if settings.ca_cert_file:
        return settings.ca_cert_file
    CertificateAuthority.load_or_create(ca_directory(settings))
    return str(Path(ca_directory(settings)) / CA_CERT_FILE)
