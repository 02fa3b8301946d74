"""Composition root: settings -> store -> domain -> sessions -> OCPP listener + HTTP API."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
from dataclasses import dataclass

import uvicorn
from websockets.asyncio.server import Server

from opencsms.api.app import create_app
from opencsms.auth import ApiKeyService, Role
from opencsms.bus import EventBus, InProcessBus
from opencsms.domain.live_transactions import LiveTransactions, publishing_through
from opencsms.domain.model import RegistrationPolicy
from opencsms.domain.services import Domain
from opencsms.sessions import SessionManager
from opencsms.settings import Settings
from opencsms.store import Store
from opencsms.transport.server import ListenerConfig, start_listener

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
    bus: EventBus
    api_keys: ApiKeyService
    #: The admin key created on first start (no keys in the store yet); None otherwise.
    bootstrap_api_key: str | None = None

    @property
    def ocpp_url(self) -> str:
        host = "127.0.0.1" if self.settings.ocpp_host in ("0.0.0.0", "") else self.settings.ocpp_host
        return f"ws://{host}:{self.ocpp_port}/ocpp"

    @property
    def http_url(self) -> str:
        host = "127.0.0.1" if self.settings.http_host in ("0.0.0.0", "") else self.settings.http_host
        return f"http://{host}:{self.http_port}"

    async def stop(self) -> None:
        self.listener.close()
        await self.sessions.close_all()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self.listener.wait_closed(), 5)
        self.http.should_exit = True
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self.http_task, 5)
        await self.store.close()


async def start(settings: Settings) -> Runtime:
    """Open the store (running migrations), then start the OCPP listener and the HTTP API."""
    store = await Store.open(settings.database_url)
    bus = InProcessBus()
    domain = Domain(
        store,
        registration_policy=RegistrationPolicy(settings.registration_policy),
        heartbeat_interval=settings.heartbeat_interval,
        on_event=publishing_through(LiveTransactions(), bus.publish),
    )
    api_keys = ApiKeyService(store)
    bootstrap_api_key = await _bootstrap_admin_key(api_keys)
    sessions = SessionManager(
        domain, call_timeout=settings.call_timeout, max_frame_bytes=settings.max_frame_bytes
    )
    listener = await start_listener(
        ListenerConfig(
            host=settings.ocpp_host,
            port=settings.ocpp_port,
            max_frame_bytes=settings.max_frame_bytes * 4,
            ping_interval=settings.ping_interval or None,
            ping_timeout=settings.ping_timeout or None,
        ),
        sessions.admit,
        sessions.serve,
    )
    ocpp_port = next(iter(listener.sockets)).getsockname()[1]

    http_socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    http_socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    http_socket.bind((settings.http_host, settings.http_port))
    http_port = http_socket.getsockname()[1]
    app = create_app(
        domain, sessions, bus=bus, api_keys_service=api_keys, session_secret=settings.session_secret or None
    )
    config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off")
    http = uvicorn.Server(config)
    http_task = asyncio.get_running_loop().create_task(http.serve(sockets=[http_socket]))
    while not http.started and not http_task.done():  # noqa: ASYNC110 - uvicorn has no startup event
        await asyncio.sleep(0.01)
    log.info(
        "OCPP on ws://%s:%s/ocpp/{stationId}; HTTP on %s:%s",
        settings.ocpp_host,
        ocpp_port,
        settings.http_host,
        http_port,
    )
    return Runtime(
        settings,
        store,
        domain,
        sessions,
        listener,
        http,
        http_task,
        ocpp_port,
        http_port,
        bus,
        api_keys,
        bootstrap_api_key,
    )


async def _bootstrap_admin_key(api_keys: ApiKeyService) -> str | None:
    """On the very first start (no key was ever made), make an admin key so someone can log in."""
    if await api_keys.count() > 0:
        return None
    try:
        created = await api_keys.create("admin", Role.ADMIN)
    except ValueError:  # another node made it at the same moment
        return None
    log.warning("no API key existed: created an admin key named 'admin'")
    return created.key
