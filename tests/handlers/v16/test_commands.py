"""Version-neutral commands as 1.6 calls, in particular the device model ones."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from opencsms.domain import commands as c
from opencsms.handlers.context import Payload, StationContext
from opencsms.handlers.v16.commands import to_call
from opencsms.messages import get_validator

VALIDATOR = get_validator("1.6")


@pytest.mark.parametrize(
    ("command", "expected"),
    [
        (c.GetBaseReport(), ("GetConfiguration", {})),
        (c.GetReport(), ("GetConfiguration", {})),
        (c.GetReport(("HeartbeatInterval",)), ("GetConfiguration", {"key": ["HeartbeatInterval"]})),
        (c.GetVariables(("A", "B")), ("GetConfiguration", {"key": ["A", "B"]})),
        (
            c.SetVariables({"HeartbeatInterval": "60"}),
            ("ChangeConfiguration", {"key": "HeartbeatInterval", "value": "60"}),
        ),
        (c.RemoteStart("T", evse_id=2), ("RemoteStartTransaction", {"idTag": "T", "connectorId": 2})),
        (  # whitepaper § 5.2
            c.GetLog("ftp://logs.example/", "SecurityLog", request_id=6, oldest="2026-11-24T10:00:00Z"),
            (
                "GetLog",
                {
                    "logType": "SecurityLog",
                    "requestId": 6,
                    "log": {
                        "remoteLocation": "ftp://logs.example/",
                        "oldestTimestamp": "2026-11-24T10:00:00Z",
                    },
                },
            ),
        ),
    ],
)
async def test_device_model_commands_become_configuration_calls(
    make_ctx,
    command: c.Command,
    expected: tuple[str, Payload],  # type: ignore[no-untyped-def]
) -> None:
    action, payload = await to_call(make_ctx("CP16", "1.6"), command)
    VALIDATOR.validate_request(action, payload)
    assert (action, payload) == expected


async def test_several_keys_at_once_and_network_profiles_do_not_exist_in_16(
    make_ctx: Callable[..., StationContext],
) -> None:
    ctx = make_ctx("CP16", "1.6")
    with pytest.raises(c.InvalidCommand, match="one configuration key"):
        await to_call(ctx, c.SetVariables({"A": "1", "B": "2"}))
    with pytest.raises(c.UnknownCommand, match=r"1\.6"):
        await to_call(ctx, c.SetNetworkProfile(1, {}))


TX_PROFILE = {
    "id": 59,
    "stackLevel": 1,
    "chargingProfilePurpose": "TxProfile",
    "chargingProfileKind": "Relative",
    "chargingSchedule": [
        {"id": 1, "chargingRateUnit": "A", "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 10}]}
    ],
}


async def test_a_remote_start_may_carry_a_tx_profile(make_ctx: Callable[..., StationContext]) -> None:
    """1.6 section 5.11 (TC_059): the profile goes in 1.6 spelling; only a TxProfile without a
    transactionId is sent."""
    ctx = make_ctx("CP16", "1.6")
    action, payload = await to_call(ctx, c.RemoteStart("T", connector_id=1, charging_profile=TX_PROFILE))
    VALIDATOR.validate_request(action, payload)
    assert payload["chargingProfile"] == {
        "chargingProfileId": 59,
        "stackLevel": 1,
        "chargingProfilePurpose": "TxProfile",
        "chargingProfileKind": "Relative",
        "chargingSchedule": {
            "chargingRateUnit": "A",
            "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 10.0}],
        },
    }
    for wrong, reason in (
        ({**TX_PROFILE, "chargingProfilePurpose": "TxDefaultProfile"}, "must be a TxProfile"),
        ({**TX_PROFILE, "transactionId": 5}, "names no transactionId"),
        ({**TX_PROFILE, "stackLevel": -1}, "stackLevel"),
    ):
        with pytest.raises(c.InvalidCommand, match=reason):
            await to_call(ctx, c.RemoteStart("T", connector_id=1, charging_profile=wrong))
