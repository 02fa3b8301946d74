"""Commands to stations connected to other nodes, over NATS request/reply.

The node holding a station's socket subscribes to that station's subject,
``<prefix>.station.<station id>``; a command for a station this node does not hold is a NATS
request on the subject, answered by the holder with the station's answer or the command's error.
Presence is NATS's own interest graph: no responders means no node holds the station, and a
node that dies loses its subscriptions with its connection, so nothing is left to expire.

When a station connects, the node first asks the subject whether another node holds it: that
node pings its connection and keeps it when it answers (the newcomer is refused, as on one node)
or drops it and steps back.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any, Protocol

import orjson
from nats.aio.client import Client
from nats.aio.msg import Msg
from nats.aio.subscription import Subscription
from nats.errors import Error as NatsError
from nats.errors import NoRespondersError
from nats.errors import TimeoutError as NatsTimeoutError

from opencsms.domain import commands as c

log = logging.getLogger(__name__)

#: Seconds a node waits beyond the command's own timeout for the holder's reply.
REPLY_MARGIN = 5.0
_ERRORS: dict[str, type[c.CommandError]] = {
    cls.__name__: cls
    for cls in (c.StationOffline, c.SentNoAnswer, c.CommandTimeout, c.InvalidCommand, c.UnknownCommand)
}


class LocalStations(Protocol):
    """What the router needs from this node's sessions (``SessionManager``)."""

    async def execute_local(
        self, station_id: str, command: c.Command, timeout: float | None = None
    ) -> c.CommandResult: ...

    async def keep_or_yield(self, station_id: str) -> bool:
        """True when this node's connection of the station is live; else it is dropped."""
        ...


def subject_token(text: str) -> str:
    """``text`` as one subject token, the characters NATS reserves (``.``, ``*``, ``>``, spaces)
    percent-encoded."""
    return "".join(
        ch if (ch.isascii() and ch.isalnum()) or ch in "-_" else "".join(f"%{b:02X}" for b in ch.encode())
        for ch in text
    )


def station_subject(prefix: str, station_id: str) -> str:
    """The station's subject (see :func:`subject_token`)."""
    return f"{prefix}.station.{subject_token(station_id)}"


def encode_error(exc: BaseException) -> dict[str, Any]:
    if isinstance(exc, c.CommandRejected):
        return {"error": "CommandRejected", "code": exc.code, "description": exc.description}
    if isinstance(exc, c.CommandError):
        return {"error": type(exc).__name__, "message": str(exc)}
    return {"error": "InternalError", "message": f"{type(exc).__name__}: {exc}"}


def decode_reply(payload: bytes) -> c.CommandResult:
    """The result in a holder's reply.

    Raises:
        CommandError (the subclass the holder raised): the command failed there.
    """
    reply = orjson.loads(payload)
    if "ok" in reply:
        ok = reply["ok"]
        return c.CommandResult(
            ok["action"], ok.get("status"), ok.get("response") or {}, ok.get("request") or {}
        )
    if reply.get("error") == "CommandRejected":
        raise c.CommandRejected(str(reply.get("code")), str(reply.get("description", "")))
    raise _ERRORS.get(str(reply.get("error")), c.CommandError)(str(reply.get("message", "")))


