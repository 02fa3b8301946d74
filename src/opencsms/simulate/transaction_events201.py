"""TransactionEvents of a simulated 2.0.1/2.1 station: what they carry, and how they reach the CSMS.

Every TransactionEvent goes through a :class:`TransactionEventOutbox`, a FIFO that delivers one
event at a time, in the order they happened:

* E12 (offline): an event that happens while the connection is down is kept with
  ``offline: true`` and its own timestamp; :meth:`TransactionEventOutbox.replay`, called on
  reconnection, delivers the kept events in order before the station sends anything else (the
  station holds its other messages back until the replay is over).
* An event whose answer never came because the connection closed stays first in line and is
  sent again, unchanged (same seqNo), on the next replay: the CSMS must answer it idempotently.
* E13 (not accepted): an event answered with a CALLERROR, or not answered in time, is tried
  again after MessageAttemptInterval x attempt, up to MessageAttempts (OCPPCommCtrlr, instance
  TransactionEvent) when running autonomously, then dropped; step by step, the first failure is
  raised at once so tests see it.
* E01.FR.07 / "Sequence Number Generation": seqNo counts from 0 per transaction (OCPP 2.0.1
  edition 2 recommends a per-transaction counter), see ``Transaction201.next_seq_no``.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from dataclasses import dataclass
from typing import TYPE_CHECKING

from opencsms.ocppj import OcppError, UsageError
from opencsms.simulate.ev import MeterValue
from opencsms.simulate.state import Transaction201
from opencsms.transport.connection import CallFailed, ConnectionLost, Payload

if TYPE_CHECKING:
    from opencsms.simulate.station201 import SimulatedStation201

log = logging.getLogger(__name__)

#: The triggerReason of an Ended event, by its stoppedReason (ReasonEnumType -> TriggerReasonEnumType).
STOP_TRIGGERS: dict[str, str] = {
    "DeAuthorized": "Deauthorized",
    "EnergyLimitReached": "EnergyLimitReached",
    "EVDisconnected": "EVCommunicationLost",
    "ImmediateReset": "ResetCommand",
    "Local": "StopAuthorized",
    "Remote": "RemoteStop",
    "TimeLimitReached": "TimeLimitReached",
    "Timeout": "EVConnectTimeout",
}


def transaction_event(
    event_type: str,
    transaction: Transaction201,
    *,
    trigger_reason: str,
    timestamp: str,
    meter_value: MeterValue | None = None,
    evse_id: int | None = None,
    stopped_reason: str | None = None,
) -> Payload:
    """A TransactionEventRequest taking the transaction's next seqNo. Only a Started event
    carries the idToken and the remoteStartId; the EVSE is named when ``evse_id`` is given."""
    info: Payload = {"transactionId": transaction.transaction_id, "chargingState": transaction.charging_state}
    if stopped_reason is not None:
        info["stoppedReason"] = stopped_reason
    payload: Payload = {
        "eventType": event_type,
        "timestamp": timestamp,
        "triggerReason": trigger_reason,
        "seqNo": transaction.next_seq_no(),
        "transactionInfo": info,
    }
    if event_type == "Started":
        if transaction.remote_start_id is not None:
            info["remoteStartId"] = transaction.remote_start_id
        if transaction.reservation_id is not None:
            payload["reservationId"] = transaction.reservation_id
        if transaction.id_token is not None:
            payload["idToken"] = dict(transaction.id_token)
    if evse_id is not None:
        payload["evse"] = {"id": evse_id, "connectorId": transaction.connector_id}
    if meter_value is not None:
        payload["meterValue"] = [meter_value]
    return payload


@dataclass(slots=True, eq=False)
class QueuedEvent:
    """One TransactionEvent on its way; ``answer`` or ``error`` once it is done with."""

    payload: Payload
    attempts: int = 0
    done: bool = False
    answer: Payload | None = None
    error: CallFailed | OcppError | None = None


class TransactionEventOutbox:
    """The FIFO of one station's TransactionEvents (see the module docstring)."""

    def __init__(self, station: SimulatedStation201) -> None:
        self._station = station
        self._queue: deque[QueuedEvent] = deque()
        self._delivering = asyncio.Lock()
        self.replayed = asyncio.Event()  # clear while a replay runs: other messages wait for it
        self.replayed.set()
        self.last_delivered: Payload | None = None  # the last event the CSMS answered

    def __len__(self) -> int:
        return len(self._queue)

    def pending(self, transaction_id: str | None = None) -> int:
        """How many events wait (for one transaction, or all)."""
        return sum(
            1
            for event in self._queue
            if transaction_id is None or event.payload["transactionInfo"]["transactionId"] == transaction_id
        )

    def waiting(self) -> list[Payload]:
        """The payloads waiting, first in line first."""
        return [event.payload for event in self._queue]

    async def send(self, payload: Payload) -> Payload | None:
        """Deliver ``payload`` after the events before it. Returns the CSMS's answer, or None
        when the event waits for a reconnection (offline now, or the connection closed before
        the answer).

        Raises:
            CallFailed, OcppError: this event was not accepted (after its attempts); it is dropped.
        """
        event = QueuedEvent(payload)
        if not self._station.connected:
            payload["offline"] = True
            self._station.stats.events_queued += 1
            self._queue.append(event)
            return None
        self._queue.append(event)
        async with self._delivering:
            while not event.done:
                if not await self._deliver(self._queue[0]):
                    return None
        if event.error is not None:
            raise event.error
        return event.answer

    async def replay(self) -> int:
        """Deliver every waiting event, in order; returns how many were done with. Stops early,
        keeping the rest, when the connection closes. Other messages of the station wait meanwhile."""
        if not self._queue:
            return 0
        self.replayed.clear()
        done = 0
        try:
            async with self._delivering:
                while self._queue and await self._deliver(self._queue[0]):
                    done += 1
        finally:
            self.replayed.set()
        return done

    async def resend_last(self) -> Payload:
        """Send the last answered event again, unchanged, as a station does whose answer was
        lost; returns the CSMS's (second) answer.

        Raises:
            UsageError: no event was answered yet.
            CallFailed, OcppError: as ``SimulatedStation201.call``.
        """
        if self.last_delivered is None:
            raise UsageError("no TransactionEvent was delivered yet")
        async with self._delivering:
            return await self._station.call("TransactionEvent", self.last_delivered)

    async def _deliver(self, event: QueuedEvent) -> bool:
        """Send the first event in line; False when the connection closed first (it stays)."""
        station = self._station
        attempts = station.transaction_message_attempts if station.autonomous else 1
        while True:
            event.attempts += 1
            try:
                answer = await station.call("TransactionEvent", event.payload)
            except ConnectionLost:
                return False
            except CallFailed as exc:
                if event.attempts < attempts:
                    log.info(
                        "%s: TransactionEvent attempt %d failed: %s", station.station_id, event.attempts, exc
                    )
                    await asyncio.sleep(station.transaction_message_interval * event.attempts)
                    continue
                self._finish(event, error=exc)
                return True
            except OcppError as exc:  # our own payload is invalid: no attempt can do better
                self._finish(event, error=exc)
                return True
            self._finish(event, answer=answer)
            return True

    def _finish(
        self,
        event: QueuedEvent,
        *,
        answer: Payload | None = None,
        error: CallFailed | OcppError | None = None,
    ) -> None:
        self._queue.popleft()
        event.done, event.answer, event.error = True, answer, error
        if error is not None:
            log.info(
                "%s: TransactionEvent seqNo %s dropped: %s",
                self._station.station_id,
                event.payload["seqNo"],
                error,
            )
        else:
            self.last_delivered = event.payload
