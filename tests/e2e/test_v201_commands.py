"""OCPP 2.0.1 commands to a simulated station through the HTTP command endpoint (blocks B, C, E, F, G, P)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from opencsms.runtime import Runtime
from opencsms.simulate import SimulatedStation201, StationConfig
from tests.conftest import admin_key, auth
from tests.simulate.csms import VALIDATORS, poll

pytestmark = pytest.mark.e2e

STATION = "CS-CMD"


@pytest.fixture
async def station(server: Runtime) -> AsyncIterator[SimulatedStation201]:
    await server.domain.tokens.add("TAG-CMD")
    st = SimulatedStation201(
        StationConfig(
            STATION, server.ocpp_url, evses=2, connectors_per_evse=2, meter_interval=0.1,
            unplug_seconds=0.0, boot_retry_seconds=0.1, reconnect_min_seconds=0.05, reconnect_max_seconds=0.1,
        ),
        validator=VALIDATORS["2.0.1"],
    )  # fmt: skip
    await st.connect()
    assert await st.boot() == "Accepted"
    await st.announce_statuses()
    yield st
    await st.disconnect()


@pytest.fixture
async def http(server: Runtime) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=server.http_url, headers=auth(admin_key(server))) as client:
        yield client


async def send(http: httpx.AsyncClient, name: str, **args: Any) -> dict[str, Any]:
    response = await http.post(f"/api/v1/stations/{STATION}/commands/{name}", json=args)
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


async def connector_status(server: Runtime, evse_id: int, connector_id: int) -> str | None:
    for connector in await server.domain.stations.connectors(STATION):
        if (connector.evse_id, connector.connector_id) == (evse_id, connector_id):
            return connector.status
    return None


async def test_tc_f_06_csms_remote_unlock_connector(
    server: Runtime, station: SimulatedStation201, http: httpx.AsyncClient
) -> None:
    """TC_F_06_CSMS: UnlockConnector for EVSE and connector; the station's status comes back."""
    result = await send(http, "unlock_connector", evse_id=2, connector_id=2)
    assert result["request"] == {"evseId": 2, "connectorId": 2} and result["status"] == "Unlocked"
    assert (await send(http, "unlock_connector", evse_id=3, connector_id=1))["status"] == "UnknownConnector"


async def test_tc_f_11_12_20_23_27_csms_trigger_message(
    server: Runtime, station: SimulatedStation201, http: httpx.AsyncClient
) -> None:
    """TC_F_11/F_12 (MeterValues for one EVSE and all), TC_F_20 (Heartbeat), TC_F_23 (StatusNotification
    of one EVSE), TC_F_27 (NotImplemented): the triggered messages are received and stored.

    TC_F_11_CSMS: TriggerMessage MeterValues for EVSE 1; the triggered values are stored.
    TC_F_12_CSMS: TriggerMessage MeterValues for all EVSEs, Accepted.
    TC_F_20_CSMS: TriggerMessage Heartbeat, Accepted.
    TC_F_23_CSMS: TriggerMessage StatusNotification for EVSE 2; the status is stored again.
    TC_F_27_CSMS: TriggerMessage of a message the station does not implement: NotImplemented.
    """
    result = await send(http, "trigger_message", message="MeterValues", evse_id=1)
    assert (
        result["request"] == {"requestedMessage": "MeterValues", "evse": {"id": 1}}
        and result["status"] == "Accepted"
    )

    async def triggered_samples() -> bool:
        values = await server.domain.transactions.meter_values_of_station(STATION, 100)
        return bool(values) and {sv.context for _, sv in values} == {"Trigger"}

    await poll(triggered_samples)
    assert (await send(http, "trigger_message", message="MeterValues"))["status"] == "Accepted"
    assert (await send(http, "trigger_message", message="Heartbeat"))["status"] == "Accepted"
    before = len(await server.domain.stations.status_history(STATION, 1, evse_id=2))
    assert (await send(http, "trigger_message", message="StatusNotification", evse_id=2))[
        "status"
    ] == "Accepted"

    async def status_sent_again() -> bool:
        return len(await server.domain.stations.status_history(STATION, 1, evse_id=2)) == before + 1

    await poll(status_sent_again)
    assert (await send(http, "trigger_message", message="SignV2GCertificate"))["status"] == "NotImplemented"


async def test_tc_g_03_04_05_06_07_08_csms_change_availability_evse_station_connector(
    server: Runtime, station: SimulatedStation201, http: httpx.AsyncClient
) -> None:
    """TC_G_03/G_04 (EVSE), TC_G_05/G_06 (station), TC_G_07/G_08 (connector): inoperative and back;
    the StatusNotifications that follow update the stored connector statuses.

    TC_G_03_CSMS: EVSE 1 Inoperative: Accepted, its connectors Unavailable.
    TC_G_04_CSMS: EVSE 1 Operative again: Available.
    TC_G_05_CSMS: the station Inoperative: every connector Unavailable.
    TC_G_06_CSMS: the station Operative again: Available.
    TC_G_07_CSMS: connector 2 of EVSE 2 Inoperative: that connector alone Unavailable.
    TC_G_08_CSMS: that connector Operative again: Available.
    """
    result = await send(http, "change_availability", operative=False, evse_id=1)
    assert result["request"] == {"operationalStatus": "Inoperative", "evse": {"id": 1}}
    assert result["status"] == "Accepted"

    async def status_is(evse_id: int, connector_id: int, wanted: str) -> None:
        async def reached() -> bool:
            return await connector_status(server, evse_id, connector_id) == wanted

        await poll(reached)

    await status_is(1, 1, "Unavailable")
    await status_is(1, 2, "Unavailable")
    assert await connector_status(server, 2, 1) == "Available"
    await send(http, "change_availability", operative=True, evse_id=1)
    await status_is(1, 1, "Available")

    result = await send(http, "change_availability", operative=False, evse_id=2, connector_id=2)
    assert result["request"]["evse"] == {"id": 2, "connectorId": 2} and result["status"] == "Accepted"
    await status_is(2, 2, "Unavailable")
    assert await connector_status(server, 2, 1) == "Available"
    await send(http, "change_availability", operative=True, evse_id=2, connector_id=2)
    await status_is(2, 2, "Available")

    result = await send(http, "change_availability", operative=False)
    assert result["request"] == {"operationalStatus": "Inoperative"} and result["status"] == "Accepted"
    for evse_id, connector_id in ((1, 1), (1, 2), (2, 1), (2, 2)):
        await status_is(evse_id, connector_id, "Unavailable")
    await send(http, "change_availability", operative=True)
    await status_is(2, 2, "Available")


