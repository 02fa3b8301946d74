"""The station side of the OCA CSMS test cases, played by the test as the OCA test tool plays it.

The test sends exactly the station messages a case lists (:class:`~tests.e2e.wsclient.RawStation`)
and answers the CSMS's calls with the status the case gives, while the operator's command goes
through the HTTP command endpoint, as a CSO would send it.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from opencsms.runtime import Runtime
from tests.e2e.wsclient import RawStation


def timestamp(minutes_ago: float = 0.0, now: datetime | None = None) -> str:
    """An OCPP timestamp ``minutes_ago`` minutes before ``now`` (default: the current time)."""
    moment = (now or datetime.now(UTC)) - timedelta(minutes=minutes_ago)
    return moment.isoformat(timespec="seconds").replace("+00:00", "Z")


async def command_answered(
    http: httpx.AsyncClient,
    station: RawStation,
    station_id: str,
    command: str,
    args: dict[str, Any],
    action: str,
    answer: dict[str, Any],
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Send the operator ``command`` and answer the CALL it makes (which must be ``action``) with
    ``answer``; returns the payload the CSMS sent and the command's HTTP result."""
    request = asyncio.create_task(http.post(f"/api/v1/stations/{station_id}/commands/{command}", json=args))
    try:
        message_id, payload = await station.expect_call(action, timeout=15.0)
        await station.reply(message_id, answer)
        response = await request
    finally:
        request.cancel()
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return payload, result


BOOT_16 = {"chargePointVendor": "Acme", "chargePointModel": "AC22"}


class ChargePoint:
    """A 1.6 charge point played step by step."""

    def __init__(self, raw: RawStation, station_id: str) -> None:
        self.raw = raw
        self.station_id = station_id

    @classmethod
    async def online(cls, server: Runtime, station_id: str) -> ChargePoint:
        raw = await RawStation.open(server.ocpp_url, station_id)
        point = cls(raw, station_id)
        boot = await point.call("BootNotification", BOOT_16)
        assert boot["status"] == "Accepted"
        for connector in (0, 1, 2):
            await point.status(connector, "Available")
        return point

    async def call(self, action: str, payload: dict[str, Any]) -> dict[str, Any]:
        frame = await self.raw.call(action, payload)
        assert frame[0] == 3, frame  # a CALLRESULT: the CSMS took the message
        answer: dict[str, Any] = frame[2]
        return answer

    async def status(self, connector: int, status: str, error: str = "NoError", **extra: Any) -> None:
        answer = await self.call(
            "StatusNotification",
            {
                "connectorId": connector,
                "errorCode": error,
                "status": status,
                "timestamp": timestamp(),
                **extra,
            },
        )
        assert answer == {}

    async def authorize(self, id_tag: str) -> str:
        return str((await self.call("Authorize", {"idTag": id_tag}))["idTagInfo"]["status"])

    async def start(
        self, connector: int, id_tag: str, meter: int = 1000, at: str | None = None, **extra: Any
    ) -> tuple[int, str]:
        answer = await self.call(
            "StartTransaction",
            {
                "connectorId": connector,
                "idTag": id_tag,
                "meterStart": meter,
                "timestamp": at or timestamp(),
                **extra,
            },
        )
        return int(answer["transactionId"]), str(answer["idTagInfo"]["status"])

    async def stop(
        self,
        transaction_id: int,
        reason: str,
        meter: int = 2000,
        at: str | None = None,
        id_tag: str | None = None,
    ) -> dict[str, Any]:
        payload: dict[str, Any] = {
            "transactionId": transaction_id,
            "meterStop": meter,
            "timestamp": at or timestamp(),
            "reason": reason,
        }
        if id_tag is not None:
            payload["idTag"] = id_tag
        return await self.call("StopTransaction", payload)

    async def charging(self, server: Runtime, connector: int, id_tag: str) -> int:
        """Reusable state Charging: Preparing, StartTransaction, Charging."""
        await server.domain.tokens.add(id_tag)
        await self.status(connector, "Preparing")
        transaction_id, status = await self.start(connector, id_tag)
        assert status == "Accepted"
        await self.status(connector, "Charging")
        return transaction_id

    async def close(self) -> None:
        await self.raw.close()


async def connector_status(server: Runtime, station_id: str, connector: int) -> tuple[str, str | None]:
    for state in await server.domain.stations.connectors(station_id):
        if state.connector_id == connector:
            return state.status, state.error_code
    raise AssertionError(f"no status stored for connector {connector}")


