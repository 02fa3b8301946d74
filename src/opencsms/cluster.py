"""One node of several: the NATS connection, the cluster-wide bus, command routing.

Imported only when ``bus_url`` is set, so a single node never loads the NATS client.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import socket
from dataclasses import dataclass

from nats.aio.client import Client

from opencsms.bus.nats_bus import NatsBus, connect
from opencsms.bus.nats_routing import LocalStations, NatsStationRouter
from opencsms.settings import Settings


def default_node_id() -> str:
    return f"{socket.gethostname()}-{os.getpid()}-{secrets.token_hex(2)}"


@dataclass
class Cluster:
    node_id: str
    prefix: str
    connection: Client
    bus: NatsBus
    router: NatsStationRouter | None = None

    @classmethod
    async def join(cls, settings: Settings) -> Cluster:
        """Connect to NATS at ``settings.bus_url`` and follow the cluster's events.

        Raises:
            OSError, nats.errors.Error: NATS is unreachable.
        """
        node_id = settings.node_id or default_node_id()
        connection = await connect(settings.bus_url, f"opencsms {node_id}")
        try:
            bus = await NatsBus.start(connection, prefix=settings.bus_prefix, node_id=node_id)
        except BaseException:
            await connection.close()
            raise
        return cls(node_id, settings.bus_prefix, connection, bus)

    def route(self, sessions: LocalStations, settings: Settings) -> NatsStationRouter:
        """Serve this node's stations to the other nodes and reach theirs (see ``SessionManager``)."""
        self.router = NatsStationRouter(
            self.connection,
            sessions,
            prefix=self.prefix,
            node_id=self.node_id,
            call_timeout=settings.call_timeout,
            claim_timeout=settings.takeover_ping_timeout,
        )
        return self.router

    async def close(self) -> None:
        if self.router is not None:
            await self.router.close()
        await self.bus.aclose()
        with contextlib.suppress(Exception):
            await self.connection.drain()
        with contextlib.suppress(Exception):
            await self.connection.close()