async def test_change_availability_of_a_charging_evse_is_scheduled(
    server: Runtime, station: SimulatedStation201, http: httpx.AsyncClient
) -> None:
    """The simulated station answers Scheduled for an EVSE with a running transaction; the session
    goes on."""
    ref = await station.start_transaction(1, "TAG-CMD")
    assert (await send(http, "change_availability", operative=False, evse_id=1))["status"] == "Scheduled"
    tx = await server.domain.transactions.find(STATION, ref)
    assert tx is not None and tx.status == "active"


async def test_tc_e_30_34_csms_get_transaction_status(
    server: Runtime, station: SimulatedStation201, http: httpx.AsyncClient
) -> None:
    """TC_E_30_CSMS (transaction ongoing, nothing queued) and TC_E_34_CSMS (no transactionId, nothing
    queued); an unknown transaction is a 422 before anything is sent.

    TC_E_30_CSMS: GetTransactionStatus with the running transaction's id: ongoing, nothing queued.
    TC_E_34_CSMS: GetTransactionStatus without an id: nothing queued.
    """
    ref = await station.start_transaction(1, "TAG-CMD")
    tx = await server.domain.transactions.find(STATION, ref)
    assert tx is not None
    result = await send(http, "get_transaction_status", transaction_id=tx.id)
    assert result["request"] == {"transactionId": ref}
    assert result["response"] == {"messagesInQueue": False, "ongoingIndicator": True}
    result = await send(http, "get_transaction_status")
    assert result["request"] == {} and result["response"] == {"messagesInQueue": False}
    missing = await http.post(
        f"/api/v1/stations/{STATION}/commands/get_transaction_status", json={"transaction_id": 999}
    )
    assert missing.status_code == 422


async def test_tc_b_20_csms_reset_on_idle_station(
    server: Runtime, station: SimulatedStation201, http: httpx.AsyncClient
) -> None:
    """TC_B_20_CSMS: Reset OnIdle of an idle station is Accepted and it boots again (RemoteReset);
    a Reset of one EVSE names the EVSE (this station refuses EVSE resets)."""
    result = await send(http, "reset", kind="Hard", evse_id=1)
    assert result["request"] == {"type": "Immediate", "evseId": 1} and result["status"] == "Rejected"
    first = await server.domain.stations.get(STATION)
    assert first is not None and first.last_boot is not None
    result = await send(http, "reset")
    assert result["request"] == {"type": "OnIdle"} and result["status"] == "Accepted"

    async def rebooted() -> bool:
        stored = await server.domain.stations.get(STATION)
        return stored is not None and stored.last_boot is not None and stored.last_boot > first.last_boot

    await poll(rebooted)


async def test_tc_b_21_csms_reset_on_idle_with_ongoing_transaction_is_scheduled(
    server: Runtime, station: SimulatedStation201, http: httpx.AsyncClient
) -> None:
    """TC_B_21_CSMS: Reset OnIdle while charging: Scheduled; the transaction is not cut; once the
    driver ends it, the station resets and boots again, Accepted."""
    ref = await station.start_transaction(2, "TAG-CMD")
    first = await server.domain.stations.get(STATION)
    assert first is not None and first.last_boot is not None
    result = await send(http, "reset")
    assert result["request"] == {"type": "OnIdle"} and result["status"] == "Scheduled"
    tx = await server.domain.transactions.find(STATION, ref)
    assert tx is not None and tx.status == "active"
    await station.stop_transaction(2)
    tx = await server.domain.transactions.find(STATION, ref)
    assert tx is not None and tx.status == "ended" and tx.stop_reason == "Local"

    async def rebooted() -> bool:
        stored = await server.domain.stations.get(STATION)
        return stored is not None and stored.last_boot is not None and stored.last_boot > first.last_boot

    await poll(rebooted)
    assert station.stats.resets == 1


async def test_tc_c_37_38_csms_clear_authorization_cache(
    server: Runtime, station: SimulatedStation201, http: httpx.AsyncClient
) -> None:
    """TC_C_37_CSMS: ClearCache Accepted; TC_C_38_CSMS: Rejected when the station's cache is off."""
    assert (await send(http, "clear_cache"))["status"] == "Accepted"
    await send(http, "set_variables", values={"AuthCacheCtrlr.Enabled": "false"})
    assert (await send(http, "clear_cache"))["status"] == "Rejected"


async def test_data_transfer_to_the_station(
    server: Runtime, station: SimulatedStation201, http: httpx.AsyncClient
) -> None:
    """P01 (CSMS -> station; no CSMS certification case): DataTransfer with vendor, message id and
    data as given."""
    result = await send(http, "data_transfer", vendor_id="com.acme", message_id="ping", data="1")
    assert result["request"] == {"vendorId": "com.acme", "messageId": "ping", "data": "1"}
    assert result["status"] == "UnknownVendorId"
