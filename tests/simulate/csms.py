"""A tiny in-test CSMS for the simulator: a WebSocket server whose sessions are ``OcppConnection``s.

It speaks 1.6, 2.0.1 and 2.1 (the subprotocol the station offers), validates both ways, records
every CALL a station sends, answers with valid results, and can call stations. A TransactionEvent
whose (transactionId, seqNo) it has seen before is counted in ``duplicates`` and gets the first
answer again, as a real CSMS must answer a resend.
"""

from __future__ import annotations

import asyncio
import itertools
from collections import Counter
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.typing import Subprotocol

from opencsms.messages import get_validator
from opencsms.ocppj import SUBPROTOCOLS, Call
from opencsms.transport.connection import OcppConnection, Payload, Validator

VALIDATOR: Validator | None = get_validator("1.6")
VALIDATORS: dict[str, Validator] = {version: get_validator(version) for version in ("1.6", "2.0.1", "2.1")}


async def poll(condition: Callable[[], bool | Awaitable[bool]], timeout: float = 5.0) -> None:
    """Return once ``condition()`` (maybe a coroutine function) is true; TimeoutError after ``timeout``."""
    async with asyncio.timeout(timeout):
        while True:
            result = condition()
            if not isinstance(result, bool):
                result = await result
            if result:
                return
            await asyncio.sleep(0.01)


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class FakeCsms:
    """Use as ``async with FakeCsms() as csms``; stations connect to ``csms.url``."""

    def __init__(
        self,
        *,
        validate: bool = True,
        boot_statuses: tuple[str, ...] = ("Accepted",),
        interval: int = 60,
        refused_tags: frozenset[str] = frozenset({"BAD-TAG"}),
    ) -> None:
        self.validate = validate
        self.boot_statuses = boot_statuses  # one per boot; the last one repeats
        self.interval = interval
        self.refused_tags = refused_tags
        self.received: list[tuple[str, Call]] = []
        self.versions: dict[str, str] = {}
        self.duplicates = 0
        self._event_answers: dict[tuple[str, str, int], Payload] = {}
        self._held: asyncio.Event | None = None
        self.connections: dict[str, OcppConnection] = {}
        self.connects: Counter[str] = Counter()
        self.headers: dict[str, dict[str, str]] = {}
        self._boots: Counter[str] = Counter()
        self._transaction_ids = itertools.count(1)
        self._server: Server | None = None
        self.url = ""

    async def __aenter__(self) -> FakeCsms:
        self._server = await serve(
            self._serve, "127.0.0.1", 0, subprotocols=[Subprotocol(name) for name in SUBPROTOCOLS]
        )
        port = next(iter(self._server.sockets)).getsockname()[1]
        self.url = f"ws://127.0.0.1:{port}/ocpp"
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        assert self._server is not None
        self._server.close()
        await self._server.wait_closed()

    async def _serve(self, websocket: ServerConnection) -> None:
        assert websocket.request is not None
        station_id = websocket.request.path.rsplit("/", 1)[-1]
        self.headers[station_id] = dict(websocket.request.headers.raw_items())
        self.connects[station_id] += 1

        version = SUBPROTOCOLS[str(websocket.subprotocol)]
        self.versions[station_id] = version

        async def answer(call: Call) -> Payload:
            result = self._answer(station_id, call, version)
            if self._held is not None and call.action == "TransactionEvent":
                await self._held.wait()  # stored, but the answer is late
            return result

        connection = OcppConnection(
            websocket,
            version,
            answer,
            validator=VALIDATORS[version] if self.validate else None,
            name=f"csms/{station_id}",
        )
        self.connections[station_id] = connection
        await connection.run()

    def _answer(self, station_id: str, call: Call, version: str) -> Payload:
        self.received.append((station_id, call))
        payload = call.payload
        if call.action == "BootNotification":
            status = self.boot_statuses[min(self._boots[station_id], len(self.boot_statuses) - 1)]
            self._boots[station_id] += 1
            return {"status": status, "currentTime": now(), "interval": self.interval}
        if call.action == "Heartbeat":
            return {"currentTime": now()}
        if call.action == "DataTransfer":
            return {"status": "UnknownVendorId"}
        if version == "1.6":
            return self._answer_16(call.action, payload)
        return self._answer_2x(station_id, call.action, payload)

    def _answer_16(self, action: str, payload: Payload) -> Payload:
        if action == "Authorize":
            return {"idTagInfo": self._tag_info(payload["idTag"])}
        if action == "StartTransaction":
            return {
                "transactionId": next(self._transaction_ids),
                "idTagInfo": self._tag_info(payload["idTag"]),
            }
        if action == "StopTransaction":
            return {"idTagInfo": self._tag_info(payload["idTag"])} if "idTag" in payload else {}
        return {}  # StatusNotification, MeterValues, Diagnostics/FirmwareStatusNotification

    def _answer_2x(self, station_id: str, action: str, payload: Payload) -> Payload:
        if action == "Authorize":
            return {"idTokenInfo": self._tag_info(payload["idToken"]["idToken"])}
        if action == "TransactionEvent":
            key = (station_id, payload["transactionInfo"]["transactionId"], payload["seqNo"])
            if key in self._event_answers:
                self.duplicates += 1
                return self._event_answers[key]
            answer: Payload = {}
            if "idToken" in payload:
                answer["idTokenInfo"] = self._tag_info(payload["idToken"]["idToken"])
            self._event_answers[key] = answer
            return answer
        return {}  # StatusNotification, MeterValues, NotifyReport, Log/FirmwareStatusNotification

    def _tag_info(self, id_tag: str) -> dict[str, str]:
        return {"status": "Invalid" if id_tag in self.refused_tags else "Accepted"}

    def hold_transaction_event_answers(self) -> None:
        """From now on, store TransactionEvents but answer them only after :meth:`release_answers`."""
        self._held = asyncio.Event()

    def release_answers(self) -> None:
        if self._held is not None:
            self._held.set()
        self._held = None

    # -- inspection ---------------------------------------------------------------------------------

    def calls(self, action: str | None = None, station_id: str | None = None) -> list[dict[str, Any]]:
        """Payloads received, in order, filtered by action and station."""
        return [
            call.payload
            for sid, call in self.received
            if (action is None or call.action == action) and (station_id is None or sid == station_id)
        ]

    def actions(self, station_id: str | None = None) -> list[str]:
        return [call.action for sid, call in self.received if station_id is None or sid == station_id]

    def statuses(self, connector_id: int, station_id: str | None = None) -> list[str]:
        return [
            p["status"]
            for p in self.calls("StatusNotification", station_id)
            if p["connectorId"] == connector_id
        ]

    def connector_statuses(
        self, evse_id: int, connector_id: int = 1, station_id: str | None = None
    ) -> list[str]:
        """2.x: the statuses of one connector, in order."""
        return [
            p["connectorStatus"]
            for p in self.calls("StatusNotification", station_id)
            if (p["evseId"], p["connectorId"]) == (evse_id, connector_id)
        ]

    def events(self, station_id: str | None = None) -> list[dict[str, Any]]:
        """2.x: the TransactionEvents received, resends included, in order."""
        return self.calls("TransactionEvent", station_id)

    async def wait_until(self, condition: Callable[[], bool], timeout: float = 5.0) -> None:
        await poll(condition, timeout)

    async def wait_for(
        self, action: str, count: int = 1, station_id: str | None = None, timeout: float = 5.0
    ) -> list[dict[str, Any]]:
        """The payloads of ``action`` once there are ``count`` of them."""
        await self.wait_until(lambda: len(self.calls(action, station_id)) >= count, timeout)
        return self.calls(action, station_id)

    async def call(self, station_id: str, action: str, payload: Payload, timeout: float = 5.0) -> Payload:
        """Send a CALL to the station's current connection and return the result payload."""
        await self.wait_until(lambda: station_id in self.connections, timeout)
        return await self.connections[station_id].call(action, payload, timeout)
