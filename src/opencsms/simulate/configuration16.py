"""The configuration keys of a simulated 1.6 station (OCPP 1.6 section 9.1, Core profile).

The keys are data: one row per key says whether it is read-only and what its value must look
like. Keys are CiString50, so they are matched without regard to case; values are kept as the
strings the protocol carries.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from enum import Enum
from typing import Any


class KeyKind(Enum):
    INTEGER = "integer"  # a non-negative integer
    BOOLEAN = "boolean"  # "true" or "false"
    LIST = "list"  # comma separated values
    TEXT = "text"


@dataclass(frozen=True, slots=True)
class KeySpec:
    name: str
    kind: KeyKind
    readonly: bool = False


_I, _B, _L = KeyKind.INTEGER, KeyKind.BOOLEAN, KeyKind.LIST

CORE_KEYS: tuple[KeySpec, ...] = (
    KeySpec("AllowOfflineTxForUnknownId", _B),
    KeySpec("AuthorizationCacheEnabled", _B),
    KeySpec("AuthorizeRemoteTxRequests", _B),
    KeySpec("ClockAlignedDataInterval", _I),
    KeySpec("ConnectionTimeOut", _I),
    KeySpec("ConnectorPhaseRotation", _L),
    KeySpec("GetConfigurationMaxKeys", _I, readonly=True),
    KeySpec("HeartbeatInterval", _I),
    KeySpec("LocalAuthListEnabled", _B),
    KeySpec("LocalAuthListMaxLength", _I, readonly=True),
    KeySpec("LocalAuthorizeOffline", _B),
    KeySpec("LocalPreAuthorize", _B),
    KeySpec("MeterValuesAlignedData", _L),
    KeySpec("MeterValuesSampledData", _L),
    KeySpec("MeterValueSampleInterval", _I),
    KeySpec("NumberOfConnectors", _I, readonly=True),
    KeySpec("ReserveConnectorZeroSupported", _B, readonly=True),
    KeySpec("ResetRetries", _I),
    KeySpec("SendLocalListMaxLength", _I, readonly=True),
    KeySpec("StopTransactionOnEVSideDisconnect", _B),
    KeySpec("StopTransactionOnInvalidId", _B),
    KeySpec("StopTxnAlignedData", _L),
    KeySpec("StopTxnSampledData", _L),
    KeySpec("SupportedFeatureProfiles", _L, readonly=True),
    KeySpec("TransactionMessageAttempts", _I),
    KeySpec("TransactionMessageRetryInterval", _I),
    KeySpec("UnlockConnectorOnEVSideDisconnect", _B),
    KeySpec("WebSocketPingInterval", _I),
)

MAX_KEYS_PER_REQUEST = 50
#: What the periodic MeterValues carry (see ``ev.periodic_sample``).
SAMPLED_MEASURANDS = (
    "Energy.Active.Import.Register",
    "Power.Active.Import",
    "Current.Import",
    "Voltage",
    "SoC",
)


def format_number(value: float) -> str:
    """``60`` for 60.0, ``0.5`` for 0.5: intervals may be fractional in fast simulations."""
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def default_values(*, connectors: int, heartbeat_interval: float, meter_interval: float) -> dict[str, str]:
    """The values a fresh simulated station starts with."""
    return {
        "AllowOfflineTxForUnknownId": "false",
        "AuthorizationCacheEnabled": "false",
        "AuthorizeRemoteTxRequests": "false",
        "ClockAlignedDataInterval": "0",
        "ConnectionTimeOut": "60",
        "ConnectorPhaseRotation": ",".join(f"{n}.RST" for n in range(connectors + 1)),
        "GetConfigurationMaxKeys": str(MAX_KEYS_PER_REQUEST),
        "HeartbeatInterval": format_number(heartbeat_interval),
        "LocalAuthListEnabled": "true",
        "LocalAuthListMaxLength": "100",
        "LocalAuthorizeOffline": "false",
        "LocalPreAuthorize": "false",
        "MeterValuesAlignedData": "Energy.Active.Import.Register",
        "MeterValuesSampledData": ",".join(SAMPLED_MEASURANDS),
        "MeterValueSampleInterval": format_number(meter_interval),
        "NumberOfConnectors": str(connectors),
        "ReserveConnectorZeroSupported": "true",
        "ResetRetries": "1",
        "SendLocalListMaxLength": "100",
        "StopTransactionOnEVSideDisconnect": "true",
        "StopTransactionOnInvalidId": "true",
        "StopTxnAlignedData": "",
        "StopTxnSampledData": "Energy.Active.Import.Register",
        "SupportedFeatureProfiles": "Core,LocalAuthListManagement,Reservation,SmartCharging,RemoteTrigger",
        "TransactionMessageAttempts": "3",
        "TransactionMessageRetryInterval": "5",
        "UnlockConnectorOnEVSideDisconnect": "true",
        "WebSocketPingInterval": "20",
    }


def _acceptable(kind: KeyKind, value: str) -> bool:
    if kind is KeyKind.INTEGER:
        return value.isascii() and value.isdigit()
    if kind is KeyKind.BOOLEAN:
        return value.lower() in ("true", "false")
    return True


class Configuration16:
    """The key/value store behind GetConfiguration and ChangeConfiguration.

    ``on_change(name, value)`` is told about every accepted change, so the station can apply it.
    """

    def __init__(
        self,
        values: dict[str, str],
        *,
        specs: Iterable[KeySpec] = CORE_KEYS,
        on_change: Callable[[str, str], None] | None = None,
    ) -> None:
        self._specs = {spec.name.lower(): spec for spec in specs}
        self._values = {self._spec(name).name: value for name, value in values.items()}
        self._on_change = on_change

    def _spec(self, name: str) -> KeySpec:
        spec = self._specs.get(name.lower())
        if spec is None:
            raise KeyError(name)
        return spec

    def value(self, name: str) -> str:
        """The value of a known key.

        Raises:
            KeyError: the key is unknown or has no value.
        """
        return self._values[self._spec(name).name]

    def number(self, name: str) -> float:
        """The value of a numeric key.

        Raises:
            KeyError: the key is unknown or has no value.
            ValueError: the value is not a number.
        """
        return float(self.value(name))

    def flag(self, name: str) -> bool:
        """The value of a boolean key.

        Raises:
            KeyError: the key is unknown or has no value.
        """
        return self.value(name).lower() == "true"

    def set(self, name: str, value: str) -> None:
        """Set a key from the station itself (read-only keys included); nobody is told.

        Raises:
            KeyError: the key is unknown.
        """
        self._values[self._spec(name).name] = value

    def get_configuration(self, keys: list[str] | None) -> dict[str, Any]:
        """The GetConfiguration.conf payload for the requested keys (all when none)."""
        if not keys:
            names = [spec.name for spec in self._specs.values() if spec.name in self._values]
            unknown: list[str] = []
        else:
            names, unknown = [], []
            for key in keys:
                spec = self._specs.get(key.lower())
                if spec is None or spec.name not in self._values:
                    unknown.append(key)
                elif spec.name not in names:
                    names.append(spec.name)
        known = [
            {"key": name, "readonly": self._specs[name.lower()].readonly, "value": self._values[name]}
            for name in names
        ]
        payload: dict[str, Any] = {"configurationKey": known}
        if unknown:
            payload["unknownKey"] = unknown
        return payload

    def change_configuration(self, key: str, value: str) -> str:
        """Apply a ChangeConfiguration.req; returns its status.

        NotSupported for unknown keys, Rejected for read-only keys and unacceptable values.
        """
        spec = self._specs.get(key.lower())
        if spec is None:
            return "NotSupported"
        if spec.readonly or not _acceptable(spec.kind, value):
            return "Rejected"
        if spec.kind is KeyKind.BOOLEAN:
            value = value.lower()
        self._values[spec.name] = value
        if self._on_change is not None:
            self._on_change(spec.name, value)
        return "Accepted"