class NatsStationRouter:
    """Sends commands to the node holding a station and serves this node's stations to the others."""

    def __init__(
        self,
        connection: Client,
        local: LocalStations,
        *,
        prefix: str,
        node_id: str,
        call_timeout: float = 30.0,
        claim_timeout: float = 5.0,
    ) -> None:
        self.connection = connection
        self.local = local
        self.prefix = prefix
        self.node_id = node_id
        self.call_timeout = call_timeout
        #: How long the holder may take to ping its connection when another node claims the station.
        self.claim_timeout = claim_timeout
        self._subscriptions: dict[str, Subscription] = {}
        #: Stations this node is taking now, and those of them another node won meanwhile.
        self._claiming: set[str] = set()
        self._lost: set[str] = set()
        self._work: set[asyncio.Task[None]] = set()
        #: Commands sent to other nodes, and served for them.
        self.sent = 0
        self.served = 0

    # -- this node's stations ---------------------------------------------------------------------

    async def claim(self, station_id: str) -> bool:
        """Take ``station_id`` for this node: False when another node holds a live connection of it.

        A holder that does not answer in time, or NATS being unreachable, counts as no live
        connection elsewhere: a dead node must not keep its stations from reconnecting.
        """
        subject = station_subject(self.prefix, station_id)
        self._claiming.add(station_id)
        try:
            if await self._held_elsewhere(station_id, subject):
                return False
            try:
                await self._subscribe(station_id, subject)
            except (TimeoutError, NatsError) as exc:
                # The station is served here all the same; the client sends the subscription again
                # when it reconnects, unless the connection is closed for good.
                log.warning("%s: other nodes cannot reach it (%s)", station_id, exc)
                return True
            # Two connections of the station reaching two nodes at the same moment both find no
            # holder: asking again once subscribed lets the two nodes see each other and settle it.
            held = self.connection.is_connected and await self._held_elsewhere(station_id, subject)
            if held or station_id in self._lost:
                await self.release(station_id)
                return False
            return True
        finally:
            self._claiming.discard(station_id)
            self._lost.discard(station_id)

    async def _held_elsewhere(self, station_id: str, subject: str) -> bool:
        if not self.connection.is_connected:
            log.warning("%s: NATS is unreachable; not asking other nodes whether they hold it", station_id)
            return False
        try:
            reply = await self.connection.request(
                subject,
                orjson.dumps({"op": "claim", "node": self.node_id}),
                timeout=self.claim_timeout + REPLY_MARGIN,
            )
            return bool(orjson.loads(reply.data).get("live"))
        except NoRespondersError:
            return False
        except (TimeoutError, NatsError, ValueError) as exc:
            log.warning("%s: could not ask other nodes whether they hold it (%s)", station_id, exc)
            return False

    async def _subscribe(self, station_id: str, subject: str) -> None:
        previous = self._subscriptions.pop(station_id, None)
        if previous is not None:
            with contextlib.suppress(Exception):
                await previous.unsubscribe()

        async def on_request(message: Msg) -> None:
            # Off the subscription's task: a long command must not hold up a claim.
            task = asyncio.get_running_loop().create_task(self._serve(station_id, message))
            self._work.add(task)
            task.add_done_callback(self._work.discard)

        self._subscriptions[station_id] = await self.connection.subscribe(subject, cb=on_request)
        if self.connection.is_connected:
            await self.connection.flush(timeout=5)

    async def release(self, station_id: str) -> None:
        """The station's connection here ended: other nodes no longer reach it through this one."""
        subscription = self._subscriptions.pop(station_id, None)
        if subscription is not None:
            with contextlib.suppress(Exception):
                await subscription.unsubscribe()

    async def _serve(self, station_id: str, message: Msg) -> None:
        try:
            request = orjson.loads(message.data)
            if request.get("op") == "claim":
                if station_id in self._claiming:
                    # Both nodes are taking the station at this moment: the lower node id keeps it.
                    live = self.node_id < str(request.get("node", ""))
                    if not live:
                        self._lost.add(station_id)
                else:
                    live = await self.local.keep_or_yield(station_id)
                    if not live:
                        await self.release(station_id)
                await message.respond(orjson.dumps({"live": live}))
                return
            command = c.command_from_dict(request.get("command") or {})
            timeout = request.get("timeout")
            self.served += 1
            try:
                result = await self.local.execute_local(
                    station_id, command, float(timeout) if timeout is not None else None
                )
            except Exception as exc:
                await message.respond(orjson.dumps(encode_error(exc)))
                return
            outcome = {
                "action": result.action,
                "status": result.status,
                "response": result.response,
                "request": result.request,
            }
            await message.respond(orjson.dumps({"ok": outcome}))
        except c.CommandError as exc:
            with contextlib.suppress(Exception):
                await message.respond(orjson.dumps(encode_error(exc)))
        except Exception:
            log.exception("%s: could not serve a request from another node", station_id)

    # -- other nodes' stations --------------------------------------------------------------------

    async def execute(
        self, station_id: str, command: c.Command, timeout: float | None = None
    ) -> c.CommandResult:
        """Send ``command`` to the node holding the station; the station's answer, or the error there.

        Raises:
            StationOffline: no node holds the station (or NATS is unreachable).
            CommandTimeout: the station, or its node, did not answer in time.
            SentNoAnswer, CommandRejected, InvalidCommand, UnknownCommand: as on the holding node.
        """
        if not self.connection.is_connected:
            raise c.StationOffline(f"station {station_id} is not connected here and NATS is unreachable")
        request = orjson.dumps({"op": "execute", "command": c.command_to_dict(command), "timeout": timeout})
        wait = (timeout or self.call_timeout) + REPLY_MARGIN
        self.sent += 1
        try:
            reply = await self.connection.request(
                station_subject(self.prefix, station_id), request, timeout=wait
            )
        except NoRespondersError:
            raise c.StationOffline(f"station {station_id} is not connected") from None
        except (TimeoutError, NatsTimeoutError):
            raise c.CommandTimeout(f"{station_id} (on another node) did not answer in time") from None
        except NatsError as exc:
            raise c.StationOffline(
                f"station {station_id} is not connected here and NATS failed: {exc}"
            ) from exc
        return decode_reply(reply.data)

    async def close(self) -> None:
        for task in list(self._work):
            task.cancel()
        await asyncio.gather(*self._work, return_exceptions=True)
        for station_id in list(self._subscriptions):
            await self.release(station_id)
