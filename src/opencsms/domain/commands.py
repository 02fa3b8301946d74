"""Version-neutral operator commands to a station.

A command names what the operator wants ("reset softly", "remote start on EVSE 1 with token X");
the station's session turns it into the OCPP call of the station's version (1.6
RemoteStartTransaction, 2.0.1 RequestStartTransaction, ...). Commands travel over the bus as plain
dicts (:func:`command_to_dict` / :func:`command_from_dict`) to the node that holds the socket.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol


@dataclass(frozen=True, slots=True)
class Reset:
    kind: Literal["Soft", "Hard"] = "Soft"
    evse_id: int | None = None


@dataclass(frozen=True, slots=True)
class ChangeAvailability:
    operative: bool
    connector_id: int = 0
    evse_id: int | None = None


@dataclass(frozen=True, slots=True)
class SetConfiguration:
    """1.6 ChangeConfiguration; 2.0.1 SetVariables (key "Component.Variable" or a 1.6 key name)."""

    key: str
    value: str


@dataclass(frozen=True, slots=True)
class GetConfiguration:
    keys: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ClearCache:
    pass


@dataclass(frozen=True, slots=True)
class DataTransfer:
    vendor_id: str
    message_id: str | None = None
    data: str | None = None


@dataclass(frozen=True, slots=True)
class CostUpdated:
    """The running (or, with ``final``, the final) cost of a transaction, for the station's
    display: 2.0.1 CostUpdated (I02); on a 1.6 station that declares California Pricing
    (CustomDisplayCostAndPrice), DataTransfer org.openchargealliance.costmsg RunningCost or
    FinalCost. ``total_cost`` (a decimal string) includes VAT; ``timestamp`` is ISO 8601."""

    transaction_ref: str
    total_cost: str
    final: bool = False
    timestamp: str | None = None
    meter_wh: int | None = None
    charging: bool = True
    price_text: str | None = None


@dataclass(frozen=True, slots=True)
class RemoteStart:
    """Start a transaction (1.6 RemoteStartTransaction, 2.0.1 RequestStartTransaction).

    ``charging_profile``: a TxProfile for the transaction it makes (JSON form of
    :mod:`opencsms.domain.charging_profiles`, without a transactionId).
    """

    id_token: str
    connector_id: int | None = None
    evse_id: int | None = None
    charging_profile: dict[str, Any] | None = None


@dataclass(frozen=True, slots=True)
class RemoteStop:
    """Stop a transaction; ``transaction_id`` is opencsms's id (the 1.6 transactionId)."""

    transaction_id: int


@dataclass(frozen=True, slots=True)
class UnlockConnector:
    connector_id: int = 1
    evse_id: int | None = None


@dataclass(frozen=True, slots=True)
class TriggerMessage:
    """Ask the station to send a message now (1.6 TriggerMessage, 2.0.1 F06)."""

    message: str  # BootNotification, Heartbeat, StatusNotification, MeterValues, ...
    connector_id: int | None = None
    evse_id: int | None = None


@dataclass(frozen=True, slots=True)
class GetTransactionStatus:
    """2.0.1 E14: are messages of this transaction (or any) still queued on the station?"""

    transaction_id: int | None = None


@dataclass(frozen=True, slots=True)
class GetBaseReport:
    """2.0.1 B07 GetBaseReport (then NotifyReport parts); 1.6 GetConfiguration of every key.

    ``report_base``: ConfigurationInventory, FullInventory or SummaryInventory. ``request_id`` is
    chosen by opencsms when not given; the answer's ``request`` shows it.
    """

    report_base: str = "FullInventory"
    request_id: int | None = None


@dataclass(frozen=True, slots=True)
class GetReport:
    """2.0.1 B08 GetReport: the variables named (see :class:`GetVariables` for the names) and/or the
    components matching ``criteria`` (Active, Available, Enabled, Problem); 1.6 GetConfiguration."""

    variables: tuple[str, ...] = ()
    criteria: tuple[str, ...] = ()
    request_id: int | None = None


