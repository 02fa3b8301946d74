"""What a simulated station is configured with, and what it keeps per connector (1.6) or EVSE
(2.x), per transaction and in counters."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Generic, Protocol, TypeVar

from opencsms.simulate.defaults import DEFAULT_ID_TAGS as DEFAULT_ID_TAGS
from opencsms.simulate.defaults import DEFAULT_URL as DEFAULT_URL
from opencsms.simulate.ev import ChargingSession


@dataclass(frozen=True, slots=True)
class StationConfig:
    """A simulated station. Durations are seconds and may be fractional, so tests run fast.

    ``max_power_w`` gives each connector's (1.6) or EVSE's (2.x) maximum power in turn; the last
    value repeats for the rest (``(22_000.0, 11_000.0)``: number 1 22 kW, 2 and later 11 kW).
    """

    station_id: str
    url: str = DEFAULT_URL
    connectors: int = 2  # 1.6
    evses: int = 2  # 2.x
    connectors_per_evse: int = 1  # 2.x
    vendor: str = "opencsms"
    model: str = "SimCharger"
    serial_number: str | None = None
    firmware_version: str = "sim-1.0"
    id_tags: tuple[str, ...] = DEFAULT_ID_TAGS
    max_power_w: float | Sequence[float] = 22_000.0
    phases: int = 3
    password: str | None = None  # OCPP security profile 1: HTTP Basic auth on the handshake
    #: OCPP security profile 0-3; None: 1 with a password, else 0. 2 and 3 need a wss:// url.
    security_profile: int | None = None
    client_cert: str | None = None  # PEM files of the station certificate and key (profile 3)
    client_key: str | None = None
    ca_cert: str | None = None  # PEM file of the CA the CSMS's server certificate chains to
    #: 1.6: the CSMS url to use after a SecurityProfile upgrade to each profile (1.6 has no way to
    #: send one; a 2.x station gets it in SetNetworkProfile).
    profile_urls: Mapping[int, str] = field(default_factory=dict)
    # Timings.
    meter_interval: float = 60.0
    heartbeat_interval: float = 300.0  # until the CSMS's BootNotification answer says otherwise
    session_seconds: float = 600.0
    idle_seconds: float = 120.0
    plug_in_seconds: float = 0.0  # after a remote start, until the driver plugs in
    unplug_seconds: float = 2.0  # Finishing until the cable is unplugged (Available)
    ramp_seconds: float = 10.0
    boot_retry_seconds: float = 30.0  # when Pending/Rejected come with interval 0
    reconnect_min_seconds: float = 1.0
    reconnect_max_seconds: float = 30.0
    call_timeout: float = 30.0
    ping_interval: float | None = 20.0
    seed: int | None = None

    def connector_max_power(self, connector_id: int) -> float:
        """The maximum power (W) of connector (1.6) or EVSE (2.x) ``connector_id`` (1-based)."""
        if isinstance(self.max_power_w, int | float):
            return float(self.max_power_w)
        powers = list(self.max_power_w) or [22_000.0]
        return float(powers[min(connector_id, len(powers)) - 1])


class RunningTransaction(Protocol):
    """What every version's transaction has: the EV model behind it, and an event set when it ends."""

    session: ChargingSession
    stopped: asyncio.Event


TransactionT = TypeVar("TransactionT", bound=RunningTransaction)


@dataclass(slots=True)
class Transaction:
    """A running 1.6 transaction; ``stopped`` is set the moment it ends, however it ends."""

    transaction_id: int
    id_tag: str
    meter_start_wh: float
    started_at: str
    session: ChargingSession
    id_tag_status: str = "Accepted"  # idTagInfo.status of the StartTransaction answer
    stopped: asyncio.Event = field(default_factory=asyncio.Event)


@dataclass(slots=True)
class Transaction201:
    """A running 2.0.1/2.1 transaction. The station owns its id (a UUID) and numbers its
    TransactionEvents from 0 (``seq_no``: the next one to use)."""

    transaction_id: str
    id_token: dict[str, str] | None  # IdTokenType: {"idToken", "type"}
    meter_start_wh: float
    started_at: str
    session: ChargingSession
    connector_id: int = 1
    remote_start_id: int | None = None
    reservation_id: int | None = None  # the reservation the transaction uses (H01.FR.20)
    id_token_status: str = "Accepted"  # idTokenInfo.status of the Started answer (Accepted while offline)
    charging_state: str = "Charging"
    seq_no: int = 0
    stopped: asyncio.Event = field(default_factory=asyncio.Event)

    def next_seq_no(self) -> int:
        """The seqNo of the next TransactionEvent: 0, 1, 2, ... within this transaction."""
        seq_no = self.seq_no
        self.seq_no += 1
        return seq_no


@dataclass(slots=True, kw_only=True)
class ChargingPoint(Generic[TransactionT]):
    """Where one vehicle charges at a time: a 1.6 connector, a 2.x EVSE."""

    max_power_w: float
    energy_wh: float  # the meter register; it never goes back
    status: str = "Available"
    operative: bool = True
    inoperative_scheduled: bool = False  # ChangeAvailability answered Scheduled
    claimed: bool = False  # a session is being set up on it
    transaction: TransactionT | None = None

    @property
    def power_w(self) -> float:
        return self.transaction.session.power_w if self.transaction is not None else 0.0

    @property
    def is_free(self) -> bool:
        """Nobody uses it and it may be used: a new session can start here."""
        return self.operative and not self.claimed and self.transaction is None and self.status == "Available"

    @property
    def idle_status(self) -> str:
        """The status it shows with no session on it."""
        return "Available" if self.operative else "Unavailable"

    def advance(self, now: float) -> None:
        """Move the EV model to ``now`` (loop time) and the register with it."""
        if self.transaction is not None:
            self.energy_wh += self.transaction.session.advance(now)

    def take_transaction(self, now: float) -> TransactionT | None:
        """End the transaction, if any, at ``now`` (loop time): the register is brought up to
        date, ``stopped`` is set and the point has no transaction any more. Returns it."""
        transaction = self.transaction
        if transaction is not None:
            self.advance(now)
            self.transaction = None
            transaction.stopped.set()
        return transaction


@dataclass(slots=True)
class ConnectorState(ChargingPoint[Transaction]):
    """A 1.6 connector."""

    connector_id: int


#: ConnectorStatusEnumType values, the most telling first: an EVSE shows its busiest connector.
_STATUS_WEIGHT = ("Faulted", "Occupied", "Reserved", "Unavailable", "Available")


@dataclass(slots=True)
class EvseState(ChargingPoint[Transaction201]):
    """A 2.x EVSE: transactions and metering are per EVSE; statuses per connector."""

    evse_id: int
    connector_status: dict[int, str] = field(default_factory=lambda: {1: "Available"})

    def set_connector_status(self, connector_id: int, status: str) -> None:
        """Set one connector's status; the EVSE's ``status`` becomes its busiest connector's."""
        self.connector_status[connector_id] = status
        statuses = self.connector_status.values()
        self.status = next((s for s in _STATUS_WEIGHT if s in statuses), status)


@dataclass(slots=True)
class StationStats:
    """Counters a fleet display sums up."""

    connects: int = 0
    connect_failures: int = 0
    boots: int = 0
    boots_accepted: int = 0
    calls_sent: int = 0
    calls_received: int = 0
    call_errors: int = 0
    sessions_started: int = 0
    sessions_completed: int = 0
    auth_rejected: int = 0
    resets: int = 0
    events_queued: int = 0  # 2.x TransactionEvents that happened while offline
