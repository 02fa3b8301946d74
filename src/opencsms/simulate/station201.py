"""A simulated OCPP 2.0.1 (or 2.1: same messages, subprotocol ``ocpp2.1``) charging station.

EVSEs (``config.evses``) of ``config.connectors_per_evse`` connectors each; transactions and
metering are per EVSE, statuses per connector. Used like the 1.6 station:

* step by step: ``connect``, ``boot``, ``send_status``, ``heartbeat``, ``authorize``,
  ``start_transaction``, ``send_meter_values``, ``stop_transaction``, ``disconnect``, ``call``;
  each sends one message. Test hooks: ``go_offline``/``go_online`` (events meanwhile are kept
  and replayed, see ``transaction_events201``) and ``resend_last_transaction_event``;
* on its own: :meth:`SimulatedStation201.run` (``autopilot``, flows in ``sessions201``).

It answers the CSMS's calls (``handlers201``) and keeps a device model (``device_model201``).
"""

from __future__ import annotations

import asyncio
import uuid

from opencsms.ocppj import V21, V201, Call, UsageError
from opencsms.simulate import sessions201
from opencsms.simulate.configuration16 import format_number
from opencsms.simulate.device_model201 import Component, VariableSpec, standard_device_model
from opencsms.simulate.ev import meter_value_201, ocpp_timestamp, periodic_readings, register_reading
from opencsms.simulate.handlers201 import answer
from opencsms.simulate.reservations201 import Reservation201, take_reservation
from opencsms.simulate.state import EvseState, StationConfig, Transaction201
from opencsms.simulate.station_base import SimulatedStationBase
from opencsms.simulate.transaction_events201 import STOP_TRIGGERS, TransactionEventOutbox, transaction_event
from opencsms.transport.connection import Payload, Validator

#: Messages that do not wait for the replay of queued TransactionEvents.
_NOT_HELD_BACK = frozenset({"TransactionEvent", "BootNotification"})
_IDLE_STATUSES = frozenset({"Available", "Unavailable"})