@dataclass(frozen=True, slots=True)
class GetVariables:
    """2.0.1 B06 GetVariables; 1.6 GetConfiguration of those keys.

    Names as the configuration view shows them: ``Component[instance]@evse/connector.Variable[instance]``
    with an optional ``:Target``/``:MinSet``/``:MaxSet``, or a 1.6 key (a standard one maps to its
    2.0.1 variable on a 2.0.1 station).
    """

    variables: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class SetVariables:
    """2.0.1 B05 SetVariables (name -> value, names as for :class:`GetVariables`); on 1.6 one
    ChangeConfiguration, so exactly one key."""

    values: dict[str, str]


@dataclass(frozen=True, slots=True)
class SetNetworkProfile:
    """2.0.1 B09 SetNetworkProfile: ``connection_data`` is a NetworkConnectionProfileType as the spec
    gives it. 1.6 has no equivalent."""

    configuration_slot: int
    connection_data: dict[str, Any]


@dataclass(frozen=True, slots=True)
class InstallCertificate:
    """Install a root certificate (M05 / 1.6 InstallCertificate). ``certificate_type``:
    CSMSRootCertificate (1.6: CentralSystemRootCertificate), ManufacturerRootCertificate, ..."""

    certificate_type: str
    certificate: str  # PEM


@dataclass(frozen=True, slots=True)
class DeleteCertificate:
    """Delete an installed certificate (M04), named by its hash data as GetInstalledCertificateIds
    reports it: hashAlgorithm, issuerNameHash, issuerKeyHash, serialNumber."""

    certificate_hash_data: dict[str, str]


@dataclass(frozen=True, slots=True)
class GetInstalledCertificateIds:
    """M03 / 1.6 GetInstalledCertificateIds; no types: all (2.0.1), CSMS root (1.6 needs one)."""

    certificate_types: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class GetLog:
    """Have the station upload a log to ``remote_location`` (2.0.1 N01 GetLog, 1.6 whitepaper § 5.2
    GetLog). ``log_type``: DiagnosticsLog or SecurityLog; ``oldest`` and ``latest`` (ISO 8601)
    bound its entries. The station's LogStatusNotifications follow as ``station.log_status``
    events carrying the request id, which opencsms chooses when not given."""

    remote_location: str
    log_type: str = "DiagnosticsLog"
    request_id: int | None = None
    oldest: str | None = None
    latest: str | None = None


@dataclass(frozen=True, slots=True)
class UpdateFirmware:
    """Have the station download firmware from ``location`` and install it: 1.6 UpdateFirmware,
    or with a ``signature`` and ``signing_certificate`` (PEM) the 1.6 whitepaper's
    SignedUpdateFirmware; 2.0.1 L01 UpdateFirmware. ``retrieve_at`` / ``install_at`` (ISO 8601)
    default to now. The station's progress follows as ``station.firmware_status`` events carrying
    the request id, which opencsms chooses when not given (a plain 1.6 update has none)."""

    location: str
    retrieve_at: str | None = None
    install_at: str | None = None
    retries: int | None = None
    retry_interval: int | None = None
    signing_certificate: str | None = None
    signature: str | None = None
    request_id: int | None = None


@dataclass(frozen=True, slots=True)
class GetDiagnostics:
    """1.6 GetDiagnostics: upload a diagnostics file to ``location``; the answer names the file,
    the charge point's progress follows as ``station.diagnostics_status`` events. A 2.0.1 station
    uploads its diagnostics with :class:`GetLog` (log type DiagnosticsLog)."""

    location: str
    start_time: str | None = None
    stop_time: str | None = None
    retries: int | None = None
    retry_interval: int | None = None


