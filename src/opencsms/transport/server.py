"""The OCPP WebSocket listener: handshake checks, then one task per station session.

The handshake filter decides before anything touches a session: the station id from the path
(400/404), a subprotocol both sides implement (else 400, not upgraded), then the admission check
(404 for an unknown station under a reject policy). The websockets library picks a subprotocol by
the server's list order, so the list is given newest first.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from http import HTTPStatus

from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.datastructures import Headers
from websockets.http11 import Request, Response
from websockets.typing import Subprotocol

from opencsms.ocppj import SUBPROTOCOLS, BadStationPath, select_subprotocol, station_id_from_path

log = logging.getLogger(__name__)

Admit = Callable[[str], Awaitable[bool]]
SessionHandler = Callable[[str, str, ServerConnection], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class ListenerConfig:
    host: str = "0.0.0.0"
    port: int = 9000
    versions: tuple[str, ...] = tuple(SUBPROTOCOLS)  # subprotocol names, newest first
    max_frame_bytes: int = 256 * 1024
    ping_interval: float | None = 30.0
    ping_timeout: float | None = 30.0
    open_timeout: float = 10.0


def _reply(status: HTTPStatus, text: str) -> Response:
    body = (text + "\n").encode()
    headers = Headers([("Content-Type", "text/plain; charset=utf-8"), ("Content-Length", str(len(body)))])
    return Response(status.value, status.phrase, headers, body)


def offered_subprotocols(request: Request) -> list[str]:
    return [
        p.strip() for value in request.headers.get_all("Sec-WebSocket-Protocol") for p in value.split(",")
    ]


async def start_listener(config: ListenerConfig, admit: Admit, on_session: SessionHandler) -> Server:
    """Start listening; ``on_session(station_id, subprotocol, websocket)`` serves each station."""

    async def process_request(connection: ServerConnection, request: Request) -> Response | None:
        if request.path.split("?")[0] in ("/health", "/health/"):
            return _reply(HTTPStatus.OK, "ok")
        try:
            station_id = station_id_from_path(request.path)
        except BadStationPath as exc:
            return _reply(HTTPStatus(exc.status), str(exc))
        if select_subprotocol(offered_subprotocols(request), config.versions) is None:
            return _reply(
                HTTPStatus.BAD_REQUEST,
                f"no supported OCPP subprotocol offered; this server speaks {', '.join(config.versions)}",
            )
        if not await admit(station_id):
            log.info("handshake refused: unknown station %s", station_id)
            return _reply(HTTPStatus.NOT_FOUND, f"unknown station {station_id}")
        connection.station_id = station_id  # type: ignore[attr-defined]
        return None

    def choose_subprotocol(
        connection: ServerConnection, offered: Sequence[Subprotocol]
    ) -> Subprotocol | None:
        chosen = select_subprotocol(offered, config.versions)
        # RFC 6455: echo the client's own spelling of the chosen protocol.
        return next((p for p in offered if p.strip().lower() == chosen), None) if chosen else None

    async def handler(connection: ServerConnection) -> None:
        station_id: str = connection.station_id  # type: ignore[attr-defined]
        subprotocol = connection.subprotocol
        if subprotocol is None:  # process_request already refused such handshakes
            await connection.close(1002, "no OCPP subprotocol")
            return
        await on_session(station_id, SUBPROTOCOLS[subprotocol], connection)

    return await serve(
        handler,
        config.host,
        config.port,
        process_request=process_request,
        select_subprotocol=choose_subprotocol,
        subprotocols=[Subprotocol(v) for v in config.versions],
        compression="deflate",
        max_size=config.max_frame_bytes,
        ping_interval=config.ping_interval,
        ping_timeout=config.ping_timeout,
        open_timeout=config.open_timeout,
        server_header=None,
    )
