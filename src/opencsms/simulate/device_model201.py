"""The device model of a simulated 2.0.1/2.1 station (OCPP 2.0.1 Part 1, Part 2 block B).

Components and variables are data: one :class:`VariableSpec` per variable says where it sits,
its type, mutability and limits. Only the Actual attribute exists. Names are matched without
regard to case, as 1.6 keys are; values are kept as the strings the protocol carries.

:meth:`DeviceModel.get_variables` and :meth:`DeviceModel.set_variables` answer B06 and B05 item
by item; :meth:`DeviceModel.base_report` and :meth:`DeviceModel.custom_report` give the
reportData of B07 and B08, which the station sends in NotifyReport parts.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from opencsms.simulate.configuration16 import SAMPLED_MEASURANDS, format_number
from opencsms.simulate.ev import ocpp_timestamp
from opencsms.simulate.state import StationConfig

Payload = dict[str, Any]
ComponentKey = tuple[str, str | None, int | None, int | None]
VariableKey = tuple[ComponentKey, str, str | None]

READ_ONLY, READ_WRITE, WRITE_ONLY = "ReadOnly", "ReadWrite", "WriteOnly"
ACTUAL = "Actual"
#: GetReport componentCriteria: a component matches when it has this variable set to true.
CRITERIA = ("Active", "Available", "Enabled", "Problem")
_SUMMARY_VARIABLES = frozenset({"availabilitystate", "available", "problem"})
_CONNECTOR_STATUSES = "Available,Occupied,Reserved,Unavailable,Faulted"
_MEASURANDS = (
    "Energy.Active.Import.Register,Power.Active.Import,Current.Import,Voltage,SoC,"
    "Energy.Active.Import.Interval,Frequency"
)
_TX_POINTS = "ParkingBayOccupancy,EVConnected,Authorized,DataSigned,PowerPathClosed,EnergyTransfer"


@dataclass(frozen=True, slots=True)
class Component:
    name: str
    instance: str | None = None
    evse_id: int | None = None
    connector_id: int | None = None

    @classmethod
    def of(cls, component: Payload) -> Component:
        """From a ComponentType payload."""
        evse = component.get("evse") or {}
        return cls(component["name"], component.get("instance"), evse.get("id"), evse.get("connectorId"))

    @property
    def key(self) -> ComponentKey:
        return (self.name.lower(), self.instance, self.evse_id, self.connector_id)

    def payload(self) -> Payload:
        component: Payload = {"name": self.name}
        if self.instance is not None:
            component["instance"] = self.instance
        if self.evse_id is not None:
            component["evse"] = {"id": self.evse_id}
            if self.connector_id is not None:
                component["evse"]["connectorId"] = self.connector_id
        return component

    def within(self, wanted: Component) -> bool:
        """Whether this component is one that ``wanted`` names; what ``wanted`` leaves out
        (instance, EVSE, connector) matches anything."""
        return (
            self.name.lower() == wanted.name.lower()
            and wanted.instance in (None, self.instance)
            and wanted.evse_id in (None, self.evse_id)
            and wanted.connector_id in (None, self.connector_id)
        )


@dataclass(frozen=True, slots=True)
class VariableSpec:
    component: Component
    name: str
    data_type: str  # DataEnumType: string, decimal, integer, dateTime, boolean, OptionList, ...
    mutability: str = READ_WRITE
    instance: str | None = None
    unit: str | None = None
    values_list: str | None = None
    min_limit: float | None = None
    max_limit: float | None = None

    @property
    def key(self) -> VariableKey:
        return (self.component.key, self.name.lower(), self.instance)

    def variable_payload(self) -> Payload:
        variable: Payload = {"name": self.name}
        if self.instance is not None:
            variable["instance"] = self.instance
        return variable

    def characteristics(self) -> Payload:
        characteristics: Payload = {"dataType": self.data_type, "supportsMonitoring": False}
        for name, value in (
            ("unit", self.unit),
            ("minLimit", self.min_limit),
            ("maxLimit", self.max_limit),
            ("valuesList", self.values_list),
        ):
            if value is not None:
                characteristics[name] = value
        return characteristics

    def named_by(self, component: Component, variable: Payload | None) -> bool:
        """Whether a ComponentVariable of GetReport names this variable: the component and, when
        given, the variable (what either leaves out matches anything)."""
        if not self.component.within(component):
            return False
        if variable is None:
            return True
        return variable["name"].lower() == self.name.lower() and variable.get("instance") in (
            None,
            self.instance,
        )

    def accepts(self, value: str) -> bool:
        """Whether ``value`` fits the data type, list and limits."""
        if self.data_type == "boolean":
            return value.lower() in ("true", "false")
        if self.data_type in ("integer", "decimal"):
            try:
                number = int(value) if self.data_type == "integer" else float(value)
            except ValueError:
                return False
            low = self.min_limit if self.min_limit is not None else float("-inf")
            high = self.max_limit if self.max_limit is not None else float("inf")
            return low <= number <= high
        if self.values_list is not None:
            allowed = self.values_list.split(",")
            if self.data_type == "OptionList":
                return value in allowed
            if self.data_type in ("MemberList", "SequenceList"):
                return all(member in allowed for member in value.split(",") if member)
        return self.data_type != "dateTime"


def _item_ref(item: Payload) -> tuple[Component, str, str | None]:
    variable = item["variable"]
    return Component.of(item["component"]), variable["name"], variable.get("instance")


class DeviceModel:
    """The variables of one station and their Actual values.

    ``on_change(spec, value)`` is told about every value a SetVariables accepts; ``live`` gives
    values that are read when asked for (the clock).
    """

    def __init__(
        self,
        variables: Iterable[tuple[VariableSpec, str | None]],
        *,
        on_change: Callable[[VariableSpec, str], None] | None = None,
        live: Mapping[VariableKey, Callable[[], str]] | None = None,
    ) -> None:
        self._specs: dict[VariableKey, VariableSpec] = {}
        self._values: dict[VariableKey, str] = {}
        for spec, value in variables:
            self._specs[spec.key] = spec
            if value is not None:
                self._values[spec.key] = value
        self._components = {spec.component.key for spec in self._specs.values()}
        self._on_change = on_change
        self._live = dict(live or {})

    def __iter__(self) -> Iterator[VariableSpec]:
        return iter(self._specs.values())

    def __len__(self) -> int:
        return len(self._specs)

    def _spec(self, component: Component, variable: str, instance: str | None = None) -> VariableSpec:
        spec = self._specs.get((component.key, variable.lower(), instance))
        if spec is None:
            raise KeyError(f"{component.name}.{variable}")
        return spec

    def _actual(self, spec: VariableSpec) -> str | None:
        live = self._live.get(spec.key)
        return live() if live is not None else self._values.get(spec.key)

    def value(self, component: str | Component, variable: str, instance: str | None = None) -> str:
        """The Actual value of a variable (read-only and write-only ones included).

        Raises:
            KeyError: no such variable, or it has no value.
        """
        spec = self._spec(
            Component(component) if isinstance(component, str) else component, variable, instance
        )
        value = self._actual(spec)
        if value is None:
            raise KeyError(f"{spec.component.name}.{spec.name} has no value")
        return value

    def number(self, component: str, variable: str, instance: str | None = None) -> float:
        """Raises KeyError (no such variable) or ValueError (not a number)."""
        return float(self.value(component, variable, instance))

    def flag(self, component: str, variable: str, instance: str | None = None) -> bool:
        """Raises KeyError: no such variable."""
        return self.value(component, variable, instance).lower() == "true"

    def set(self, component: str | Component, variable: str, value: str, instance: str | None = None) -> None:
        """Set a value from the station itself (read-only variables included); nobody is told.

        Raises:
            KeyError: no such variable.
        """
        spec = self._spec(
            Component(component) if isinstance(component, str) else component, variable, instance
        )
        self._values[spec.key] = value

    # -- B06 GetVariables, B05 SetVariables --------------------------------------------------------

    def _status(self, component: Component, variable: str, instance: str | None, attribute: str) -> str:
        if component.key not in self._components:
            return "UnknownComponent"
        if (component.key, variable.lower(), instance) not in self._specs:
            return "UnknownVariable"
        if attribute != ACTUAL:
            return "NotSupportedAttributeType"
        return "Accepted"

    def get_variables(self, items: list[Payload]) -> list[Payload]:
        """One GetVariableResult per GetVariableData item, in order (B06.FR.01-06)."""
        results = []
        for item in items:
            component, variable, instance = _item_ref(item)
            attribute = item.get("attributeType", ACTUAL)
            result: Payload = {
                "attributeStatus": self._status(component, variable, instance, attribute),
                "attributeType": attribute,
                "component": item["component"],
                "variable": item["variable"],
            }
            if result["attributeStatus"] == "Accepted":
                spec = self._spec(component, variable, instance)
                value = self._actual(spec)
                if spec.mutability == WRITE_ONLY or value is None:
                    reason = "WriteOnly" if spec.mutability == WRITE_ONLY else "NoValue"
                    result["attributeStatus"] = "Rejected"
                    result["attributeStatusInfo"] = {"reasonCode": reason}
                else:
                    result["attributeValue"] = value
            results.append(result)
        return results

    def set_variables(self, items: list[Payload]) -> list[Payload]:
        """One SetVariableResult per SetVariableData item, in order (B05.FR.01-10): read-only
        variables and values that do not fit are Rejected; accepted values apply at once."""
        results = []
        for item in items:
            component, variable, instance = _item_ref(item)
            attribute = item.get("attributeType", ACTUAL)
            status = self._status(component, variable, instance, attribute)
            reason: str | None = None
            if status == "Accepted":
                spec = self._spec(component, variable, instance)
                value = str(item["attributeValue"])
                if spec.mutability == READ_ONLY:
                    status, reason = "Rejected", "ReadOnly"
                elif not spec.accepts(value):
                    status, reason = "Rejected", "InvalidValue"
                else:
                    self._values[spec.key] = value.lower() if spec.data_type == "boolean" else value
                    if self._on_change is not None:
                        self._on_change(spec, self._values[spec.key])
            result: Payload = {
                "attributeType": attribute,
                "attributeStatus": status,
                "component": item["component"],
                "variable": item["variable"],
            }
            if reason is not None:
                result["attributeStatusInfo"] = {"reasonCode": reason}
            results.append(result)
        return results

    # -- B07 GetBaseReport, B08 GetReport ---------------------------------------------------------

    def report_data(self, spec: VariableSpec) -> Payload:
        """The ReportData of one variable (a write-only one without its value)."""
        attribute: Payload = {
            "type": ACTUAL,
            "mutability": spec.mutability,
            "persistent": True,
            "constant": False,
        }
        value = self._actual(spec)
        if value is not None and spec.mutability != WRITE_ONLY:
            attribute["value"] = value
        return {
            "component": spec.component.payload(),
            "variable": spec.variable_payload(),
            "variableAttribute": [attribute],
            "variableCharacteristics": spec.characteristics(),
        }

    def base_report(self, report_base: str) -> list[Payload]:
        """B07: FullInventory (everything), ConfigurationInventory (what the CSMS may set),
        SummaryInventory (availability of the components)."""
        if report_base == "ConfigurationInventory":
            chosen = [spec for spec in self if spec.mutability != READ_ONLY]
        elif report_base == "SummaryInventory":
            chosen = [spec for spec in self if spec.name.lower() in _SUMMARY_VARIABLES]
        else:
            chosen = list(self)
        return [self.report_data(spec) for spec in chosen]

    def custom_report(self, component_variables: list[Payload], criteria: list[str]) -> list[Payload]:
        """B08: the variables named in ``component_variables`` (a component alone: all its
        variables) of the components that meet every one of ``criteria``."""
        chosen = list(self)
        if component_variables:
            wanted = [(Component.of(cv["component"]), cv.get("variable")) for cv in component_variables]
            chosen = [spec for spec in chosen if any(spec.named_by(c, v) for c, v in wanted)]
        for criterion in criteria:
            meeting = {
                spec.component.key
                for spec in self
                if spec.name == criterion and (self._actual(spec) or "").lower() == "true"
            }
            chosen = [spec for spec in chosen if spec.component.key in meeting]
        return [self.report_data(spec) for spec in chosen]


Row = tuple[VariableSpec, str | None]


def _fixed(component: Component, name: str, data_type: str, value: str | None, **extra: Any) -> Row:
    """A read-only variable."""
    return VariableSpec(component, name, data_type, READ_ONLY, **extra), value


def _flag(component: Component, name: str, value: bool) -> Row:
    return VariableSpec(component, name, "boolean"), "true" if value else "false"


def _seconds(component: Component, name: str, value: float, instance: str | None = None) -> Row:
    spec = VariableSpec(component, name, "integer", instance=instance, unit="s", min_limit=0)
    return spec, format_number(value)


def _count(component: Component, name: str, value: int, instance: str | None = None, minimum: int = 0) -> Row:
    return VariableSpec(component, name, "integer", instance=instance, min_limit=minimum), str(value)


def _listed(component: Component, name: str, allowed: str, value: str, data_type: str = "MemberList") -> Row:
    return VariableSpec(component, name, data_type, values_list=allowed), value


def _availability(component: Component, phases: int) -> list[Row]:
    """What ChargingStation, EVSE and Connector all have."""
    return [
        _fixed(component, "AvailabilityState", "OptionList", "Available", values_list=_CONNECTOR_STATUSES),
        _fixed(component, "Available", "boolean", "true"),
        _fixed(component, "SupplyPhases", "integer", str(phases)),
    ]


def standard_device_model(
    config: StationConfig,
    *,
    items_per_report: int = 20,
    on_change: Callable[[VariableSpec, str], None] | None = None,
    evse_power: Callable[[int], float] | None = None,
) -> DeviceModel:
    """The components and variables of a fresh simulated station with ``config.evses`` EVSEs of
    ``config.connectors_per_evse`` connectors each; ``items_per_report`` is how many reportData
    a NotifyReport part carries (DeviceDataCtrlr.ItemsPerMessage[GetReport]); ``evse_power(n)``
    gives EVSE n's present power (W) when asked."""
    station = Component("ChargingStation")
    rows = [
        *_availability(station, config.phases),
        _fixed(station, "Model", "string", config.model),
        _fixed(station, "VendorName", "string", config.vendor),
    ]
    for evse_id in range(1, config.evses + 1):
        evse = Component("EVSE", evse_id=evse_id)
        max_power = config.connector_max_power(evse_id)
        rows += _availability(evse, config.phases)
        rows.append(_fixed(evse, "Power", "decimal", "0", unit="W", max_limit=max_power))
        for connector_id in range(1, config.connectors_per_evse + 1):
            connector = Component("Connector", evse_id=evse_id, connector_id=connector_id)
            rows += _availability(connector, config.phases)
            rows.append(_fixed(connector, "ConnectorType", "string", "cType2"))
    comm, sampled = Component("OCPPCommCtrlr"), Component("SampledDataCtrlr")
    aligned, auth, tx = Component("AlignedDataCtrlr"), Component("AuthCtrlr"), Component("TxCtrlr")
    security, device_data, clock = (
        Component("SecurityCtrlr"),
        Component("DeviceDataCtrlr"),
        Component("ClockCtrlr"),
    )
    register = "Energy.Active.Import.Register"
    rows += [
        _seconds(comm, "HeartbeatInterval", config.heartbeat_interval),
        _seconds(comm, "MessageTimeout", config.call_timeout, instance="Default"),
        _count(comm, "MessageAttempts", 3, instance="TransactionEvent", minimum=1),
        _seconds(comm, "MessageAttemptInterval", 5, instance="TransactionEvent"),
        _listed(comm, "NetworkConfigurationPriority", "0,1", "0", "SequenceList"),
        _count(comm, "NetworkProfileConnectionAttempts", 3, minimum=1),
        _seconds(comm, "OfflineThreshold", 60),
        _count(comm, "ResetRetries", 1),
        _seconds(comm, "WebSocketPingInterval", config.ping_interval or 0),
        _fixed(comm, "FileTransferProtocols", "MemberList", "HTTPS", values_list="HTTP,HTTPS,FTP"),
        _flag(sampled, "Enabled", True),
        _seconds(sampled, "TxUpdatedInterval", config.meter_interval),
        _listed(sampled, "TxUpdatedMeasurands", _MEASURANDS, ",".join(SAMPLED_MEASURANDS)),
        _listed(sampled, "TxStartedMeasurands", _MEASURANDS, register),
        _listed(sampled, "TxEndedMeasurands", _MEASURANDS, register),
        _seconds(sampled, "TxEndedInterval", 0),
        _flag(sampled, "RegisterValuesWithoutPhases", True),
        _flag(aligned, "Enabled", False),
        _seconds(aligned, "Interval", 0),
        _listed(aligned, "Measurands", _MEASURANDS, register),
        _flag(auth, "Enabled", True),
        _flag(auth, "AuthorizeRemoteStart", False),
        _flag(auth, "LocalAuthorizeOffline", False),
        _flag(auth, "LocalPreAuthorize", False),
        _flag(auth, "OfflineTxForUnknownIdEnabled", False),
        _flag(Component("AuthCacheCtrlr"), "Enabled", True),
        _seconds(tx, "EVConnectionTimeOut", 60),
        _flag(tx, "StopTxOnEVSideDisconnect", True),
        _flag(tx, "StopTxOnInvalidId", True),
        _listed(tx, "TxStartPoint", _TX_POINTS, "EVConnected,Authorized"),
        _listed(tx, "TxStopPoint", _TX_POINTS, "EVConnected,Authorized"),
        _fixed(security, "SecurityProfile", "integer", "1" if config.password else "0"),
        _fixed(security, "Identity", "string", config.station_id),
        (VariableSpec(security, "OrganizationName", "string"), config.vendor),
        (VariableSpec(security, "BasicAuthPassword", "string", WRITE_ONLY), config.password),
        _fixed(security, "CertificateEntries", "integer", "0"),
        _fixed(clock, "DateTime", "dateTime", None),
        _listed(clock, "TimeSource", "Heartbeat,NTP,GPS,RealTimeClock", "Heartbeat", "SequenceList"),
    ]
    for request, items in (("GetReport", items_per_report), ("GetVariables", 25), ("SetVariables", 25)):
        rows += [
            _fixed(device_data, "ItemsPerMessage", "integer", str(items), instance=request),
            _fixed(device_data, "BytesPerMessage", "integer", "65000", instance=request),
        ]
    live: dict[VariableKey, Callable[[], str]] = {(clock.key, "datetime", None): ocpp_timestamp}
    if evse_power is not None:
        for evse_id in range(1, config.evses + 1):
            key = (Component("EVSE", evse_id=evse_id).key, "power", None)
            live[key] = functools.partial(_power_text, evse_power, evse_id)
    return DeviceModel(rows, on_change=on_change, live=live)


def _power_text(evse_power: Callable[[int], float], evse_id: int) -> str:
    return f"{evse_power(evse_id):.1f}"