def firmware_payload(command: UpdateFirmware, now: str) -> dict[str, Any]:
    """The FirmwareType of 2.0.1 UpdateFirmware and 1.6 SignedUpdateFirmware (the same shape)."""
    firmware: dict[str, Any] = {"location": command.location, "retrieveDateTime": command.retrieve_at or now}
    if command.install_at is not None:
        firmware["installDateTime"] = command.install_at
    if command.signing_certificate is not None:
        firmware["signingCertificate"] = command.signing_certificate
    if command.signature is not None:
        firmware["signature"] = command.signature
    return firmware


def retry_fields(retries: int | None, retry_interval: int | None) -> dict[str, int]:
    """``retries`` and ``retryInterval`` where given."""
    fields = {"retries": retries, "retryInterval": retry_interval}
    return {name: value for name, value in fields.items() if value is not None}


def get_log_payload(command: GetLog, request_id: int) -> dict[str, Any]:
    """The GetLog request (the same in 1.6 and 2.0.1) of ``command``."""
    log: dict[str, Any] = {"remoteLocation": command.remote_location}
    if command.oldest is not None:
        log["oldestTimestamp"] = command.oldest
    if command.latest is not None:
        log["latestTimestamp"] = command.latest
    return {"logType": command.log_type, "requestId": request_id, "log": log}


@dataclass(frozen=True, slots=True)
class CustomerInformation:
    """2.0.1 N09/N10 CustomerInformation: have the station report (``report``) and/or clear
    (``clear``) what it holds about one customer, named by ``id_token``, ``customer_identifier``
    or ``certificate_hash_data`` (at least one). The reported data follows in NotifyCustomerInformation
    parts, passed on as ``station.customer_information`` events with the request id."""

    report: bool = True
    clear: bool = False
    id_token: str | None = None
    customer_identifier: str | None = None
    certificate_hash_data: dict[str, str] | None = None
    request_id: int | None = None


@dataclass(frozen=True, slots=True)
class RenewCertificate:
    """Ask for a new CSR now: 2.0.1 TriggerMessage SignChargingStationCertificate, 1.6
    ExtendedTriggerMessage SignChargePointCertificate (A02 / 1.6 whitepaper § 3.2)."""


@dataclass(frozen=True, slots=True)
class ReserveNow:
    """Reserve a connector (1.6; 0: the whole charge point) or an EVSE (2.0.1; none: any) for
    ``id_token`` for ``expires_in`` seconds (1.6 ReserveNow, 2.0.1 H01). opencsms picks the
    reservation id; the answer's ``request`` shows it."""

    id_token: str
    expires_in: int = 900
    connector_id: int | None = None
    evse_id: int | None = None


@dataclass(frozen=True, slots=True)
class CancelReservation:
    """1.6 CancelReservation, 2.0.1 H02."""

    reservation_id: int


@dataclass(frozen=True, slots=True)
class SendLocalList:
    """Give the station its local authorization list (1.6 SendLocalList, 2.0.1 D01), built from
    the tokens the CSMS knows: ``Full`` replaces the list with ``id_tokens`` (none: every known
    token); ``Differential`` updates those tokens (one the CSMS does not know is removed).
    ``version`` defaults to the station's last version + 1."""

    update_type: Literal["Full", "Differential"] = "Full"
    id_tokens: tuple[str, ...] = ()
    version: int | None = None


@dataclass(frozen=True, slots=True)
class GetLocalListVersion:
    """1.6 GetLocalListVersion, 2.0.1 D02."""


@dataclass(frozen=True, slots=True)
class ChangePassword:
    """Send the station a new Basic auth password: 1.6 ChangeConfiguration AuthorizationKey
    (hex-encoded), 2.0.1 SetVariables SecurityCtrlr.BasicAuthPassword. A step of the password
    change (:mod:`opencsms.security_changes`), which keeps the new hash first; not an operator
    command of its own, since a station given a password the CSMS does not know is locked out."""

    password: str