class SimulatedStation201(SimulatedStationBase):
    """A virtual 2.0.1 (``version="2.1"``: 2.1) charging station."""

    meters_while_offline = True

    def __init__(
        self, config: StationConfig, *, validator: Validator | None = None, version: str = V201
    ) -> None:
        """Raises ValueError (no EVSE, or an EVSE without connector) or UsageError (``version``
        is not 2.0.1 or 2.1)."""
        if version not in (V201, V21):
            raise UsageError(f"SimulatedStation201 speaks 2.0.1 and 2.1, not {version}")
        if config.evses < 1 or config.connectors_per_evse < 1:
            raise ValueError("a station needs at least one EVSE with at least one connector")
        super().__init__(config, version, validator=validator)
        connector_ids = range(1, config.connectors_per_evse + 1)
        self.evses: dict[int, EvseState] = {
            n: EvseState(
                n,
                {c: "Available" for c in connector_ids},
                max_power_w=config.connector_max_power(n),
                energy_wh=round(self.rng.uniform(1e3, 1e5), 1),
            )
            for n in range(1, config.evses + 1)
        }
        self.inoperative_connectors: set[tuple[int, int]] = set()  # (evseId, connectorId)
        self.device_model = standard_device_model(
            config, on_change=self._apply_variable, evse_power=lambda n: self.evses[n].power_w
        )
        self.outbox = TransactionEventOutbox(self)
        self.boot_reason = "PowerUp"  # of the next BootNotification
        self.reset_scheduled = False  # an OnIdle Reset waits for the last transaction to end
        self.reservations: dict[int, Reservation201] = {}  # by EVSE
        self.local_list: dict[str, Payload] = {}  # idToken -> idTokenInfo
        self.local_list_version = 0
        #: B09 SetNetworkProfile slots: (security profile, CSMS url)
        self.network_profiles: dict[int, tuple[int, str]] = {}
        self._reported: dict[tuple[int, int], str] = {}  # connector statuses the CSMS was told

    # -- state ------------------------------------------------------------------------------------

    @property
    def point_ids(self) -> list[int]:
        return list(self.evses)

    def point(self, point_id: int) -> EvseState:
        return self.evse(point_id)

    def evse(self, evse_id: int) -> EvseState:
        """Raises UsageError: the station has no such EVSE."""
        try:
            return self.evses[evse_id]
        except KeyError:
            raise UsageError(f"{self.station_id} has no EVSE {evse_id}") from None

    def evse_of(self, transaction_id: str) -> EvseState | None:
        """The EVSE where ``transaction_id`` runs, if it runs."""
        return next(
            (
                e
                for e in self.evses.values()
                if e.transaction and e.transaction.transaction_id == transaction_id
            ),
            None,
        )

    @property
    def meter_interval(self) -> float:
        """SampledDataCtrlr.TxUpdatedInterval in seconds; 0 means no periodic samples."""
        return self.device_model.number("SampledDataCtrlr", "TxUpdatedInterval")

    @property
    def transaction_message_attempts(self) -> int:
        return max(1, int(self.device_model.number("OCPPCommCtrlr", "MessageAttempts", "TransactionEvent")))

    @property
    def transaction_message_interval(self) -> float:
        return self.device_model.number("OCPPCommCtrlr", "MessageAttemptInterval", "TransactionEvent")

    @property
    def needs_boot(self) -> bool:
        """After power-up or a reset; a mere reconnection does not boot again (B01)."""
        return self.registration != "Accepted"

    def idle_status(self, evse_id: int, connector_id: int) -> str:
        """What the connector shows with no session on it."""
        operative = (
            self.evse(evse_id).operative and (evse_id, connector_id) not in self.inoperative_connectors
        )
        return "Available" if operative else "Unavailable"

    def _apply_variable(self, spec: VariableSpec, value: str) -> None:
        # Other variables are read where they are used, so a change applies from the next use on.
        if spec.component.name == "OCPPCommCtrlr" and spec.name == "HeartbeatInterval":
            super().store_heartbeat_interval(float(value))
        elif spec.component.name == "SecurityCtrlr" and spec.name == "BasicAuthPassword":
            # A01: the station reconnects with the new password once it has answered.
            self.security.password = value
            self.spawn(self.reconnect_with_new_credentials(), "reconnect")

    def set_network_profile(self, slot: int, connection_data: Payload) -> str:
        """B09: keep the profile in ``slot``; Rejected for a lower security profile than the one in
        use (A05.FR.02: no downgrade) or no OCPP-J url."""
        profile = connection_data.get("securityProfile")
        url = connection_data.get("ocppCsmsUrl")
        if (
            not isinstance(profile, int)
            or not isinstance(url, str)
            or connection_data.get("ocppTransport") != "JSON"
        ):
            return "Rejected"
        if profile < self.security.profile:
            return "Rejected"
        self.network_profiles[slot] = (profile, url)
        return "Accepted"

    def _network_after_reboot(self) -> None:
        # B10: after a reboot the station connects with the first profile of
        # NetworkConfigurationPriority it has (a SetNetworkProfile slot).
        priority = self.device_model.value("OCPPCommCtrlr", "NetworkConfigurationPriority").split(",")
        for slot in priority:
            if slot.strip().isdigit() and int(slot) in self.network_profiles:
                profile, url = self.network_profiles[int(slot)]
                if (profile, url) != (self.security.profile, self.security.url or self.config.url):
                    self.security.next_connection = (profile, url)
                    self.device_model.set("SecurityCtrlr", "SecurityProfile", str(profile))
                return

    def store_heartbeat_interval(self, seconds: float) -> None:
        self.device_model.set("OCPPCommCtrlr", "HeartbeatInterval", format_number(seconds))
        super().store_heartbeat_interval(seconds)

    async def answer(self, call: Call) -> Payload:
        """The answer to a CSMS -> station CALL (``handlers201``).

        Raises:
            OcppError: NotImplemented for an unknown action, NotSupported for an action of this
                version the simulator does not implement, or what the payload lacks.
        """
        return await answer(self, call)

    async def begin_session(self, point_id: int, id_token: str, *, planned_seconds: float) -> None:
        await sessions201.start_session(self, point_id, id_token, planned_seconds=planned_seconds)

    async def end_session(self, point_id: int, reason: str = "Local") -> None:
        await sessions201.end_session(self, point_id, reason)

    # -- connection -------------------------------------------------------------------------------

    async def call(self, action: str, payload: Payload, timeout: float | None = None) -> Payload:
        """Send a CALL and return the CALLRESULT payload; while queued TransactionEvents are
        being replayed, other messages wait for the replay to end (E12).

        Raises:
            ConnectionLost: not connected, or the connection closed before the answer.
            CallTimeout, CallErrorReceived: the CSMS did not answer in time, or with a CALLERROR.
            OcppError: a validator is set and ``payload`` is invalid (nothing was sent).
        """
        if action not in _NOT_HELD_BACK:
            await self.outbox.replayed.wait()
        return await super().call(action, payload, timeout)

    async def resume(self) -> None:
        """On a new connection, once registered: replay the queued TransactionEvents, then the
        connector statuses the CSMS was not told yet (all of them after a boot)."""
        await self.outbox.replay()
        if self.registration == "Accepted" and self.connected:
            self.online.set()
        await self.announce_statuses(changed_only=True)

    async def go_offline(self) -> None:
        """Lose the connection (a test hook): transactions go on, their events wait."""
        await self.drop_connection()

    async def go_online(self) -> None:
        """Reconnect (a test hook): boot only when not registered since power-up, then
        :meth:`resume`: the queued events go first.

        Raises:
            OSError, websockets.exceptions.InvalidHandshake, TimeoutError: connecting failed.
            CallFailed, OcppError: a message failed.
        """
        await self.connect()
        if self.needs_boot and await self.boot() != "Accepted":
            return
        await self.resume()

    # -- station -> CSMS, one message each --------------------------------------------------------

    async def boot(self, reason: str | None = None) -> str:
        """Send BootNotification (reason: ``reason``, else PowerUp, or RemoteReset after a
        Reset); returns its status. Accepted applies ``interval`` as the heartbeat interval and
        puts the station :attr:`online`. Raises what :meth:`call` raises."""
        config = self.config
        payload: Payload = {
            "reason": reason or self.boot_reason,
            "chargingStation": {
                "model": config.model[:20],
                "vendorName": config.vendor[:50],
                "serialNumber": (config.serial_number or f"SN-{self.station_id}")[:25],
                "firmwareVersion": config.firmware_version[:50],
            },
        }
        self.stats.boots += 1
        status = self.registered(await self.call("BootNotification", payload))
        if status == "Accepted":
            self.boot_reason = "PowerUp"
        return status

    async def send_status(self, evse_id: int, connector_id: int, status: str) -> None:
        """Set the connector's status and send StatusNotification.

        Raises:
            UsageError: no such EVSE or connector.
            CallFailed, OcppError: as :meth:`call`; the local status has changed all the same.
        """
        evse = self.evse(evse_id)
        if connector_id not in evse.connector_status:
            raise UsageError(f"{self.station_id} has no connector {connector_id} on EVSE {evse_id}")
        evse.set_connector_status(connector_id, status)
        self.device_model.set(Component("Connector", evse_id=evse_id, connector_id=connector_id),
                              "AvailabilityState", status)  # fmt: skip
        self.device_model.set(Component("EVSE", evse_id=evse_id), "AvailabilityState", evse.status)
        payload: Payload = {
            "timestamp": ocpp_timestamp(),
            "connectorStatus": status,
            "evseId": evse_id,
            "connectorId": connector_id,
        }
        await self.call("StatusNotification", payload)
        self._reported[(evse_id, connector_id)] = status

    async def announce_statuses(self, *, changed_only: bool = False) -> None:
        """StatusNotification for every connector (``changed_only``: those whose status the CSMS
        was not told); an idle connector shows whether it is operative (Available/Unavailable)."""
        for evse in self.evses.values():
            for connector_id, status in list(evse.connector_status.items()):
                if status in _IDLE_STATUSES and evse.transaction is None and not evse.claimed:
                    status = self.idle_status(evse.evse_id, connector_id)
                if not changed_only or self._reported.get((evse.evse_id, connector_id)) != status:
                    await self.send_status(evse.evse_id, connector_id, status)

    async def authorize(self, id_token: str, token_type: str = "ISO14443") -> str:
        """Send Authorize for ``id_token`` of IdTokenEnumType ``token_type``; returns
        idTokenInfo.status. Raises what :meth:`call` raises."""
        result = await self.call("Authorize", {"idToken": {"idToken": id_token, "type": token_type}})
        return str(result["idTokenInfo"]["status"])

    async def start_transaction(
        self,
        evse_id: int,
        id_token: str | None,
        *,
        token_type: str = "ISO14443",
        trigger_reason: str = "Authorized",
        remote_start_id: int | None = None,
        connector_id: int = 1,
        planned_seconds: float | None = None,
    ) -> str:
        """Start a transaction (the EV model charges from now on) and send TransactionEvent
        Started with a Transaction.Begin register sample; returns its transactionId, a UUID.

        The transaction runs whatever the answer: the station owns it. The token's status
        (idTokenInfo of the answer; Accepted while offline) is in ``evse(n).transaction``.

        Raises:
            UsageError: no such EVSE or connector, or the EVSE already has a transaction.
            CallFailed, OcppError: the event was not accepted (see ``transaction_events201``).
        """
        evse = self.evse(evse_id)
        if evse.transaction is not None:
            raise UsageError(f"EVSE {evse_id} already has transaction {evse.transaction.transaction_id}")
        if connector_id not in evse.connector_status:
            raise UsageError(f"{self.station_id} has no connector {connector_id} on EVSE {evse_id}")
        started_at = ocpp_timestamp()
        transaction = Transaction201(
            str(uuid.uuid4()),
            None if id_token is None else {"idToken": id_token, "type": token_type},
            evse.energy_wh,
            started_at,
            self.new_charging_session(evse, planned_seconds),
            connector_id=connector_id,
            remote_start_id=remote_start_id,
            reservation_id=take_reservation(self, evse_id, id_token),
        )
        evse.transaction = transaction
        self.stats.sessions_started += 1
        begin = meter_value_201(started_at, [register_reading(evse.energy_wh)], "Transaction.Begin")
        result = await self.send_transaction_event(
            transaction_event(
                "Started",
                transaction,
                trigger_reason=trigger_reason,
                timestamp=started_at,
                meter_value=begin,
                evse_id=evse_id,
            )
        )
        if result is not None and "idTokenInfo" in result:
            transaction.id_token_status = str(result["idTokenInfo"]["status"])
        return transaction.transaction_id

    def sample(self, evse_id: int, context: str = "Sample.Periodic") -> Payload:
        """Advance the EV model; one MeterValue of the EVSE: energy, power, current and voltage
        per phase, and the SoC while a transaction runs.

        Raises:
            UsageError: no such EVSE.
        """
        evse = self.evse(evse_id)
        evse.advance(asyncio.get_running_loop().time())
        transaction = evse.transaction
        readings = periodic_readings(
            evse.energy_wh,
            evse.power_w,
            phases=self.config.phases,
            rng=self.rng,
            soc_percent=transaction.session.vehicle.soc_percent if transaction is not None else None,
        )
        return meter_value_201(ocpp_timestamp(), readings, context)

    async def send_meter_values(
        self, evse_id: int, *, context: str = "Sample.Periodic", trigger_reason: str = "MeterValuePeriodic"
    ) -> None:
        """Send one :meth:`sample` of EVSE ``evse_id``: in a TransactionEvent Updated when a
        transaction runs there, else in MeterValues.

        Raises:
            UsageError: no such EVSE.
            CallFailed, OcppError: as :meth:`call` (an Updated event: as :meth:`send_transaction_event`).
        """
        sample = self.sample(evse_id, context)
        transaction = self.evse(evse_id).transaction
        if transaction is None:
            await self.call("MeterValues", {"evseId": evse_id, "meterValue": [sample]})
            return
        updated = transaction_event(
            "Updated",
            transaction,
            trigger_reason=trigger_reason,
            timestamp=sample["timestamp"],
            meter_value=sample,
        )
        await self.send_transaction_event(updated)

    def finish_transaction(
        self, evse_id: int, reason: str = "Local", *, trigger_reason: str | None = None
    ) -> Payload:
        """End the EVSE's transaction locally now; returns the TransactionEvent Ended to send
        (stoppedReason ``reason``, a Transaction.End register sample).

        Raises:
            UsageError: no such EVSE, or it has no transaction.
        """
        evse = self.evse(evse_id)
        transaction = evse.take_transaction(asyncio.get_running_loop().time())
        if transaction is None:
            raise UsageError(f"EVSE {evse_id} has no transaction")
        stopped_at = ocpp_timestamp()
        transaction.charging_state = "Idle" if reason == "EVDisconnected" else "EVConnected"
        self.stats.sessions_completed += 1
        end = meter_value_201(stopped_at, [register_reading(evse.energy_wh)], "Transaction.End")
        return transaction_event(
            "Ended",
            transaction,
            trigger_reason=trigger_reason or STOP_TRIGGERS.get(reason, "AbnormalCondition"),
            timestamp=stopped_at,
            meter_value=end,
            stopped_reason=reason,
        )

    async def stop_transaction(
        self, evse_id: int, reason: str = "Local", *, trigger_reason: str | None = None
    ) -> Payload | None:
        """End the EVSE's transaction and send TransactionEvent Ended; returns the CSMS's answer
        (None while offline: the event waits).

        Raises:
            UsageError: no such EVSE, or it has no transaction.
            CallFailed, OcppError: as :meth:`send_transaction_event`.
        """
        return await self.send_ended(self.finish_transaction(evse_id, reason, trigger_reason=trigger_reason))

    async def send_ended(self, ended: Payload) -> Payload | None:
        """Send an Ended event from :meth:`finish_transaction`; a Reset waiting for the station to
        be idle (OnIdle) follows once no transaction is left. Raises what
        :meth:`send_transaction_event` raises."""
        try:
            return await self.send_transaction_event(ended)
        finally:
            if self.reset_scheduled and self.charging == 0:
                self.reset_scheduled = False
                self.spawn(self.reset("Immediate"), "reset")

    async def send_transaction_event(self, payload: Payload) -> Payload | None:
        """Hand a TransactionEvent to the outbox: delivered in order, kept while offline.
        Returns the answer, or None when the event waits for a reconnection.

        Raises:
            CallFailed, OcppError: the event was not accepted (after its attempts).
        """
        return await self.outbox.send(payload)

    async def replay_queued_events(self) -> int:
        """Deliver the events kept while offline, in order; returns how many were done with."""
        return await self.outbox.replay()

    async def resend_last_transaction_event(self) -> Payload:
        """Send the last answered TransactionEvent again, unchanged (same seqNo), as after a lost
        answer; returns the CSMS's answer. Raises UsageError (none yet) or what :meth:`call` raises."""
        return await self.outbox.resend_last()

    # -- Reset --------------------------------------------------------------------------------------

    async def reset(self, kind: str) -> None:
        """B11/B12: Immediate ends every transaction (stoppedReason ImmediateReset), then reboots:
        reconnect and BootNotification with reason RemoteReset. OnIdle with transactions running
        waits for the last one to end (:meth:`send_ended`).

        Raises:
            OSError, websockets.exceptions.InvalidHandshake, TimeoutError: reconnecting failed.
            CallFailed, OcppError: booting again failed.
        """
        if kind == "OnIdle" and self.charging:
            self.reset_scheduled = True
            return
        self.stats.resets += 1
        self.reset_scheduled = False
        self.online.clear()  # from now on, drivers and remote starts wait for the next boot
        await self.stop_all_transactions("ImmediateReset")
        self.registration = None
        self.boot_reason = "RemoteReset"
        self._reported.clear()
        for evse in self.evses.values():
            for connector_id in evse.connector_status:
                evse.set_connector_status(connector_id, self.idle_status(evse.evse_id, connector_id))
        self._network_after_reboot()
        self.security.apply_next_connection()
        await self.reboot()
