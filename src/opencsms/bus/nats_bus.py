"""The NATS bus: events fan out to the subscribers of every node of a cluster.

A node hands each event to its own subscribers at once, exactly as :class:`InProcessBus` does,
then sends it on ``<prefix>.events`` for the other nodes, which hand it to their subscribers
(except ``local_only`` ones). The connection is opened with ``no_echo``: a node never gets its
own events back. Sending is done by a background task from a bounded outbox, so ``publish``
stays synchronous, never blocks a station's session and never raises; while NATS is
unreachable the outbox keeps the newest events and counts the ones it had to drop.

Delivery to other nodes is at most once (core NATS, no JetStream): live consumers (the event
stream, the dashboard, the load manager) want the present, and the consumers that must not
miss an event (webhooks, queued commands) run on the node that published it.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import logging
from typing import Any

import nats
import orjson
from nats.aio.client import Client
from nats.aio.msg import Msg

from opencsms.bus.interface import EventFilter
from opencsms.bus.memory import InProcessBus, MemorySubscription
from opencsms.domain.events import DomainEvent

log = logging.getLogger(__name__)

#: Events kept for sending while NATS is unreachable; the oldest go first.
OUTBOX_SIZE = 100_000


def encode_event(event: DomainEvent, node_id: str) -> bytes:
    return orjson.dumps(
        {"node": node_id, "kind": event.kind, "station_id": event.station_id, "data": event.data}
    )


def decode_event(payload: bytes) -> tuple[str, DomainEvent]:
    """The sending node's id and the event.

    Raises:
        ValueError: ``payload`` is not an encoded event.
    """
    message = orjson.loads(payload)
    if not isinstance(message, dict) or not isinstance(message.get("kind"), str):
        raise ValueError("not an event")
    data = message.get("data")
    event = DomainEvent(
        message["kind"], str(message.get("station_id", "")), data if isinstance(data, dict) else {}
    )
    return str(message.get("node", "")), event


async def connect(url: str, name: str, *, timeout: float = 15.0) -> Client:
    """A NATS connection that, once made, reconnects forever and never receives its own messages.

    Raises:
        OSError: the server did not accept a connection within ``timeout`` seconds.
    """
    shown = url.rsplit("@", 1)[-1]  # no credentials in logs

    async def on_error(exc: Exception) -> None:
        log.debug("NATS %s: %r", shown, exc)

    async def on_disconnected() -> None:
        log.warning("lost the connection to NATS at %s; reconnecting", shown)

    async def on_reconnected() -> None:
        log.warning("connected to NATS at %s again", shown)

    try:
        return await asyncio.wait_for(
            nats.connect(
                url,
                name=name,
                no_echo=True,
                connect_timeout=5,
                allow_reconnect=True,
                max_reconnect_attempts=-1,
                reconnect_time_wait=1,
                # A dead peer's subscriptions (its stations) should go within seconds, not minutes.
                ping_interval=10,
                max_outstanding_pings=3,
                error_cb=on_error,
                disconnected_cb=on_disconnected,
                reconnected_cb=on_reconnected,
            ),
            timeout,
        )
    except (TimeoutError, nats.errors.Error) as exc:
        raise OSError(f"NATS at {shown} is unreachable ({exc!r})") from None


class NatsBus:
    """An :class:`~opencsms.bus.EventBus` shared by the nodes using the same NATS and ``prefix``.

    Build it with :meth:`start` (on the event loop); :meth:`aclose` ends it.
    """

    def __init__(self, connection: Client, *, prefix: str, node_id: str) -> None:
        self.connection = connection
        self.subject = f"{prefix}.events"
        self.node_id = node_id
        self._local = InProcessBus()
        self._outbox: collections.deque[bytes] = collections.deque(maxlen=OUTBOX_SIZE)
        self._pending = asyncio.Event()
        self._sender: asyncio.Task[None] | None = None
        self._subscription: Any = None
        self.dropped = 0
        self.received = 0

    @classmethod
    async def start(cls, connection: Client, *, prefix: str, node_id: str) -> NatsBus:
        """Subscribe to the cluster's events and start sending.

        Raises:
            nats.errors.Error: the subscription failed.
        """
        bus = cls(connection, prefix=prefix, node_id=node_id)
        bus._subscription = await connection.subscribe(bus.subject, cb=bus._on_message)
        await connection.flush(timeout=5)
        bus._sender = asyncio.get_running_loop().create_task(bus._send(), name="nats bus sender")
        return bus

    @property
    def published(self) -> int:
        return self._local.published

    @property
    def subscriber_count(self) -> int:
        return self._local.subscriber_count

    def publish(self, event: DomainEvent) -> None:
        self._local.publish(event)
        try:
            payload = encode_event(event, self.node_id)
        except TypeError:
            log.exception("event %s for %s cannot be sent to other nodes", event.kind, event.station_id)
            return
        if len(self._outbox) == self._outbox.maxlen:
            self.dropped += 1
        self._outbox.append(payload)
        self._pending.set()

    def wants(self, kind: str) -> bool:
        """Always: the other nodes' subscribers are not known here."""
        return True

    def subscribe(
        self, event_filter: EventFilter | None = None, *, max_queued: int = 1000
    ) -> MemorySubscription:
        return self._local.subscribe(event_filter, max_queued=max_queued)

    async def ready(self) -> bool:
        """Whether NATS answers a round trip now."""
        if not self.connection.is_connected:
            return False
        try:
            await self.connection.flush(timeout=2)
        except Exception:
            return False
        return True

    async def _on_message(self, message: Msg) -> None:
        try:
            node, event = decode_event(message.data)
        except ValueError:
            log.warning("ignored a malformed event on %s", message.subject)
            return
        if node == self.node_id:
            return
        self.received += 1
        self._local.deliver_remote(event)

    async def _send(self) -> None:
        while True:
            await self._pending.wait()
            self._pending.clear()
            while self._outbox:
                if not self.connection.is_connected:
                    # The client buffers while reconnecting, but only so much: keep the events here.
                    await asyncio.sleep(0.2)
                    continue
                payload = self._outbox.popleft()
                try:
                    await self.connection.publish(self.subject, payload)
                except Exception as exc:
                    self._outbox.appendleft(payload)
                    log.warning("could not send an event to NATS: %s", exc)
                    await asyncio.sleep(0.5)

    def close(self) -> None:
        """End the local subscriptions (see :meth:`aclose` for the connection)."""
        self._local.close()

    async def aclose(self) -> None:
        """Send what is still queued (briefly), then stop listening; the connection stays open."""
        self._local.close()
        if self._sender is not None:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(2):
                    while self._outbox and self.connection.is_connected:  # noqa: ASYNC110 - rare, brief
                        await asyncio.sleep(0.01)
            self._sender.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._sender
        if self._subscription is not None:
            with contextlib.suppress(Exception):
                await self._subscription.unsubscribe()
