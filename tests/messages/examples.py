"""Valid payloads, by version, used by several test modules.

Each entry is ``(action, request, response)``; a response of None marks a 2.1 SEND message.
"""

from __future__ import annotations

from typing import Any

NOW = "2024-05-01T12:00:00Z"

METER_VALUES_16: dict[str, Any] = {
    "connectorId": 1,
    "transactionId": 42,
    "meterValue": [
        {
            "timestamp": NOW,
            "sampledValue": [
                {
                    "value": "12345.6",
                    "context": "Sample.Periodic",
                    "format": "Raw",
                    "measurand": "Energy.Active.Import.Register",
                    "location": "Outlet",
                    "unit": "Wh",
                },
                {
                    "value": "7200",
                    "context": "Sample.Periodic",
                    "measurand": "Power.Active.Import",
                    "unit": "W",
                },
                {"value": "32.1", "measurand": "Current.Import", "phase": "L1", "unit": "A"},
                {"value": "230.2", "measurand": "Voltage", "phase": "L1-N", "unit": "V"},
                {"value": "64", "measurand": "SoC", "unit": "Percent"},
            ],
        }
    ],
}

TRANSACTION_EVENT_201: dict[str, Any] = {
    "eventType": "Updated",
    "timestamp": NOW,
    "triggerReason": "MeterValuePeriodic",
    "seqNo": 7,
    "transactionInfo": {"transactionId": "f3a1c0de-0000-4000-8000-000000000001", "chargingState": "Charging"},
    "evse": {"id": 1, "connectorId": 1},
    "idToken": {"idToken": "04A2B3C4D5E6F7", "type": "ISO14443"},
    "meterValue": [
        {
            "timestamp": NOW,
            "sampledValue": [
                {
                    "value": 12345.6,
                    "context": "Sample.Periodic",
                    "measurand": "Energy.Active.Import.Register",
                    "location": "Outlet",
                    "unitOfMeasure": {"unit": "Wh"},
                },
                {"value": 7200, "measurand": "Power.Active.Import", "unitOfMeasure": {"unit": "W"}},
                {"value": 32.1, "measurand": "Current.Import", "phase": "L1", "unitOfMeasure": {"unit": "A"}},
                {"value": 230.2, "measurand": "Voltage", "phase": "L1-N", "unitOfMeasure": {"unit": "V"}},
                {"value": 64, "measurand": "SoC", "unitOfMeasure": {"unit": "Percent"}},
            ],
        }
    ],
}


def charging_profile_16(limit: object, min_rate: object = 6.0) -> dict[str, Any]:
    """A 1.6 SetChargingProfile.req whose one period has ``limit`` (a multipleOf 0.1 field)."""
    return {
        "connectorId": 1,
        "csChargingProfiles": {
            "chargingProfileId": 1,
            "stackLevel": 0,
            "chargingProfilePurpose": "TxDefaultProfile",
            "chargingProfileKind": "Absolute",
            "chargingSchedule": {
                "chargingRateUnit": "A",
                "startSchedule": NOW,
                "chargingSchedulePeriod": [{"startPeriod": 0, "limit": limit, "numberPhases": 3}],
                "minChargingRate": min_rate,
            },
        },
    }


def charging_profile_201(schedules: int = 1) -> dict[str, Any]:
    """A 2.0.1 SetChargingProfileRequest with ``schedules`` charging schedules (at most 3 allowed)."""
    schedule = {
        "id": 1,
        "chargingRateUnit": "W",
        "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 7.3}],
    }
    return {
        "evseId": 1,
        "chargingProfile": {
            "id": 10,
            "stackLevel": 0,
            "chargingProfilePurpose": "TxDefaultProfile",
            "chargingProfileKind": "Absolute",
            "chargingSchedule": [dict(schedule, id=n) for n in range(1, schedules + 1)],
        },
    }