@dataclass(frozen=True, slots=True)
class RaiseSecurityProfile:
    """Move the station up to security ``profile``: 1.6 ChangeConfiguration SecurityProfile, 2.0.1
    SetNetworkProfile of ``configuration_slot`` with ``csms_url`` (then NetworkConfigurationPriority
    and a reset, see :mod:`opencsms.security_changes`). A step of the profile upgrade."""

    profile: int
    csms_url: str = ""
    configuration_slot: int = 1


@dataclass(frozen=True, slots=True)
class SetChargingProfile:
    """Install a charging profile (1.6 SetChargingProfile, 2.0.1 K01) on ``evse_id`` (0: the station).

    ``profile`` is the JSON form of :mod:`opencsms.domain.charging_profiles`; it is validated
    against what the station holds before it is sent.
    """

    profile: dict[str, Any]
    evse_id: int = 0


@dataclass(frozen=True, slots=True)
class ClearChargingProfile:
    """Remove profiles (1.6 ClearChargingProfile, 2.0.1 K10): by id, or by the other criteria."""

    profile_id: int | None = None
    evse_id: int | None = None
    purpose: str | None = None
    stack_level: int | None = None


@dataclass(frozen=True, slots=True)
class GetCompositeSchedule:
    """Ask the station for its composite schedule (1.6 GetCompositeSchedule, 2.0.1 K08)."""

    evse_id: int = 0
    duration: int = 3600
    rate_unit: str | None = None


@dataclass(frozen=True, slots=True)
class GetChargingProfiles:
    """2.0.1 K09: have the station report its profiles (ReportChargingProfiles follow)."""

    evse_id: int | None = None
    purpose: str | None = None
    stack_level: int | None = None
    profile_ids: tuple[int, ...] = ()
    sources: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class RawCall:
    """Any call of the station's OCPP version, payload as the spec gives it (validated before sending)."""

    action: str
    payload: dict[str, Any] = field(default_factory=dict)


Command = (
    Reset
    | ChangeAvailability
    | SetConfiguration
    | GetConfiguration
    | ClearCache
    | DataTransfer
    | CostUpdated
    | RemoteStart
    | RemoteStop
    | UnlockConnector
    | TriggerMessage
    | GetTransactionStatus
    | GetBaseReport
    | GetReport
    | GetVariables
    | SetVariables
    | SetNetworkProfile
    | InstallCertificate
    | DeleteCertificate
    | GetInstalledCertificateIds
    | RenewCertificate
    | CustomerInformation
    | GetLog
    | UpdateFirmware
    | GetDiagnostics
    | ReserveNow
    | CancelReservation
    | SendLocalList
    | GetLocalListVersion
    | ChangePassword
    | RaiseSecurityProfile
    | SetChargingProfile
    | ClearChargingProfile
    | GetCompositeSchedule
    | GetChargingProfiles
    | RawCall
)

COMMANDS: dict[str, type[Command]] = {
    "reset": Reset,
    "change_availability": ChangeAvailability,
    "set_configuration": SetConfiguration,
    "get_configuration": GetConfiguration,
    "clear_cache": ClearCache,
    "data_transfer": DataTransfer,
    "cost_updated": CostUpdated,
    "remote_start": RemoteStart,
    "remote_stop": RemoteStop,
    "unlock_connector": UnlockConnector,
    "trigger_message": TriggerMessage,
    "get_transaction_status": GetTransactionStatus,
    "install_certificate": InstallCertificate,
    "delete_certificate": DeleteCertificate,
    "get_installed_certificate_ids": GetInstalledCertificateIds,
    "renew_certificate": RenewCertificate,
    "get_log": GetLog,
    "update_firmware": UpdateFirmware,
    "get_diagnostics": GetDiagnostics,
    "reserve_now": ReserveNow,
    "cancel_reservation": CancelReservation,
    "send_local_list": SendLocalList,
    "get_local_list_version": GetLocalListVersion,
    "customer_information": CustomerInformation,
    "change_password": ChangePassword,
    "raise_security_profile": RaiseSecurityProfile,
    "get_base_report": GetBaseReport,
    "get_report": GetReport,
    "get_variables": GetVariables,
    "set_variables": SetVariables,
    "set_network_profile": SetNetworkProfile,
    "set_charging_profile": SetChargingProfile,
    "clear_charging_profile": ClearChargingProfile,
    "get_composite_schedule": GetCompositeSchedule,
    "get_charging_profiles": GetChargingProfiles,
    "call": RawCall,
}
_NAMES = {cls: name for name, cls in COMMANDS.items()}
#: Steps of procedures that keep CSMS-side state in step with the station (the new password's hash,
#: the pending profile): carried to the station's node like any command, never sent on their own.
PROCEDURE_STEPS = frozenset({"change_password", "raise_security_profile"})
#: Sent by services of the CSMS (billing), not by an operator.
SERVICE_COMMANDS = frozenset({"cost_updated"})
#: What an operator may send by name.
OPERATOR_COMMANDS = {
    name: cls
    for name, cls in COMMANDS.items()
    if name not in PROCEDURE_STEPS and name not in SERVICE_COMMANDS
}
# Arguments that are tuples (JSON brings them as lists).
_TUPLE_ARGS = ("keys", "variables", "criteria", "certificate_types", "profile_ids", "sources", "id_tokens")


