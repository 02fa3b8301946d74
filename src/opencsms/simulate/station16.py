"""A simulated OCPP 1.6J charge point, driven by the same OCPP-J core and connection as the CSMS.

Two ways to use it:

* step by step, as tests do: ``connect``, ``boot``, ``send_status``, ``start_transaction``,
  ``send_meter_values``, ``stop_transaction``, ``disconnect``; each sends exactly one message
  (``sessions16`` adds the StatusNotifications a real station sends around a transaction);
* on its own, as demos and load tests do: :meth:`SimulatedStation16.run` (see ``autopilot``).

Either way the station answers the CSMS's calls (``handlers16``). What does not depend on the
version (connection, background tasks, Heartbeat, metering loop) is in ``station_base``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from opencsms.ocppj import V16, Call, UsageError
from opencsms.simulate.configuration16 import Configuration16, default_values, format_number
from opencsms.simulate.ev import ocpp_timestamp, periodic_sample, register_sample
from opencsms.simulate.handlers16 import answer
from opencsms.simulate.reservations16 import Reservation16, take_reservation
from opencsms.simulate.sessions16 import end_session, start_session
from opencsms.simulate.state import ConnectorState, StationConfig, Transaction
from opencsms.simulate.station_base import SimulatedStationBase
from opencsms.transport.connection import CallFailed, ConnectionLost, Payload, Validator

log = logging.getLogger(__name__)


class SimulatedStation16(SimulatedStationBase):
    """A virtual 1.6 charge point with ``config.connectors`` connectors."""

    def __init__(self, config: StationConfig, *, validator: Validator | None = None) -> None:
        """Raises ValueError: the configuration has no connector."""
        if config.connectors < 1:
            raise ValueError("a station needs at least one connector")
        super().__init__(config, V16, validator=validator)
        self.connectors: dict[int, ConnectorState] = {
            n: ConnectorState(
                n,
                max_power_w=config.connector_max_power(n),
                energy_wh=round(self.rng.uniform(1e3, 1e5), 1),
            )
            for n in range(1, config.connectors + 1)
        }
        self.station_status = "Available"  # connector 0: the station as a whole
        self.reservations: dict[int, Reservation16] = {}  # by connector
        self.local_list: dict[str, Payload] = {}  # idTag -> idTagInfo
        self.local_list_version = 0
        self.configuration = Configuration16(
            default_values(
                connectors=config.connectors,
                heartbeat_interval=config.heartbeat_interval,
                meter_interval=config.meter_interval,
            ),
            on_change=self._apply_configuration,
        )

    # -- state ------------------------------------------------------------------------------------

    @property
    def point_ids(self) -> list[int]:
        return list(self.connectors)

    def point(self, point_id: int) -> ConnectorState:
        return self.connector(point_id)

    @property
    def meter_interval(self) -> float:
        """MeterValueSampleInterval in seconds; 0 means no periodic samples."""
        return self.configuration.number("MeterValueSampleInterval")

    def connector(self, connector_id: int) -> ConnectorState:
        """Raises UsageError: the station has no such connector."""
        try:
            return self.connectors[connector_id]
        except KeyError:
            raise UsageError(f"{self.station_id} has no connector {connector_id}") from None

    def _apply_configuration(self, name: str, value: str) -> None:
        # Other keys are read where they are used, so a change applies from the next use on.
        if name == "HeartbeatInterval":
            super().store_heartbeat_interval(float(value))

    def store_heartbeat_interval(self, seconds: float) -> None:
        self.configuration.set("HeartbeatInterval", format_number(seconds))
        super().store_heartbeat_interval(seconds)

    async def answer(self, call: Call) -> Payload:
        """The answer to a CSMS -> station CALL (``handlers16``).

        Raises:
            OcppError: NotImplemented for an unknown action, NotSupported for a 1.6 action this
                simulator does not implement.
        """
        return await answer(self, call)

    async def resume(self) -> None:
        await self.announce_statuses()

    async def begin_session(self, point_id: int, id_token: str, *, planned_seconds: float) -> None:
        await start_session(self, point_id, id_token, planned_seconds=planned_seconds)

    async def end_session(self, point_id: int, reason: str = "Local") -> None:
        await end_session(self, point_id, reason)

    # -- station -> CSMS, one message each --------------------------------------------------------

    async def boot(self) -> str:
        """Send BootNotification; returns its status. Accepted applies ``interval`` as the
        heartbeat interval and puts the station :attr:`online`. Raises what :meth:`call` raises."""
        payload: Payload = {
            "chargePointVendor": self.config.vendor,
            "chargePointModel": self.config.model,
            "chargePointSerialNumber": (self.config.serial_number or f"SN-{self.station_id}")[:25],
            "firmwareVersion": self.config.firmware_version,
        }
        self.stats.boots += 1
        return self.registered(await self.call("BootNotification", payload))

    async def send_status(
        self, connector_id: int, status: str, error_code: str = "NoError", info: str | None = None
    ) -> None:
        """Set the connector's status (0: the station) and send StatusNotification.

        Raises:
            UsageError: no such connector.
            CallFailed, OcppError: as :meth:`call`; the local status has changed all the same.
        """
        if connector_id == 0:
            self.station_status = status
        else:
            self.connector(connector_id).status = status
        payload: Payload = {
            "connectorId": connector_id,
            "errorCode": error_code,
            "status": status,
            "timestamp": ocpp_timestamp(),
        }
        if info is not None:
            payload["info"] = info
        await self.call("StatusNotification", payload)

    async def announce_statuses(self) -> None:
        """StatusNotification for connector 0 and every connector, as after a boot; a connector
        with no transaction shows its idle status (Available or Unavailable)."""
        await self.send_status(0, self.station_status)
        for connector in self.connectors.values():
            status = connector.status if connector.transaction is not None else connector.idle_status
            await self.send_status(connector.connector_id, status)

    async def authorize(self, id_tag: str) -> str:
        """Send Authorize; returns idTagInfo.status. Raises what :meth:`call` raises."""
        result = await self.call("Authorize", {"idTag": id_tag})
        return str(result["idTagInfo"]["status"])

    async def start_transaction(
        self, connector_id: int, id_tag: str, *, planned_seconds: float | None = None
    ) -> int:
        """Send StartTransaction (meterStart: the register) and start charging the EV model.

        Returns the transactionId; the tag's status is in ``connector(n).transaction.id_tag_status``.

        Raises:
            UsageError: no such connector, or it already has a transaction.
            CallFailed, OcppError: as :meth:`call`; no transaction is started.
        """
        connector = self.connector(connector_id)
        if connector.transaction is not None:
            raise UsageError(
                f"connector {connector_id} already has transaction {connector.transaction.transaction_id}"
            )
        started_at = ocpp_timestamp()
        session = self.new_charging_session(connector, planned_seconds)
        meter_start = connector.energy_wh
        payload: Payload = {
            "connectorId": connector_id,
            "idTag": id_tag,
            "meterStart": round(meter_start),
            "timestamp": started_at,
        }
        reservation_id = take_reservation(self, connector_id, id_tag)
        if reservation_id is not None:
            payload["reservationId"] = reservation_id
        result = await self.call("StartTransaction", payload)
        connector.transaction = Transaction(
            int(result["transactionId"]),
            id_tag,
            meter_start,
            started_at,
            session,
            id_tag_status=str(result["idTagInfo"]["status"]),
        )
        self.stats.sessions_started += 1
        return connector.transaction.transaction_id

    async def send_meter_values(self, connector_id: int, context: str = "Sample.Periodic") -> None:
        """Advance the EV model and send one MeterValues sample (with the transactionId if any).

        Raises:
            UsageError: no such connector.
            CallFailed, OcppError: as :meth:`call`.
        """
        connector = self.connector(connector_id)
        connector.advance(asyncio.get_running_loop().time())
        transaction = connector.transaction
        sample = periodic_sample(
            ocpp_timestamp(),
            connector.energy_wh,
            connector.power_w,
            phases=self.config.phases,
            rng=self.rng,
            soc_percent=transaction.session.vehicle.soc_percent if transaction is not None else None,
            context=context,
        )
        payload: Payload = {"connectorId": connector_id, "meterValue": [sample]}
        if transaction is not None:
            payload["transactionId"] = transaction.transaction_id
        await self.call("MeterValues", payload)

    def finish_transaction(self, connector_id: int, reason: str) -> Payload:
        """End the connector's transaction locally now; returns the StopTransaction payload to send
        (meterStop and a Transaction.Begin/End sample in transactionData).

        Raises:
            UsageError: no such connector, or it has no transaction.
        """
        connector = self.connector(connector_id)
        transaction = connector.take_transaction(asyncio.get_running_loop().time())
        if transaction is None:
            raise UsageError(f"connector {connector_id} has no transaction")
        stopped_at = ocpp_timestamp()
        self.stats.sessions_completed += 1
        return {
            "transactionId": transaction.transaction_id,
            "idTag": transaction.id_tag,
            "meterStop": round(connector.energy_wh),
            "timestamp": stopped_at,
            "reason": reason,
            "transactionData": [
                register_sample(transaction.started_at, transaction.meter_start_wh, "Transaction.Begin"),
                register_sample(stopped_at, connector.energy_wh, "Transaction.End"),
            ],
        }

    async def stop_transaction(self, connector_id: int, reason: str = "Local") -> Payload:
        """End the connector's transaction and send StopTransaction; returns the CSMS's answer.

        Raises:
            UsageError: no such connector, or it has no transaction.
            CallFailed, OcppError: as :meth:`call` (after the retries of :meth:`send_transaction_message`).
        """
        return await self.send_transaction_message(
            "StopTransaction", self.finish_transaction(connector_id, reason)
        )

    async def send_transaction_message(self, action: str, payload: Payload) -> Payload:
        """Send a transaction message. Running autonomously, a failed attempt is repeated
        (TransactionMessageAttempts, waiting TransactionMessageRetryInterval x attempt, or until
        back online), since a lost StopTransaction loses billing data (1.6 section 4.10).

        Raises:
            CallFailed, OcppError: as :meth:`call`, once the attempts are used up.
        """
        attempts = max(1, int(self.configuration.number("TransactionMessageAttempts")))
        retry_seconds = self.configuration.number("TransactionMessageRetryInterval")
        for attempt in range(1, attempts + 1):
            try:
                return await self.call(action, payload)
            except CallFailed as exc:
                if not self.autonomous or attempt == attempts:
                    raise
                log.info("%s: %s attempt %d failed: %s", self.station_id, action, attempt, exc)
                if isinstance(exc, ConnectionLost):
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self.online.wait(), retry_seconds * attempt)
                else:
                    await asyncio.sleep(retry_seconds * attempt)
        raise AssertionError("unreachable")  # pragma: no cover

    # -- Reset and autonomous running -------------------------------------------------------------

    async def reset(self, kind: str) -> None:
        """Reset (1.6 section 5.14): stop transactions (reason SoftReset/HardReset), drop the
        connection, reconnect and boot again. Running autonomously, run() reconnects and boots.

        Raises:
            OSError, websockets.exceptions.InvalidHandshake, TimeoutError: reconnecting failed.
            CallFailed, OcppError: booting again failed.
        """
        self.stats.resets += 1
        self.online.clear()  # from now on, drivers and RemoteStarts wait for the next boot
        await self.stop_all_transactions("HardReset" if kind == "Hard" else "SoftReset")
        await self.reboot()