VALID_16: list[tuple[str, dict[str, Any], dict[str, Any] | None]] = [
    (
        "BootNotification",
        {"chargePointVendor": "Acme", "chargePointModel": "X1", "firmwareVersion": "1.0.0"},
        {"status": "Accepted", "currentTime": NOW, "interval": 300},
    ),
    ("Heartbeat", {}, {"currentTime": NOW}),
    (
        "StatusNotification",
        {"connectorId": 1, "errorCode": "NoError", "status": "Charging", "timestamp": NOW},
        {},
    ),
    (
        "StartTransaction",
        {"connectorId": 1, "idTag": "TAG1", "meterStart": 0, "timestamp": NOW},
        {"idTagInfo": {"status": "Accepted", "expiryDate": NOW}, "transactionId": 1},
    ),
    ("MeterValues", METER_VALUES_16, {}),
    ("SetChargingProfile", charging_profile_16(7.3, 6.1), {"status": "Accepted"}),
    ("DataTransfer", {"vendorId": "com.acme", "messageId": "ping", "data": "{}"}, {"status": "Accepted"}),
    ("GetDiagnostics", {"location": "ftp://logs.example.com/upload"}, {"fileName": "diag.zip"}),
    ("SignCertificate", {"csr": "-----BEGIN CERTIFICATE REQUEST-----"}, {"status": "Accepted"}),
]

VALID_201: list[tuple[str, dict[str, Any], dict[str, Any] | None]] = [
    (
        "BootNotification",
        {"reason": "PowerUp", "chargingStation": {"model": "X1", "vendorName": "Acme"}},
        {"currentTime": NOW, "interval": 300, "status": "Accepted"},
    ),
    ("Heartbeat", {}, {"currentTime": NOW}),
    (
        "StatusNotification",
        {"timestamp": NOW, "connectorStatus": "Available", "evseId": 1, "connectorId": 1},
        {},
    ),
    ("TransactionEvent", TRANSACTION_EVENT_201, {"idTokenInfo": {"status": "Accepted"}}),
    (
        "Authorize",
        {"idToken": {"idToken": "04A2B3C4", "type": "ISO14443"}, "customData": {"vendorId": "acme", "x": 1}},
        {"idTokenInfo": {"status": "Accepted"}},
    ),
    (
        "GetVariables",
        {
            "getVariableData": [
                {"component": {"name": "OCPPCommCtrlr"}, "variable": {"name": "HeartbeatInterval"}}
            ]
        },
        {
            "getVariableResult": [
                {
                    "attributeStatus": "Accepted",
                    "attributeValue": "300",
                    "component": {"name": "OCPPCommCtrlr"},
                    "variable": {"name": "HeartbeatInterval"},
                }
            ]
        },
    ),
    ("SetChargingProfile", charging_profile_201(), {"status": "Accepted"}),
    ("DataTransfer", {"vendorId": "com.acme"}, {"status": "UnknownVendorId"}),
]

VALID_21: list[tuple[str, dict[str, Any], dict[str, Any] | None]] = [
    (
        "BootNotification",
        {"reason": "PowerUp", "chargingStation": {"model": "X1", "vendorName": "Acme"}},
        {"currentTime": NOW, "interval": 300, "status": "Accepted"},
    ),
    ("Heartbeat", {}, {"currentTime": NOW}),
    ("AFRRSignal", {"timestamp": NOW, "signal": -1}, {"status": "Accepted"}),
    (
        "BatterySwap",
        {
            "eventType": "BatteryIn",
            "requestId": 1,
            "idToken": {"idToken": "04A2B3C4", "type": "ISO14443"},
            "batteryData": [{"evseId": 1, "serialNumber": "B-1", "soC": 80.5, "soH": 97}],
        },
        {},
    ),
    (
        "NotifyPeriodicEventStream",
        {"id": 1, "pending": 0, "basetime": NOW, "data": [{"t": 0.5, "v": "230.1"}]},
        None,
    ),
]
