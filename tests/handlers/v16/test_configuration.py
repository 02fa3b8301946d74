"""1.6 GetConfiguration / ChangeConfiguration answers in the configuration view."""

from __future__ import annotations

from collections.abc import Callable

from opencsms.handlers.context import StationContext
from opencsms.handlers.v16.configuration import changed_key, configuration_keys, record_result


def test_configuration_keys_become_attributes_without_component() -> None:
    keys = configuration_keys(
        {
            "configurationKey": [
                {"key": "HeartbeatInterval", "readonly": False, "value": "300"},
                {"key": "NumberOfConnectors", "readonly": True, "value": "2"},
                {"key": "AuthorizationKey", "readonly": False},
            ],
            "unknownKey": ["Nope"],
        }
    )
    assert [(k.key, k.value, k.mutability, k.status) for k in keys] == [
        ("HeartbeatInterval", "300", "ReadWrite", "Accepted"),
        ("NumberOfConnectors", "2", "ReadOnly", "Accepted"),
        ("AuthorizationKey", None, "ReadWrite", "Accepted"),
    ]


def test_not_supported_change_is_an_unknown_key() -> None:
    [change] = changed_key({"key": "Nope", "value": "1"}, {"status": "NotSupported"})
    assert (change.variable, change.status) == ("Nope", "UnknownKey")


async def test_answers_are_recorded(make_ctx: Callable[..., StationContext]) -> None:
    ctx = make_ctx("CP16", "1.6")
    await record_result(
        ctx,
        "GetConfiguration",
        {},
        {"configurationKey": [{"key": "HeartbeatInterval", "readonly": False, "value": "300"}]},
    )
    await record_result(
        ctx, "ChangeConfiguration", {"key": "HeartbeatInterval", "value": "60"}, {"status": "RebootRequired"}
    )
    await record_result(ctx, "ChangeConfiguration", {"key": "Nope", "value": "1"}, {"status": "NotSupported"})
    await record_result(ctx, "ClearCache", {}, {"status": "Accepted"})
    [stored] = await ctx.domain.device_model.configuration("CP16")
    assert (stored.key, stored.value, stored.status, stored.source) == (
        "HeartbeatInterval",
        "60",
        "RebootRequired",
        "ChangeConfiguration",
    )
