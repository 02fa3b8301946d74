"""One node of several: the NATS connection, the cluster-wide bus, command routing, presence.

Imported only when ``bus_url`` is set, so a single node never loads the NATS client.

Presence: every node answers on ``<prefix>.node.<node id>``. A node that died took its
subscription with its connection, so NATS answers "no responders" for it; its stations, which it
could not mark disconnected, are then marked so by the others (:class:`GoneNodeSweeper`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
import socket
from dataclasses import dataclass, field

from nats.aio.client import Client
from nats.aio.msg import Msg
from nats.aio.subscription import Subscription
from nats.errors import Error as NatsError
from nats.errors import NoRespondersError

from opencsms.bus.nats_bus import NatsBus, connect
from opencsms.bus.nats_routing import LocalStations, NatsStationRouter, subject_token
from opencsms.domain.stations import StationService
from opencsms.settings import Settings

log = logging.getLogger(__name__)


def default_node_id() -> str:
    return f"{socket.gethostname()}-{os.getpid()}-{secrets.token_hex(2)}"


@dataclass
class Cluster:
    node_id: str
    prefix: str
    connection: Client
    bus: NatsBus
    router: NatsStationRouter | None = None
    _presence: Subscription | None = field(default=None, repr=False)
    sweeper: GoneNodeSweeper | None = None

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
            cluster = cls(node_id, settings.bus_prefix, connection, bus)
            cluster._presence = await connection.subscribe(
                node_subject(settings.bus_prefix, node_id), cb=_answer_presence
            )
        except BaseException:
            await connection.close()
            raise
        return cluster

    async def node_alive(self, node_id: str, timeout: float = 2.0) -> bool | None:
        """Whether ``node_id`` is up: False when NATS knows no such node (it is gone), None when
        that cannot be told now (no answer in time, NATS unreachable)."""
        try:
            await self.connection.request(node_subject(self.prefix, node_id), b"", timeout=timeout)
        except NoRespondersError:
            return False
        except (TimeoutError, NatsError):
            return None
        return True

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

    def sweep_gone_nodes(self, stations: StationService, interval: float) -> GoneNodeSweeper:
        """Start marking disconnected, every ``interval`` seconds, the stations of gone nodes."""
        self.sweeper = GoneNodeSweeper(self, stations, interval)
        self.sweeper.start()
        return self.sweeper

    async def close(self) -> None:
        if self.sweeper is not None:
            await self.sweeper.close()
        if self._presence is not None:
            with contextlib.suppress(Exception):
                await self._presence.unsubscribe()
        if self.router is not None:
            await self.router.close()
        await self.bus.aclose()
        with contextlib.suppress(Exception):
            await self.connection.drain()
        with contextlib.suppress(Exception):
            await self.connection.close()


def node_subject(prefix: str, node_id: str) -> str:
    return f"{prefix}.node.{subject_token(node_id)}"


async def _answer_presence(message: Msg) -> None:
    with contextlib.suppress(NatsError):
        await message.respond(b"up")


class GoneNodeSweeper:
    """Marks disconnected the stations of nodes that are gone, every ``interval`` seconds.

    Every node sweeps; marking is idempotent. Only a node NATS reports as absent on two sweeps in
    a row is swept: one that does not answer in time may be busy, and one that lost its NATS
    connection for a moment (its subscriptions come back when the client reconnects) still holds
    its stations.
    """

    def __init__(self, cluster: Cluster, stations: StationService, interval: float) -> None:
        self._cluster = cluster
        self._stations = stations
        self._interval = interval
        self._task: asyncio.Task[None] | None = None
        #: Nodes found absent by the previous sweep.
        self._absent: set[str] = set()

    def start(self) -> None:
        if self._task is None and self._interval > 0:
            self._task = asyncio.get_running_loop().create_task(self._run(), name="gone-node-sweeper")

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self._interval)
            try:
                await self.sweep()
            except Exception:
                log.exception("sweeping the stations of gone nodes failed; trying again later")

    async def sweep(self) -> dict[str, list[str]]:
        """One pass: the gone nodes found, each with the stations marked disconnected."""
        swept: dict[str, list[str]] = {}
        absent = set()
        for node in await self._stations.nodes_holding_connections():
            if await self._cluster.node_alive(node) is not False:
                continue
            if node not in self._absent:
                absent.add(node)  # once more next time before its stations are let go
                continue
            swept[node] = await self._stations.forget_node(node)
            log.warning("node %s is gone: %d of its stations marked disconnected", node, len(swept[node]))
        self._absent = absent
        return swept

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
