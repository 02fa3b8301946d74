"""A 1.6 station for drain and failover tests: charges in a loop and keeps what the CSMS acknowledged.

It sends StartTransaction, MeterValues and StopTransaction one after another; a message counts
only once its CALLRESULT arrived. When the socket closes it notes the close code, reconnects
(through the same URL: a load balancer picks the node) and sends the unanswered message again, as
a real station does. Every CALL from the CSMS is answered Accepted.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import orjson
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidStatus


class Unanswered(Exception):
    """The connection closed before the CALL's answer came."""


@dataclass
class ChargingStation:
    station_id: str
    url: str
    #: Acknowledged transactions: id -> count of acknowledged MeterValues; and the stopped ones.
    started: dict[int, int] = field(default_factory=dict)
    stopped: set[int] = field(default_factory=set)
    close_codes: list[int | None] = field(default_factory=list)
    #: loop.time() of each close and of each successful boot after the first.
    closed_at: list[float] = field(default_factory=list)
    rebooted_at: list[float] = field(default_factory=list)
    connections: int = 0
    #: Commands the CSMS sent, by action.
    commands: list[str] = field(default_factory=list)
    reconnect: bool = True
    _ids: itertools.count[int] = field(default_factory=itertools.count)
    _stop: asyncio.Event = field(default_factory=asyncio.Event)
    _meter: int = 0

    def stop(self) -> None:
        """Finish the message in hand, then close (no more reconnects)."""
        self._stop.set()

    async def run(self) -> None:
        pending: tuple[str, dict[str, Any]] | None = None
        open_tx: int | None = None
        loop = asyncio.get_running_loop()
        while True:
            try:
                ws = await connect(f"{self.url}/{self.station_id}", subprotocols=["ocpp1.6"])  # type: ignore[list-item]
            except (OSError, InvalidHandshake, InvalidStatus, TimeoutError):
                if not self.reconnect or self._stop.is_set():
                    return
                await asyncio.sleep(0.2)
                continue
            self.connections += 1
            try:
                boot = await self._call(
                    ws, "BootNotification", {"chargePointVendor": "t", "chargePointModel": "t"}
                )
                assert boot["status"] == "Accepted", boot
                if self.connections > 1:
                    self.rebooted_at.append(loop.time())
                while True:
                    if pending is None:
                        if self._stop.is_set() and open_tx is None:
                            await ws.close()
                            return
                        pending = self._next(open_tx)
                    action, payload = pending
                    answer = await self._call(ws, action, payload)
                    pending = None
                    if action == "StartTransaction":
                        open_tx = int(answer["transactionId"])
                        self.started[open_tx] = 0
                    elif action == "MeterValues":
                        assert open_tx is not None
                        self.started[open_tx] += 1
                    elif action == "StopTransaction":
                        assert open_tx is not None
                        self.stopped.add(open_tx)
                        open_tx = None
                    await asyncio.sleep(0.02)
            except (ConnectionClosed, Unanswered):
                self.close_codes.append(ws.close_code)
                self.closed_at.append(loop.time())
                if not self.reconnect:
                    return
                await asyncio.sleep(0.1)

    def _next(self, open_tx: int | None) -> tuple[str, dict[str, Any]]:
        now = datetime.now(UTC).isoformat().replace("+00:00", "Z")
        self._meter += 100
        if open_tx is None:
            payload = {"connectorId": 1, "idTag": "TAG1", "meterStart": self._meter, "timestamp": now}
            return "StartTransaction", payload
        if self.started[open_tx] < 2:
            sample = {"timestamp": now, "sampledValue": [{"value": str(self._meter)}]}
            return "MeterValues", {"connectorId": 1, "transactionId": open_tx, "meterValue": [sample]}
        return "StopTransaction", {"transactionId": open_tx, "meterStop": self._meter, "timestamp": now}

    async def _call(self, ws: ClientConnection, action: str, payload: dict[str, Any]) -> dict[str, Any]:
        message_id = f"{self.station_id}-{next(self._ids)}"
        await ws.send(orjson.dumps([2, message_id, action, payload]).decode())
        while True:
            try:
                frame = orjson.loads(await asyncio.wait_for(ws.recv(), 20))
            except TimeoutError:
                with contextlib.suppress(Exception):
                    await ws.close()
                raise Unanswered(action) from None
            if frame[0] == 2:  # a command from the CSMS
                self.commands.append(frame[2])
                await ws.send(orjson.dumps([3, frame[1], {"status": "Accepted"}]).decode())
                continue
            if frame[1] != message_id:
                continue
            assert frame[0] == 3, frame
            result: dict[str, Any] = frame[2]
            return result
