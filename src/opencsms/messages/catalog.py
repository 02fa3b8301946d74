"""Which feature profile (1.6) or functional block (2.x) each action belongs to, and who sends it.

Sources: OCPP 1.6 edition 2 §3.3 (feature profiles) plus the OCA white paper "Improved security
for OCPP 1.6-J" (grouped here as ``Security``); OCPP 2.0.1 Part 2, functional blocks A-P. For 2.1
the 2.0.1 actions keep their block and the new ones are placed in the block whose use cases
define them (Q Bidirectional Power Transfer, R DER Control, S Battery Swapping are new blocks).

A test checks that each version's catalogue names exactly the actions that have a schema.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from types import MappingProxyType
from typing import Final, Literal, NamedTuple

from opencsms.ocppj.errors import V16, V21, V201, NotImplementedCallError, UsageError

__all__ = [
    "BOTH",
    "CSMS_TO_STATION",
    "STATION_TO_CSMS",
    "CatalogEntry",
    "Direction",
    "action_catalog",
    "catalog_entry",
    "is_csms_initiated",
    "is_station_initiated",
]

Direction = Literal["station->csms", "csms->station", "both"]
STATION_TO_CSMS: Final = "station->csms"
CSMS_TO_STATION: Final = "csms->station"
BOTH: Final = "both"


class CatalogEntry(NamedTuple):
    """Where an action sits in the specification and who sends its CALL."""

    group: str
    """1.6 feature profile (``"Core"``) or 2.x functional block name (``"Provisioning"``)."""
    block: str | None
    """2.x functional block letter (``"B"``), the prefix of its requirement ids; None in 1.6."""
    direction: Direction
    """Who sends the CALL: ``"station->csms"``, ``"csms->station"`` or ``"both"``."""


# (group, block letter, direction, actions)
_Row = tuple[str, str | None, Direction, tuple[str, ...]]

_V16_ROWS: tuple[_Row, ...] = (
    (
        "Core",
        None,
        STATION_TO_CSMS,
        (
            "Authorize",
            "BootNotification",
            "Heartbeat",
            "MeterValues",
            "StartTransaction",
            "StatusNotification",
            "StopTransaction",
        ),
    ),
    (
        "Core",
        None,
        CSMS_TO_STATION,
        (
            "ChangeAvailability",
            "ChangeConfiguration",
            "ClearCache",
            "GetConfiguration",
            "RemoteStartTransaction",
            "RemoteStopTransaction",
            "Reset",
            "UnlockConnector",
        ),
    ),
    ("Core", None, BOTH, ("DataTransfer",)),
    (
        "FirmwareManagement",
        None,
        STATION_TO_CSMS,
        ("DiagnosticsStatusNotification", "FirmwareStatusNotification"),
    ),
    ("FirmwareManagement", None, CSMS_TO_STATION, ("GetDiagnostics", "UpdateFirmware")),
    ("LocalAuthListManagement", None, CSMS_TO_STATION, ("GetLocalListVersion", "SendLocalList")),
    ("Reservation", None, CSMS_TO_STATION, ("CancelReservation", "ReserveNow")),
    (
        "SmartCharging",
        None,
        CSMS_TO_STATION,
        ("ClearChargingProfile", "GetCompositeSchedule", "SetChargingProfile"),
    ),
    ("RemoteTrigger", None, CSMS_TO_STATION, ("TriggerMessage",)),
    (
        "Security",
        None,
        STATION_TO_CSMS,
        (
            "LogStatusNotification",
            "SecurityEventNotification",
            "SignCertificate",
            "SignedFirmwareStatusNotification",
        ),
    ),
    (
        "Security",
        None,
        CSMS_TO_STATION,
        (
            "CertificateSigned",
            "DeleteCertificate",
            "ExtendedTriggerMessage",
            "GetInstalledCertificateIds",
            "GetLog",
            "InstallCertificate",
            "SignedUpdateFirmware",
        ),
    ),
)

_V201_ROWS: tuple[_Row, ...] = (
    ("Security", "A", STATION_TO_CSMS, ("SecurityEventNotification", "SignCertificate")),
    ("Security", "A", CSMS_TO_STATION, ("CertificateSigned",)),
    ("Provisioning", "B", STATION_TO_CSMS, ("BootNotification", "NotifyReport")),
    (
        "Provisioning",
        "B",
        CSMS_TO_STATION,
        ("GetBaseReport", "GetReport", "GetVariables", "Reset", "SetNetworkProfile", "SetVariables"),
    ),
    ("Authorization", "C", STATION_TO_CSMS, ("Authorize",)),
    ("Authorization", "C", CSMS_TO_STATION, ("ClearCache",)),
    (
        "LocalAuthorizationListManagement",
        "D",
        CSMS_TO_STATION,
        ("GetLocalListVersion", "SendLocalList"),
    ),
    ("Transactions", "E", STATION_TO_CSMS, ("TransactionEvent",)),
    ("Transactions", "E", CSMS_TO_STATION, ("GetTransactionStatus",)),
    (
        "RemoteControl",
        "F",
        CSMS_TO_STATION,
        ("RequestStartTransaction", "RequestStopTransaction", "TriggerMessage", "UnlockConnector"),
    ),
    ("Availability", "G", STATION_TO_CSMS, ("Heartbeat", "StatusNotification")),
    ("Availability", "G", CSMS_TO_STATION, ("ChangeAvailability",)),
    ("Reservation", "H", STATION_TO_CSMS, ("ReservationStatusUpdate",)),
    ("Reservation", "H", CSMS_TO_STATION, ("CancelReservation", "ReserveNow")),
    ("TariffAndCost", "I", CSMS_TO_STATION, ("CostUpdated",)),
    ("MeterValues", "J", STATION_TO_CSMS, ("MeterValues",)),
    (
        "SmartCharging",
        "K",
        STATION_TO_CSMS,
        (
            "ClearedChargingLimit",
            "NotifyChargingLimit",
            "NotifyEVChargingNeeds",
            "NotifyEVChargingSchedule",
            "ReportChargingProfiles",
        ),
    ),
    (
        "SmartCharging",
        "K",
        CSMS_TO_STATION,
        ("ClearChargingProfile", "GetChargingProfiles", "GetCompositeSchedule", "SetChargingProfile"),
    ),
    (
        "FirmwareManagement",
        "L",
        STATION_TO_CSMS,
        ("FirmwareStatusNotification", "PublishFirmwareStatusNotification"),
    ),
    (
        "FirmwareManagement",
        "L",
        CSMS_TO_STATION,
        ("PublishFirmware", "UnpublishFirmware", "UpdateFirmware"),
    ),
    (
        "ISO15118CertificateManagement",
        "M",
        STATION_TO_CSMS,
        ("Get15118EVCertificate", "GetCertificateStatus"),
    ),
    (
        "ISO15118CertificateManagement",
        "M",
        CSMS_TO_STATION,
        ("DeleteCertificate", "GetInstalledCertificateIds", "InstallCertificate"),
    ),
    (
        "Diagnostics",
        "N",
        STATION_TO_CSMS,
        ("LogStatusNotification", "NotifyCustomerInformation", "NotifyEvent", "NotifyMonitoringReport"),
    ),
    (
        "Diagnostics",
        "N",
        CSMS_TO_STATION,
        (
            "ClearVariableMonitoring",
            "CustomerInformation",
            "GetLog",
            "GetMonitoringReport",
            "SetMonitoringBase",
            "SetMonitoringLevel",
            "SetVariableMonitoring",
        ),
    ),
    ("DisplayMessage", "O", STATION_TO_CSMS, ("NotifyDisplayMessages",)),
    (
        "DisplayMessage",
        "O",
        CSMS_TO_STATION,
        ("ClearDisplayMessage", "GetDisplayMessages", "SetDisplayMessage"),
    ),
    ("DataTransfer", "P", BOTH, ("DataTransfer",)),
)

# Actions new in 2.1; every 2.0.1 action is still there, in the same block.
_V21_NEW_ROWS: tuple[_Row, ...] = (
    # Ad hoc payment use cases (C17-C25).
    ("Authorization", "C", STATION_TO_CSMS, ("VatNumberValidation",)),
    ("Authorization", "C", CSMS_TO_STATION, ("NotifyWebPaymentStarted",)),
    ("TariffAndCost", "I", STATION_TO_CSMS, ("NotifySettlement",)),
    (
        "TariffAndCost",
        "I",
        CSMS_TO_STATION,
        ("ChangeTransactionTariff", "ClearTariffs", "GetTariffs", "SetDefaultTariff"),
    ),
    ("SmartCharging", "K", STATION_TO_CSMS, ("NotifyPriorityCharging", "PullDynamicScheduleUpdate")),
    ("SmartCharging", "K", CSMS_TO_STATION, ("UpdateDynamicSchedule", "UsePriorityCharging")),
    ("ISO15118CertificateManagement", "M", STATION_TO_CSMS, ("GetCertificateChainStatus",)),
    # Periodic event streams; NotifyPeriodicEventStream is a SEND (no response).
    (
        "Diagnostics",
        "N",
        STATION_TO_CSMS,
        ("ClosePeriodicEventStream", "NotifyPeriodicEventStream", "OpenPeriodicEventStream"),
    ),
    ("Diagnostics", "N", CSMS_TO_STATION, ("AdjustPeriodicEventStream", "GetPeriodicEventStream")),
    ("BidirectionalPowerTransfer", "Q", CSMS_TO_STATION, ("AFRRSignal", "NotifyAllowedEnergyTransfer")),
    ("DERControl", "R", STATION_TO_CSMS, ("NotifyDERAlarm", "NotifyDERStartStop", "ReportDERControl")),
    ("DERControl", "R", CSMS_TO_STATION, ("ClearDERControl", "GetDERControl", "SetDERControl")),
    ("BatterySwapping", "S", STATION_TO_CSMS, ("BatterySwap",)),
    ("BatterySwapping", "S", CSMS_TO_STATION, ("RequestBatterySwap",)),
)


def _build(rows: Iterable[_Row]) -> Mapping[str, CatalogEntry]:
    entries: dict[str, CatalogEntry] = {}
    for group, block, direction, actions in rows:
        for action in actions:
            if action in entries:
                raise AssertionError(f"{action} is catalogued twice")
            entries[action] = CatalogEntry(group, block, direction)
    return MappingProxyType(dict(sorted(entries.items())))


_CATALOGS: Mapping[str, Mapping[str, CatalogEntry]] = MappingProxyType(
    {
        V16: _build(_V16_ROWS),
        V201: _build(_V201_ROWS),
        V21: _build(_V201_ROWS + _V21_NEW_ROWS),
    }
)


def action_catalog(version: str) -> Mapping[str, CatalogEntry]:
    """Every action of ``version`` with its group and direction (read-only, sorted by action).

    Raises:
        UsageError: ``version`` is not "1.6", "2.0.1" or "2.1".
    """
    entries = _CATALOGS.get(version)
    if entries is None:
        raise UsageError(f"no OCPP catalogue for version {version!r}; expected one of {tuple(_CATALOGS)}")
    return entries


def catalog_entry(version: str, action: str) -> CatalogEntry:
    """The catalogue entry of one action.

    Raises:
        UsageError: ``version`` is not "1.6", "2.0.1" or "2.1".
        NotImplementedCallError: ``action`` is unknown in ``version``.
    """
    entry = action_catalog(version).get(action)
    if entry is None:
        raise NotImplementedCallError(f"Unknown action {action!r} in OCPP {version}")
    return entry


def is_station_initiated(version: str, action: str) -> bool:
    """Whether a charging station may send a CALL of ``action`` (True for DataTransfer).

    A known action that only the CSMS sends gives False (answer such a CALL with NotSupported).

    Raises:
        UsageError: ``version`` is not "1.6", "2.0.1" or "2.1".
        NotImplementedCallError: ``action`` is unknown in ``version``.
    """
    return catalog_entry(version, action).direction != CSMS_TO_STATION


def is_csms_initiated(version: str, action: str) -> bool:
    """Whether the CSMS may send a CALL of ``action`` (True for DataTransfer).

    Raises:
        UsageError: ``version`` is not "1.6", "2.0.1" or "2.1".
        NotImplementedCallError: ``action`` is unknown in ``version``.
    """
    return catalog_entry(version, action).direction != STATION_TO_CSMS
