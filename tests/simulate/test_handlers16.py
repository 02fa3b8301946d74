"""CSMS -> station calls: the simulated station answers them and acts on them."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from opencsms.ocppj.errors import NotImplementedCallError
from opencsms.simulate import SimulatedStation16
from opencsms.transport.connection import CallErrorReceived
from tests.simulate.csms import FakeCsms


async def test_remote_start_really_starts_and_remote_stop_really_stops(
    csms: FakeCsms, station: SimulatedStation16
) -> None:
    result = await csms.call("CP1", "RemoteStartTransaction", {"idTag": "TAG-R", "connectorId": 2})
    assert result == {"status": "Accepted"}
    start = (await csms.wait_for("StartTransaction"))[0]
    assert start["connectorId"] == 2 and start["idTag"] == "TAG-R"
    await csms.wait_until(lambda: csms.statuses(2) == ["Preparing", "Charging"])
    assert "Authorize" not in csms.actions()  # AuthorizeRemoteTxRequests is false
    meter_values = await csms.wait_for("MeterValues", 2)  # metered on its own every 0.1 s
    assert all(p["transactionId"] == 1 for p in meter_values)

    # busy connector, and the other one named explicitly by nobody: connector 1 is taken
    assert await csms.call("CP1", "RemoteStartTransaction", {"idTag": "TAG-R", "connectorId": 2}) == {
        "status": "Rejected"
    }
    assert await csms.call("CP1", "RemoteStartTransaction", {"idTag": "TAG-R", "connectorId": 7}) == {
        "status": "Rejected"
    }
    assert await csms.call("CP1", "RemoteStopTransaction", {"transactionId": 99}) == {"status": "Rejected"}

    assert await csms.call("CP1", "RemoteStopTransaction", {"transactionId": 1}) == {"status": "Accepted"}
    stop = (await csms.wait_for("StopTransaction"))[0]
    assert stop["transactionId"] == 1 and stop["reason"] == "Remote"
    await csms.wait_until(lambda: csms.statuses(2)[-2:] == ["Finishing", "Available"])
    assert station.connectors[2].transaction is None and station.connectors[2].is_free


async def test_remote_start_picks_a_free_connector(csms: FakeCsms, station: SimulatedStation16) -> None:
    await station.start_transaction(1, "TAG-1")
    assert await csms.call("CP1", "RemoteStartTransaction", {"idTag": "TAG-R"}) == {"status": "Accepted"}
    assert (await csms.wait_for("StartTransaction", 2))[1]["connectorId"] == 2
    assert await csms.call("CP1", "RemoteStartTransaction", {"idTag": "TAG-R"}) == {"status": "Rejected"}


async def test_remote_start_authorizes_when_configured(csms: FakeCsms, station: SimulatedStation16) -> None:
    result = await csms.call(
        "CP1", "ChangeConfiguration", {"key": "AuthorizeRemoteTxRequests", "value": "true"}
    )
    assert result == {"status": "Accepted"}
    await csms.call("CP1", "RemoteStartTransaction", {"idTag": "BAD-TAG", "connectorId": 1})
    await csms.wait_until(lambda: csms.statuses(1) == ["Preparing", "Available"])
    assert "StartTransaction" not in csms.actions()
    assert station.stats.auth_rejected == 1


async def test_tag_refused_by_start_transaction_stops_it_deauthorized(
    csms: FakeCsms, station: SimulatedStation16
) -> None:
    await csms.call("CP1", "RemoteStartTransaction", {"idTag": "BAD-TAG", "connectorId": 1})
    stop = (await csms.wait_for("StopTransaction"))[0]
    assert stop["reason"] == "DeAuthorized"
    await csms.wait_until(lambda: csms.statuses(1) == ["Preparing", "Finishing", "Available"])


async def test_remote_start_gives_up_when_nobody_plugs_in(
    csms: FakeCsms, make_station: Callable[..., SimulatedStation16]
) -> None:
    st = make_station(plug_in_seconds=0.3)
    await st.connect()
    await st.boot()
    st.configuration.set("ConnectionTimeOut", "0")
    await csms.call("CP1", "RemoteStartTransaction", {"idTag": "TAG-R", "connectorId": 1})
    await csms.wait_until(lambda: csms.statuses(1) == ["Preparing", "Available"])
    assert "StartTransaction" not in csms.actions()


async def test_reset_stops_transactions_reconnects_and_boots(
    csms: FakeCsms, station: SimulatedStation16
) -> None:
    transaction_id = await station.start_transaction(1, "TAG-1")
    assert await csms.call("CP1", "Reset", {"type": "Hard"}) == {"status": "Accepted"}
    stop = (await csms.wait_for("StopTransaction"))[0]
    assert stop["transactionId"] == transaction_id and stop["reason"] == "HardReset"
    await csms.wait_for("BootNotification", 2)
    await csms.wait_until(lambda: len(csms.statuses(0)) == 1 and len(csms.statuses(2)) == 1)
    assert csms.connects["CP1"] == 2
    assert station.online.is_set() and station.stats.resets == 1
    assert await csms.call("CP1", "Reset", {"type": "Soft"}) == {"status": "Accepted"}
    await csms.wait_for("BootNotification", 3)
    assert csms.connects["CP1"] == 3


async def test_configuration_keys(csms: FakeCsms, station: SimulatedStation16) -> None:
    everything = await csms.call("CP1", "GetConfiguration", {})
    keys = {k["key"]: k for k in everything["configurationKey"]}
    assert keys["HeartbeatInterval"] == {"key": "HeartbeatInterval", "readonly": False, "value": "60"}
    assert keys["NumberOfConnectors"] == {"key": "NumberOfConnectors", "readonly": True, "value": "2"}
    assert "unknownKey" not in everything

    async def change(key: str, value: str) -> str:
        return str((await csms.call("CP1", "ChangeConfiguration", {"key": key, "value": value}))["status"])

    assert await change("HeartbeatInterval", "5") == "Accepted"
    assert station.heartbeat_interval == 5
    assert await change("metervaluesampleinterval", "0") == "Accepted"  # keys are case-insensitive
    assert station.meter_interval == 0
    assert await change("NumberOfConnectors", "4") == "Rejected"
    assert await change("HeartbeatInterval", "soon") == "Rejected"
    assert await change("StopTransactionOnInvalidId", "maybe") == "Rejected"
    assert await change("ColourOfTheCable", "blue") == "NotSupported"

    some = await csms.call(
        "CP1",
        "GetConfiguration",
        {"key": ["HeartbeatInterval", "ColourOfTheCable", "MeterValueSampleInterval"]},
    )
    assert some["configurationKey"] == [
        {"key": "HeartbeatInterval", "readonly": False, "value": "5"},
        {"key": "MeterValueSampleInterval", "readonly": False, "value": "0"},
    ]
    assert some["unknownKey"] == ["ColourOfTheCable"]


async def test_change_availability(csms: FakeCsms, station: SimulatedStation16) -> None:
    async def change(connector_id: int, kind: str) -> str:
        return str(
            (await csms.call("CP1", "ChangeAvailability", {"connectorId": connector_id, "type": kind}))[
                "status"
            ]
        )

    assert await change(2, "Inoperative") == "Accepted"
    await csms.wait_until(lambda: csms.statuses(2) == ["Unavailable"])
    assert await csms.call("CP1", "RemoteStartTransaction", {"idTag": "T", "connectorId": 2}) == {
        "status": "Rejected"
    }
    assert await change(2, "Operative") == "Accepted"
    await csms.wait_until(lambda: csms.statuses(2) == ["Unavailable", "Available"])

    await station.start_transaction(1, "TAG-1")
    assert await change(1, "Inoperative") == "Scheduled"
    await station.stop_transaction(1)
    assert station.connectors[1].operative  # the stop alone does not apply it; the session end does
    assert await change(9, "Inoperative") == "Rejected"

    assert await change(0, "Inoperative") == "Accepted"
    await csms.wait_until(lambda: csms.statuses(0) == ["Unavailable"] and csms.statuses(1) == ["Unavailable"])
    assert not any(c.operative for c in station.connectors.values())


async def test_scheduled_unavailability_applies_when_the_session_ends(
    csms: FakeCsms, station: SimulatedStation16
) -> None:
    await csms.call("CP1", "RemoteStartTransaction", {"idTag": "TAG-R", "connectorId": 1})
    await csms.wait_until(lambda: csms.statuses(1) == ["Preparing", "Charging"])
    result = await csms.call("CP1", "ChangeAvailability", {"connectorId": 1, "type": "Inoperative"})
    assert result == {"status": "Scheduled"}
    await csms.call("CP1", "RemoteStopTransaction", {"transactionId": 1})
    await csms.wait_until(lambda: csms.statuses(1) == ["Preparing", "Charging", "Finishing", "Unavailable"])


async def test_unlock_connector_ends_its_transaction(csms: FakeCsms, station: SimulatedStation16) -> None:
    assert await csms.call("CP1", "UnlockConnector", {"connectorId": 2}) == {"status": "Unlocked"}
    await station.start_transaction(2, "TAG-1")
    assert await csms.call("CP1", "UnlockConnector", {"connectorId": 2}) == {"status": "Unlocked"}
    assert (await csms.wait_for("StopTransaction"))[0]["reason"] == "UnlockCommand"
    assert await csms.call("CP1", "UnlockConnector", {"connectorId": 5}) == {"status": "NotSupported"}


async def test_trigger_message(csms: FakeCsms, station: SimulatedStation16) -> None:
    async def trigger(message: str, connector_id: int | None = None) -> str:
        payload: dict[str, object] = {"requestedMessage": message}
        if connector_id is not None:
            payload["connectorId"] = connector_id
        return str((await csms.call("CP1", "TriggerMessage", payload))["status"])

    assert await trigger("Heartbeat") == "Accepted"
    await csms.wait_for("Heartbeat")
    assert await trigger("StatusNotification", 1) == "Accepted"
    await csms.wait_until(lambda: csms.statuses(1) == ["Available"])
    assert await trigger("StatusNotification") == "Accepted"
    await csms.wait_until(lambda: len(csms.calls("StatusNotification")) == 4)
    assert await trigger("MeterValues", 2) == "Accepted"
    sample = (await csms.wait_for("MeterValues"))[0]
    assert sample["connectorId"] == 2 and sample["meterValue"][0]["sampledValue"][0]["context"] == "Trigger"
    assert await trigger("BootNotification") == "Accepted"
    await csms.wait_for("BootNotification", 2)
    assert await trigger("FirmwareStatusNotification") == "Accepted"
    assert (await csms.wait_for("FirmwareStatusNotification"))[0] == {"status": "Idle"}
    assert await trigger("Heartbeat", 8) == "Rejected"


async def test_clear_cache_and_data_transfer(csms: FakeCsms, station: SimulatedStation16) -> None:
    assert await csms.call("CP1", "ClearCache", {}) == {"status": "Accepted"}
    assert await csms.call("CP1", "DataTransfer", {"vendorId": "com.example"}) == {
        "status": "UnknownVendorId"
    }


@pytest.mark.parametrize("validate", [True, False])
async def test_unknown_action_gets_not_implemented(
    make_station: Callable[..., SimulatedStation16], validate: bool
) -> None:
    # Without validators on either side the station's own dispatch answers; with them, its validator does.
    async with FakeCsms(validate=False) as raw:
        st = make_station(url=raw.url, validate=validate)
        await st.connect()
        with pytest.raises(CallErrorReceived) as refused:
            await raw.call("CP1", "FlyToTheMoon", {})
        assert isinstance(refused.value.error, NotImplementedCallError)
        await st.disconnect()


def test_every_call_a_1_6_csms_makes_has_a_handler() -> None:
    # So a 1.6 station never answers NotSupported (the 2.0.1 tests cover that answer).
    from opencsms.messages.catalog import action_catalog, is_csms_initiated
    from opencsms.simulate.handlers16 import HANDLERS

    sent_by_csms = {action for action in action_catalog("1.6") if is_csms_initiated("1.6", action)}
    assert sent_by_csms - set(HANDLERS) == set()


async def test_bad_payload_without_validator_gets_a_precise_error(
    make_station: Callable[..., SimulatedStation16],
) -> None:
    async with FakeCsms(validate=False) as raw:
        st = make_station(url=raw.url, validate=False)
        await st.connect()
        with pytest.raises(CallErrorReceived) as missing:
            await raw.call("CP1", "RemoteStartTransaction", {})
        assert missing.value.error.code == "OccurrenceConstraintViolation"
        with pytest.raises(CallErrorReceived) as wrong:
            await raw.call("CP1", "RemoteStopTransaction", {"transactionId": "one"})
        assert wrong.value.error.code == "TypeConstraintViolation"
        with pytest.raises(CallErrorReceived) as bad:
            await raw.call("CP1", "Reset", {"type": "Gentle"})
        assert bad.value.error.code == "PropertyConstraintViolation"
        await st.disconnect()