@dataclass(frozen=True, slots=True)
class CommandResult:
    """The station's answer: its status field (when it has one) and the whole payload."""

    action: str
    status: str | None
    response: dict[str, Any] = field(default_factory=dict)
    #: The payload that was sent (shows ids opencsms chose, such as a report's requestId).
    request: dict[str, Any] = field(default_factory=dict)


class CommandError(Exception):
    """A command could not be carried out."""


class UnknownCommand(CommandError):
    pass


class InvalidCommand(CommandError):
    """The command's arguments are wrong (e.g. the transaction does not exist)."""


class StationOffline(CommandError):
    """The station is not connected: the command was not sent."""


class SentNoAnswer(CommandError):
    """The call went out but the station disconnected before answering: it may have carried it
    out, so it must not be sent again unless the operator asks for that."""


class CommandTimeout(CommandError):
    pass


class CommandRejected(CommandError):
    """The station answered with a CALLERROR (``code`` is its error code)."""

    def __init__(self, code: str, description: str) -> None:
        super().__init__(f"{code}: {description}")
        self.code = code
        self.description = description


def command_name(command: Command) -> str:
    return _NAMES[type(command)]


def command_to_dict(command: Command) -> dict[str, Any]:
    return {"command": command_name(command), "args": dataclasses.asdict(command)}


def command_from_dict(data: dict[str, Any]) -> Command:
    """Build a command from its dict form.

    Raises:
        UnknownCommand: no such command.
        InvalidCommand: the arguments do not fit it.
    """
    cls = COMMANDS.get(str(data.get("command")))
    if cls is None:
        raise UnknownCommand(f"unknown command {data.get('command')!r}; known: {', '.join(COMMANDS)}")
    args = dict(data.get("args") or {})
    known = {f.name for f in dataclasses.fields(cls)}
    unknown = sorted(str(name) for name in args if name not in known)
    if unknown:
        raise InvalidCommand(
            f"{command_name_of(cls)}: unknown argument(s) {', '.join(unknown)}; "
            f"it takes {', '.join(sorted(known)) or 'none'}"
        )
    for name in _TUPLE_ARGS:
        if name in args and isinstance(args[name], list):
            args[name] = tuple(args[name])
    try:
        return cls(**args)
    except TypeError as exc:
        raise InvalidCommand(f"{command_name_of(cls)}: {exc}") from None


def command_name_of(cls: type[Command]) -> str:
    return _NAMES[cls]


class StationGateway(Protocol):
    """Carries a command to the session of a station, wherever it runs (see ``bus``)."""

    async def execute(self, station_id: str, command: Command, timeout: float) -> CommandResult:
        """Raises StationOffline, SentNoAnswer, CommandTimeout, CommandRejected or InvalidCommand."""
        ...
