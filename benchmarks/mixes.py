"""Station message mixes: what one busy simulated station sends, call after call.

A mix is data: the BootNotification sent once at connect, then a cycle of steps repeated for
as long as the load runs. A step builds its request from the station's :class:`StationState`
and may read the answer (``on_result``), which is how a 1.6 station learns its transactionId.
Static parts of payloads are built once at import; a step only fills in the fields that change
(timestamps, meter readings, transaction ids), so the generator spends its CPU on sending.

Adding a mix is adding a ``Mix`` to :data:`MIXES`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

Payload = dict[str, Any]

ID_TAG = "BENCHTAG"
METER_SAMPLES = 10  # MeterValues (1.6) or TransactionEvent Updated (2.0.1) per session
WH_PER_SAMPLE = 125


@dataclass(slots=True)
class StationState:
    """What a simulated station remembers between calls."""

    station_id: str
    meter_wh: int = 0
    meter_start_wh: int = 0
    started_at: datetime | None = None
    transaction_id: int | str | None = None
    sessions: int = 0
    seq_no: int = 0


@dataclass(frozen=True, slots=True)
class Step:
    action: str
    request: Callable[[StationState], Payload]
    on_result: Callable[[StationState, Payload], None] | None = None
    label: str = ""  # how the report names the step; the action when empty

    @property
    def name(self) -> str:
        return self.label or self.action


@dataclass(frozen=True, slots=True)
class Mix:
    name: str
    subprotocol: str
    boot: Payload
    cycle: tuple[Step, ...]


def now() -> datetime:
    """Timestamps are datetimes; orjson writes them as RFC 3339 with microseconds."""
    return datetime.now(UTC)


# -- OCPP 1.6 ---------------------------------------------------------------------------------------

_POWER_16 = {"value": "7200", "context": "Sample.Periodic", "measurand": "Power.Active.Import", "unit": "W"}
_CURRENT_16 = {"value": "31.3", "measurand": "Current.Import", "phase": "L1", "unit": "A"}
_VOLTAGE_16 = {"value": "230.1", "measurand": "Voltage", "phase": "L1-N", "unit": "V"}


def _energy_16(wh: int, context: str) -> Payload:
    return {"value": str(wh), "context": context, "measurand": "Energy.Active.Import.Register", "unit": "Wh"}


def _status_16(status: str) -> Callable[[StationState], Payload]:
    def request(state: StationState) -> Payload:
        return {"connectorId": 1, "errorCode": "NoError", "status": status, "timestamp": now()}

    return request


def _start_transaction_16(state: StationState) -> Payload:
    state.meter_start_wh = state.meter_wh
    state.started_at = now()
    return {"connectorId": 1, "idTag": ID_TAG, "meterStart": state.meter_wh, "timestamp": state.started_at}


def _remember_transaction_16(state: StationState, result: Payload) -> None:
    state.transaction_id = result["transactionId"]


def _meter_values_16(state: StationState) -> Payload:
    state.meter_wh += WH_PER_SAMPLE
    energy = _energy_16(state.meter_wh, "Sample.Periodic")
    return {
        "connectorId": 1,
        "transactionId": state.transaction_id,
        "meterValue": [{"timestamp": now(), "sampledValue": [energy, _POWER_16, _CURRENT_16, _VOLTAGE_16]}],
    }


def _stop_transaction_16(state: StationState) -> Payload:
    stopped_at = now()
    state.sessions += 1
    return {
        "transactionId": state.transaction_id,
        "idTag": ID_TAG,
        "meterStop": state.meter_wh,
        "timestamp": stopped_at,
        "reason": "Local",
        "transactionData": [
            {
                "timestamp": state.started_at,
                "sampledValue": [_energy_16(state.meter_start_wh, "Transaction.Begin")],
            },
            {"timestamp": stopped_at, "sampledValue": [_energy_16(state.meter_wh, "Transaction.End")]},
        ],
    }


def _empty(state: StationState) -> Payload:
    return {}


def _authorize_16(state: StationState) -> Payload:
    return {"idTag": ID_TAG}


MIX_16 = Mix(
    name="1.6",
    subprotocol="ocpp1.6",
    boot={"chargePointVendor": "opencsms", "chargePointModel": "bench", "firmwareVersion": "1.0.0"},
    cycle=(
        Step("StatusNotification", _status_16("Preparing"), label="StatusNotification(Preparing)"),
        Step("Authorize", _authorize_16),
        Step("StartTransaction", _start_transaction_16, _remember_transaction_16),
        *(Step("MeterValues", _meter_values_16) for _ in range(METER_SAMPLES)),
        Step("StopTransaction", _stop_transaction_16),
        Step("StatusNotification", _status_16("Available"), label="StatusNotification(Available)"),
        Step("Heartbeat", _empty),
    ),
)


# -- OCPP 2.0.1 -------------------------------------------------------------------------------------

_EVSE_201 = {"id": 1, "connectorId": 1}
_ID_TOKEN_201 = {"idToken": ID_TAG, "type": "ISO14443"}
_POWER_201 = {"value": 7200, "measurand": "Power.Active.Import", "unitOfMeasure": {"unit": "W"}}
_CURRENT_201 = {"value": 31.3, "measurand": "Current.Import", "phase": "L1", "unitOfMeasure": {"unit": "A"}}
_VOLTAGE_201 = {"value": 230.1, "measurand": "Voltage", "phase": "L1-N", "unitOfMeasure": {"unit": "V"}}


def _energy_201(wh: int, context: str) -> Payload:
    return {
        "value": wh,
        "context": context,
        "measurand": "Energy.Active.Import.Register",
        "unitOfMeasure": {"unit": "Wh"},
    }


def _status_201(status: str) -> Callable[[StationState], Payload]:
    def request(state: StationState) -> Payload:
        return {"timestamp": now(), "connectorStatus": status, "evseId": 1, "connectorId": 1}

    return request


def _authorize_201(state: StationState) -> Payload:
    return {"idToken": _ID_TOKEN_201}


def _transaction_event_201(state: StationState, event_type: str, trigger: str, context: str) -> Payload:
    stamp = now()
    payload: Payload = {
        "eventType": event_type,
        "timestamp": stamp,
        "triggerReason": trigger,
        "seqNo": state.seq_no,
        "transactionInfo": {"transactionId": state.transaction_id, "chargingState": "Charging"},
        "meterValue": [{"timestamp": stamp, "sampledValue": [_energy_201(state.meter_wh, context)]}],
    }
    state.seq_no += 1
    return payload


def _started_201(state: StationState) -> Payload:
    state.transaction_id = f"{state.station_id}-{state.sessions}"
    state.seq_no = 0
    state.meter_start_wh = state.meter_wh
    payload = _transaction_event_201(state, "Started", "Authorized", "Transaction.Begin")
    payload["evse"] = _EVSE_201
    payload["idToken"] = _ID_TOKEN_201
    return payload


def _updated_201(state: StationState) -> Payload:
    state.meter_wh += WH_PER_SAMPLE
    payload = _transaction_event_201(state, "Updated", "MeterValuePeriodic", "Sample.Periodic")
    payload["meterValue"][0]["sampledValue"] += [_POWER_201, _CURRENT_201, _VOLTAGE_201]
    return payload


def _ended_201(state: StationState) -> Payload:
    state.sessions += 1
    payload = _transaction_event_201(state, "Ended", "StopAuthorized", "Transaction.End")
    payload["transactionInfo"] = {
        **payload["transactionInfo"],
        "chargingState": "Idle",
        "stoppedReason": "Local",
    }
    return payload


MIX_201 = Mix(
    name="2.0.1",
    subprotocol="ocpp2.0.1",
    boot={"reason": "PowerUp", "chargingStation": {"model": "bench", "vendorName": "opencsms"}},
    cycle=(
        Step("StatusNotification", _status_201("Occupied"), label="StatusNotification(Occupied)"),
        Step("Authorize", _authorize_201),
        Step("TransactionEvent", _started_201, label="TransactionEvent(Started)"),
        *(
            Step("TransactionEvent", _updated_201, label="TransactionEvent(Updated)")
            for _ in range(METER_SAMPLES)
        ),
        Step("TransactionEvent", _ended_201, label="TransactionEvent(Ended)"),
        Step("StatusNotification", _status_201("Available"), label="StatusNotification(Available)"),
        Step("Heartbeat", _empty),
    ),
)

MIXES = {mix.name: mix for mix in (MIX_16, MIX_201)}
