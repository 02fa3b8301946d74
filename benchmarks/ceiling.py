"""The ceiling: a WebSocket server that answers every CALL with a prebuilt, schema-valid CALLRESULT.

No validation, no storage, no sessions: only the websockets library, the event loop and JSON
parsing of each frame's header. Whatever a real CSMS does on top of this costs throughput, so
the ratio of opencsms's calls/s to this server's is what the benchmark reports.

Run it alone with ``python -m benchmarks.ceiling --port 9100``; it prints ``ready <port>``.
``--work-us N`` makes it busy-wait N µs on every CALL before answering: a stand-in for a server that
does that much work per call, to see what share of the plain ceiling such a server can reach.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import signal
import time
from collections.abc import Callable

import orjson
from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.exceptions import ConnectionClosed
from websockets.typing import Subprotocol

from benchmarks.process_limits import raise_open_files_limit

SUBPROTOCOLS = [Subprotocol("ocpp2.0.1"), Subprotocol("ocpp1.6")]
HEARTBEAT_INTERVAL = 300

ResultBuilder = Callable[[], bytes]


class _UtcClock:
    """The current UTC time as JSON bytes (``"2025-01-01T00:00:00Z"``), rebuilt once a second."""

    def __init__(self) -> None:
        self._second = -1
        self._json = b""

    def __call__(self) -> bytes:
        second = int(time.time())
        if second != self._second:
            self._second = second
            self._json = orjson.dumps(time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(second)))
        return self._json


def _results(
    subprotocol: str, clock: _UtcClock, transaction_ids: itertools.count[int]
) -> dict[str, ResultBuilder]:
    """CALLRESULT payloads by action for one OCPP version; an action not listed gets ``{}``."""
    if subprotocol == "ocpp1.6":
        accepted = b'{"idTagInfo":{"status":"Accepted"}}'
        return {
            "BootNotification": lambda: (
                b'{"status":"Accepted","currentTime":%b,"interval":%d}' % (clock(), HEARTBEAT_INTERVAL)
            ),
            "Heartbeat": lambda: b'{"currentTime":%b}' % clock(),
            "Authorize": lambda: accepted,
            "StartTransaction": lambda: (
                b'{"idTagInfo":{"status":"Accepted"},"transactionId":%d}' % next(transaction_ids)
            ),
            "StopTransaction": lambda: accepted,
        }
    accepted = b'{"idTokenInfo":{"status":"Accepted"}}'
    return {
        "BootNotification": lambda: (
            b'{"currentTime":%b,"interval":%d,"status":"Accepted"}' % (clock(), HEARTBEAT_INTERVAL)
        ),
        "Heartbeat": lambda: b'{"currentTime":%b}' % clock(),
        "Authorize": lambda: accepted,
    }


def _empty() -> bytes:
    return b"{}"


def _busy_wait(seconds: float) -> None:
    until = time.perf_counter() + seconds
    while time.perf_counter() < until:
        pass


async def start_ceiling(host: str = "127.0.0.1", port: int = 0, work_us: float = 0.0) -> Server:
    """Start the ceiling server; the bound port is ``server.sockets[0].getsockname()[1]``.

    ``work_us``: µs of busy-waiting on every CALL before its answer (0: none).
    """
    work = work_us / 1e6
    clock = _UtcClock()
    transaction_ids = itertools.count(1)
    results = {name: _results(name, clock, transaction_ids) for name in SUBPROTOCOLS}

    async def serve_station(websocket: ServerConnection) -> None:
        by_action = results[websocket.subprotocol or SUBPROTOCOLS[-1]]
        while True:
            try:
                data = await websocket.recv(decode=False)
            except ConnectionClosed:
                return
            try:
                frame = orjson.loads(data)
            except orjson.JSONDecodeError:
                continue
            if type(frame) is not list or len(frame) != 4 or frame[0] != 2:
                continue  # results, errors and malformed frames need no answer here
            if work:
                _busy_wait(work)
            payload = by_action.get(frame[2], _empty)()
            answer = b"[3,%b,%b]" % (orjson.dumps(frame[1]), payload)
            try:
                await websocket.send(answer, text=True)
            except ConnectionClosed:
                return

    return await serve(
        serve_station,
        host,
        port,
        subprotocols=SUBPROTOCOLS,
        compression=None,
        ping_interval=None,
        server_header=None,
        backlog=4096,
    )


async def _main(host: str, port: int, work_us: float) -> int:
    server = await start_ceiling(host, port, work_us)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    print(f"ready {server.sockets[0].getsockname()[1]}", flush=True)
    await stop.wait()
    server.close()
    await server.wait_closed()
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.ceiling", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=9100)
    parser.add_argument("--work-us", type=float, default=0.0, help="µs of busy-waiting per CALL")
    args = parser.parse_args(argv)
    raise_open_files_limit()
    import uvloop

    return uvloop.run(_main(args.host, args.port, args.work_us))


if __name__ == "__main__":
    raise SystemExit(main())
