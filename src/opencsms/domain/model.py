"""Value types of the domain: version-neutral, immutable, timestamps timezone-aware UTC."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class RegistrationPolicy(StrEnum):
    """What a station the CSMS has never seen gets at boot."""

    ACCEPT = "accept"
    PENDING = "pending"
    REJECT = "reject"


class RegistrationStatus(StrEnum):
    """A station's registration, as BootNotification answers it."""

    ACCEPTED = "Accepted"
    PENDING = "Pending"
    REJECTED = "Rejected"


class AuthorizationStatus(StrEnum):
    """An id token's status; the union of the OCPP 1.6 and 2.0.1 values the domain uses."""

    ACCEPTED = "Accepted"
    BLOCKED = "Blocked"
    EXPIRED = "Expired"
    INVALID = "Invalid"
    CONCURRENT_TX = "ConcurrentTx"
    UNKNOWN = "Unknown"


class TransactionStatus(StrEnum):
    """Whether a transaction is still running."""

    ACTIVE = "active"
    ENDED = "ended"


class TransactionEventType(StrEnum):
    """OCPP 2.0.1 TransactionEvent eventType."""

    STARTED = "Started"
    UPDATED = "Updated"
    ENDED = "Ended"


@dataclass(frozen=True, slots=True)
class BootInfo:
    """What a station says about itself at boot."""

    vendor: str
    model: str
    serial_number: str | None = None
    firmware_version: str | None = None
    iccid: str | None = None
    imsi: str | None = None
    meter_type: str | None = None
    meter_serial: str | None = None
    reason: str | None = None


@dataclass(frozen=True, slots=True)
class BootDecision:
    """The answer to a boot."""

    status: RegistrationStatus
    interval: int
    current_time: datetime


@dataclass(frozen=True, slots=True)
class IdTokenInfo:
    """The answer to an authorization."""

    status: AuthorizationStatus
    expiry_date: datetime | None = None
    parent_id_token: str | None = None


@dataclass(frozen=True, slots=True)
class IdToken:
    """A token the CSMS knows."""

    id_token: str
    status: AuthorizationStatus
    expiry_date: datetime | None
    parent_id_token: str | None
    token_type: str | None


@dataclass(frozen=True, slots=True)
class SampledValue:
    """One sampled value, kept as the station sent it (``value`` verbatim)."""

    value: str
    measurand: str = "Energy.Active.Import.Register"
    phase: str | None = None
    unit: str | None = None
    context: str | None = None
    location: str | None = None
    format: str | None = None
    signed_data: str | None = None


@dataclass(frozen=True, slots=True)
class MeterSample:
    """Values sampled at one moment."""

    timestamp: datetime
    values: tuple[SampledValue, ...]


@dataclass(frozen=True, slots=True)
class TransactionStart:
    """A transaction start, from OCPP 1.6 StartTransaction or 2.0.1 TransactionEvent(Started).

    ``transaction_ref`` is the station's 2.0.1 transactionId; None for 1.6. An empty
    ``id_token`` means the start named no token.
    """

    station_id: str
    connector_id: int
    id_token: str
    meter_start_wh: float
    timestamp: datetime
    evse_id: int | None = None
    token_type: str | None = None
    reservation_id: int | None = None
    transaction_ref: str | None = None


@dataclass(frozen=True, slots=True)
class StartResult:
    """The transaction id (the OCPP 1.6 transactionId) and what the token is worth."""

    transaction_id: int
    id_token_info: IdTokenInfo


@dataclass(frozen=True, slots=True)
class TransactionStop:
    """A transaction stop, by 1.6 ``transaction_id`` or 2.0.1 ``transaction_ref``."""

    station_id: str
    meter_stop_wh: float | None
    timestamp: datetime
    transaction_id: int | None = None
    transaction_ref: str | None = None
    reason: str | None = None
    id_token: str | None = None
    samples: tuple[MeterSample, ...] = ()


@dataclass(frozen=True, slots=True)
class StopResult:
    """Whether the transaction was known, and the stop token's status when one was given.

    ``other_station`` is set when the stop named another station's transaction id: that
    transaction is untouched, the stop is kept as an unknown transaction's.
    """

    known: bool
    id_token_info: IdTokenInfo | None
    other_station: str | None = None


@dataclass(frozen=True, slots=True)
class TransactionEvent:
    """An OCPP 2.0.1 TransactionEvent: a start, an update or an end of ``transaction_ref``.

    ``event_type`` is a :class:`TransactionEventType` value; ``energy_wh`` is the energy
    register among the samples, if any (the meter start of a Started event, the meter stop of
    an Ended one).
    """

    station_id: str
    transaction_ref: str
    event_type: str
    seq_no: int
    timestamp: datetime
    trigger_reason: str
    offline: bool = False
    evse_id: int | None = None
    connector_id: int | None = None
    id_token: str | None = None
    token_type: str | None = None
    charging_state: str | None = None
    stopped_reason: str | None = None
    remote_start_id: int | None = None
    reservation_id: int | None = None
    energy_wh: float | None = None
    samples: tuple[MeterSample, ...] = ()


@dataclass(frozen=True, slots=True)
class TransactionEventResult:
    """The transaction's id, and the token's status when the event named a token."""

    transaction_id: int
    id_token_info: IdTokenInfo | None


@dataclass(frozen=True, slots=True)
class Transaction:
    """A charging transaction."""

    id: int
    station_id: str
    transaction_ref: str
    evse_id: int | None
    connector_id: int | None
    id_token: str | None
    started_at: datetime
    stopped_at: datetime | None
    meter_start_wh: float | None
    meter_stop_wh: float | None
    stop_reason: str | None
    status: TransactionStatus
    token_type: str | None = None
    stop_id_token: str | None = None
    reservation_id: int | None = None
    #: OCPP 2.0.1: the latest charging state, whether events came from offline, the Started
    #: event's and the latest event's triggerReason, the highest seqNo and the seqNos missing
    #: below it ("2,5-7"; None when none is).
    charging_state: str | None = None
    offline: bool = False
    start_trigger_reason: str | None = None
    trigger_reason: str | None = None
    last_seq_no: int | None = None
    seq_gaps: str | None = None
    #: Who ended it: "station" (its stop) or "inferred" (the CSMS: the station will never send
    #: the stop, see ADR 0017); None while active. ``inferred_cause``: "new_start", "boot" or
    #: "available".
    ended_by: str | None = None
    inferred_cause: str | None = None


@dataclass(frozen=True, slots=True)
class Station:
    """A charging station as the CSMS knows it."""

    id: str
    registration_status: RegistrationStatus
    vendor: str | None
    model: str | None
    serial_number: str | None
    firmware_version: str | None
    ocpp_version: str | None
    connected: bool
    last_seen: datetime | None
    last_boot: datetime | None
    #: In a cluster, the node holding the station's connection; None alone or when disconnected.
    node: str | None = None


@dataclass(frozen=True, slots=True)
class ConnectorState:
    """A connector's last reported status (or one entry of its history).

    ``evse_id`` is 0 for OCPP 1.6, which has no EVSE level.
    """

    station_id: str
    evse_id: int
    connector_id: int
    status: str
    error_code: str | None
    info: str | None
    updated_at: datetime
    vendor_error_code: str | None = None
