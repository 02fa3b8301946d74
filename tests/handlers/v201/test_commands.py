"""Version-neutral commands as 2.0.1 calls (blocks B, C, E, F, G, P)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from opencsms.domain import commands as c
from opencsms.domain.model import TransactionEvent
from opencsms.handlers.context import Payload, StationContext
from opencsms.handlers.v201.commands import to_call, variable_address
from opencsms.messages import get_validator

VALIDATOR = get_validator("2.0.1")


async def call(ctx: StationContext, command: c.Command) -> tuple[str, Payload]:
    action, payload = await to_call(ctx, command)
    VALIDATOR.validate_request(action, payload)  # every translation is a valid 2.0.1 request
    return action, payload


@pytest.mark.parametrize(
    ("command", "expected"),
    [
        (c.Reset(), ("Reset", {"type": "OnIdle"})),
        (c.Reset("Hard", evse_id=2), ("Reset", {"type": "Immediate", "evseId": 2})),
        (c.ChangeAvailability(False), ("ChangeAvailability", {"operationalStatus": "Inoperative"})),
        (
            c.ChangeAvailability(True, evse_id=1),
            ("ChangeAvailability", {"operationalStatus": "Operative", "evse": {"id": 1}}),
        ),
        (
            c.ChangeAvailability(False, connector_id=2, evse_id=1),
            ("ChangeAvailability", {"operationalStatus": "Inoperative", "evse": {"id": 1, "connectorId": 2}}),
        ),
        (c.ClearCache(), ("ClearCache", {})),
        (c.UnlockConnector(2, evse_id=1), ("UnlockConnector", {"evseId": 1, "connectorId": 2})),
        (
            c.TriggerMessage("MeterValues", evse_id=1),
            ("TriggerMessage", {"requestedMessage": "MeterValues", "evse": {"id": 1}}),
        ),
        (c.TriggerMessage("Heartbeat"), ("TriggerMessage", {"requestedMessage": "Heartbeat"})),
        (
            c.GetLog("ftp://logs.example/", "SecurityLog", request_id=5),
            (
                "GetLog",
                {"logType": "SecurityLog", "requestId": 5, "log": {"remoteLocation": "ftp://logs.example/"}},
            ),
        ),
        (  # F06 (TC_F_23/24): a connector of an EVSE is named as both
            c.TriggerMessage("StatusNotification", connector_id=1, evse_id=2),
            (
                "TriggerMessage",
                {"requestedMessage": "StatusNotification", "evse": {"id": 2, "connectorId": 1}},
            ),
        ),
        (  # a 1.6-style connector id alone names the EVSE of that number
            c.TriggerMessage("StatusNotification", connector_id=2),
            ("TriggerMessage", {"requestedMessage": "StatusNotification", "evse": {"id": 2}}),
        ),
        (
            c.DataTransfer("acme", "m", "d"),
            ("DataTransfer", {"vendorId": "acme", "messageId": "m", "data": "d"}),
        ),
        (c.GetTransactionStatus(), ("GetTransactionStatus", {})),
        (c.ChangeAvailability(True, evse_id=0), ("ChangeAvailability", {"operationalStatus": "Operative"})),
        (
            c.ChangeAvailability(False, connector_id=2),
            ("ChangeAvailability", {"operationalStatus": "Inoperative", "evse": {"id": 2}}),
        ),
        (
            c.GetBaseReport("ConfigurationInventory", request_id=5),
            ("GetBaseReport", {"requestId": 5, "reportBase": "ConfigurationInventory"}),
        ),
        (
            c.GetReport(("EVSE@1.Power",), ("Problem",), request_id=6),
            (
                "GetReport",
                {
                    "requestId": 6,
                    "componentVariable": [
                        {"component": {"name": "EVSE", "evse": {"id": 1}}, "variable": {"name": "Power"}}
                    ],
                    "componentCriteria": ["Problem"],
                },
            ),
        ),
        (
            c.GetVariables(("OCPPCommCtrlr.HeartbeatInterval", "MeterValueSampleInterval")),
            (
                "GetVariables",
                {
                    "getVariableData": [
                        {"component": {"name": "OCPPCommCtrlr"}, "variable": {"name": "HeartbeatInterval"}},
                        {
                            "component": {"name": "SampledDataCtrlr"},
                            "variable": {"name": "TxUpdatedInterval"},
                        },
                    ]
                },
            ),
        ),
        (
            c.SetVariables({"EVSE[x]@1/2.Power[DC]:MaxSet": "11000"}),
            (
                "SetVariables",
                {
                    "setVariableData": [
                        {
                            "component": {
                                "name": "EVSE",
                                "instance": "x",
                                "evse": {"id": 1, "connectorId": 2},
                            },
                            "variable": {"name": "Power", "instance": "DC"},
                            "attributeType": "MaxSet",
                            "attributeValue": "11000",
                        }
                    ]
                },
            ),
        ),
        (
            c.SetNetworkProfile(
                1,
                {
                    "ocppVersion": "OCPP20",
                    "ocppTransport": "JSON",
                    "ocppCsmsUrl": "wss://x",
                    "messageTimeout": 30,
                    "securityProfile": 1,
                    "ocppInterface": "Wired0",
                },
            ),
            (
                "SetNetworkProfile",
                {
                    "configurationSlot": 1,
                    "connectionData": {
                        "ocppVersion": "OCPP20",
                        "ocppTransport": "JSON",
                        "ocppCsmsUrl": "wss://x",
                        "messageTimeout": 30,
                        "securityProfile": 1,
                        "ocppInterface": "Wired0",
                    },
                },
            ),
        ),
        (c.RawCall("GetLocalListVersion", {}), ("GetLocalListVersion", {})),
    ],
)
async def test_commands_become_valid_201_calls(
    ctx: StationContext, command: c.Command, expected: tuple[str, Payload]
) -> None:
    assert await call(ctx, command) == expected


async def test_remote_start_is_request_start_transaction_with_a_fresh_remote_start_id(
    ctx: StationContext,
) -> None:
    action, first = await call(ctx, c.RemoteStart("TAG-1", evse_id=1))
    _, second = await call(ctx, c.RemoteStart("TAG-1"))
    assert action == "RequestStartTransaction"
    assert first["idToken"] == {"idToken": "TAG-1", "type": "Central"} and first["evseId"] == 1
    assert "evseId" not in second and second["remoteStartId"] != first["remoteStartId"]


async def test_remote_start_gives_the_token_its_stored_type(ctx: StationContext) -> None:
    """TC_F_01/F_02: the idToken is sent with the type the token has (Central when none is known)."""
    await ctx.domain.tokens.add("RFID-7", token_type="ISO14443")
    _, payload = await call(ctx, c.RemoteStart("RFID-7", evse_id=1))
    assert payload["idToken"] == {"idToken": "RFID-7", "type": "ISO14443"}


async def test_remote_stop_and_status_name_the_station_transaction_id(ctx: StationContext) -> None:
    at = datetime(2026, 11, 24, 10, tzinfo=UTC)
    started = await ctx.domain.transactions.transaction_event(
        TransactionEvent("CS1", "tx-9", "Started", 0, at, "Authorized")
    )
    assert await call(ctx, c.RemoteStop(started.transaction_id)) == (
        "RequestStopTransaction",
        {"transactionId": "tx-9"},
    )
    assert await call(ctx, c.GetTransactionStatus(started.transaction_id)) == (
        "GetTransactionStatus",
        {"transactionId": "tx-9"},
    )
    with pytest.raises(c.InvalidCommand, match="no transaction"):
        await to_call(ctx, c.RemoteStop(started.transaction_id + 1))


@pytest.mark.parametrize(
    ("command", "message"),
    [
        (c.GetVariables(()), "at least one"),
        (c.SetVariables({}), "at least one"),
        (c.GetVariables(("JustAName",)), "Component.Variable"),
        (c.SetConfiguration("NotAStandardKey", "1"), "Component.Variable"),
    ],
)
async def test_bad_variable_names_are_invalid_commands(
    ctx: StationContext, command: c.Command, message: str
) -> None:
    with pytest.raises(c.InvalidCommand, match=message):
        await to_call(ctx, command)


def test_standard_v16_keys_map_to_their_201_variables() -> None:
    assert variable_address("HeartbeatInterval") == {
        "component": {"name": "OCPPCommCtrlr"},
        "variable": {"name": "HeartbeatInterval"},
    }


async def test_a_remote_start_may_carry_a_tx_profile(ctx: StationContext) -> None:
    """F02 (RequestStartTransaction chargingProfile): a TxProfile in 2.0.1 form."""
    profile = {
        "id": 7,
        "stackLevel": 0,
        "chargingProfilePurpose": "TxProfile",
        "chargingProfileKind": "Relative",
        "chargingSchedule": [
            {"id": 1, "chargingRateUnit": "W", "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 7400}]}
        ],
    }
    _, payload = await call(ctx, c.RemoteStart("TAG-1", evse_id=1, charging_profile=profile))
    assert payload["chargingProfile"] == {
        **profile,
        "chargingSchedule": [
            {
                "id": 1,
                "chargingRateUnit": "W",
                "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 7400.0}],
            }
        ],
    }
    with pytest.raises(c.InvalidCommand, match="TxProfile"):
        await call(
            ctx,
            c.RemoteStart(
                "TAG-1", charging_profile={**profile, "chargingProfilePurpose": "TxDefaultProfile"}
            ),
        )


async def test_customer_information_names_the_customer(ctx: StationContext) -> None:
    """N09/N10: a request id, the flags, and the customer by token (with its type) or identifier."""
    await ctx.domain.tokens.add("RFID-C", token_type="ISO15693")
    action, payload = await call(ctx, c.CustomerInformation(clear=True, id_token="RFID-C", request_id=3))
    assert (action, payload) == (
        "CustomerInformation",
        {"requestId": 3, "report": True, "clear": True, "idToken": {"idToken": "RFID-C", "type": "ISO15693"}},
    )
    _, payload = await call(ctx, c.CustomerInformation(customer_identifier="cust-1"))
    assert payload["customerIdentifier"] == "cust-1" and "idToken" not in payload
    with pytest.raises(c.InvalidCommand, match="name the customer"):
        await call(ctx, c.CustomerInformation())
    with pytest.raises(c.InvalidCommand, match="report, a clear or both"):
        await call(ctx, c.CustomerInformation(report=False, customer_identifier="cust-1"))