BOOT_201 = {"reason": "PowerUp", "chargingStation": {"model": "DC50", "vendorName": "Acme"}}


def energy(
    wh: float, context: str = "Sample.Periodic", at: str | None = None, **extra: Any
) -> dict[str, Any]:
    """A 2.0.1 MeterValue with one energy register reading."""
    value = {
        "value": wh,
        "measurand": "Energy.Active.Import.Register",
        "context": context,
        "unitOfMeasure": {"unit": "Wh"},
        **extra,
    }
    return {"timestamp": at or timestamp(), "sampledValue": [value]}


class ChargingStation:
    """A 2.0.1 charging station played step by step; ``event`` numbers each transaction's seqNo."""

    def __init__(self, raw: RawStation, station_id: str) -> None:
        self.raw = raw
        self.station_id = station_id
        self._seq: dict[str, int] = {}
        self._notify_seq = 0

    @classmethod
    async def online(cls, server: Runtime, station_id: str, evses: int = 2) -> ChargingStation:
        raw = await RawStation.open(server.ocpp_url, station_id, ("ocpp2.0.1",))
        station = cls(raw, station_id)
        assert (await station.call("BootNotification", BOOT_201))["status"] == "Accepted"
        for evse in range(1, evses + 1):
            await station.status(evse, 1, "Available")
        return station

    async def call(self, action: str, payload: dict[str, Any]) -> dict[str, Any]:
        frame = await self.raw.call(action, payload)
        assert frame[0] == 3, frame  # a CALLRESULT: the CSMS took the message
        answer: dict[str, Any] = frame[2]
        return answer

    async def status(self, evse: int, connector: int, status: str) -> None:
        payload = {
            "timestamp": timestamp(),
            "connectorStatus": status,
            "evseId": evse,
            "connectorId": connector,
        }
        assert await self.call("StatusNotification", payload) == {}

    async def availability(self, evse: int, connector: int, status: str) -> None:
        """A connector's new state as a case reports it: StatusNotification, and NotifyEvent of
        Connector.AvailabilityState (trigger Delta)."""
        await self.status(evse, connector, status)
        self._notify_seq += 1
        event = {
            "eventId": self._notify_seq,
            "timestamp": timestamp(),
            "trigger": "Delta",
            "actualValue": status,
            "eventNotificationType": "HardWiredNotification",
            "component": {"name": "Connector", "evse": {"id": evse, "connectorId": connector}},
            "variable": {"name": "AvailabilityState"},
        }
        payload = {"generatedAt": timestamp(), "seqNo": 0, "eventData": [event]}
        assert await self.call("NotifyEvent", payload) == {}

    async def authorize(self, token: str) -> dict[str, Any]:
        answer = await self.call("Authorize", {"idToken": {"idToken": token, "type": "ISO14443"}})
        info: dict[str, Any] = answer["idTokenInfo"]
        return info

    async def event(
        self,
        kind: str,
        trigger: str,
        transaction: str,
        *,
        token: str | None = None,
        evse: int | None = None,
        state: str | None = None,
        stopped: str | None = None,
        remote_start_id: int | None = None,
        token_type: str = "ISO14443",
        **extra: Any,
    ) -> dict[str, Any]:
        """Send a TransactionEvent of ``kind`` (Started, Updated, Ended); returns the answer."""
        seq = self._seq.get(transaction, -1) + 1
        self._seq[transaction] = seq
        info: dict[str, Any] = {"transactionId": transaction}
        if remote_start_id is not None:
            info["remoteStartId"] = remote_start_id
        if state is not None:
            info["chargingState"] = state
        if stopped is not None:
            info["stoppedReason"] = stopped
        payload: dict[str, Any] = {
            "eventType": kind,
            "timestamp": timestamp(),
            "triggerReason": trigger,
            "seqNo": seq,
            "transactionInfo": info,
            **extra,
        }
        if token is not None:
            payload["idToken"] = {"idToken": token, "type": token_type}
        if evse is not None:
            payload["evse"] = {"id": evse, "connectorId": 1}
        return await self.call("TransactionEvent", payload)

    async def close(self) -> None:
        await self.raw.close()


async def evse_status(server: Runtime, station_id: str, evse: int, connector: int = 1) -> str:
    for state in await server.domain.stations.connectors(station_id):
        if (state.evse_id, state.connector_id) == (evse, connector):
            return state.status
    raise AssertionError(f"no status stored for EVSE {evse} connector {connector}")
