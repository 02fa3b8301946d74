"""OCA OCPP 1.6 CSMS test cases of the Core profile that the charge point drives: the test sends the
messages each case lists and checks the CSMS's answers and what it stored."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from opencsms.runtime import Runtime
from tests.e2e.scripted import BOOT_16, ChargePoint, connector_status, timestamp
from tests.e2e.wsclient import RawStation

pytestmark = pytest.mark.e2e


async def test_tc_004_1_csms_regular_charging_session_identification_first(server: Runtime) -> None:
    """TC_004_1_CSMS: Authorize first, then Preparing, StartTransaction and Charging; all accepted
    and the transaction stored as running on the connector with the tag."""
    await server.domain.tokens.add("TAG-0041")
    point = await ChargePoint.online(server, "CP-0041")
    assert await point.authorize("TAG-0041") == "Accepted"
    await point.status(1, "Preparing")
    transaction_id, status = await point.start(1, "TAG-0041", meter=100)
    assert status == "Accepted"
    await point.status(1, "Charging")
    tx = await server.domain.transactions.get(transaction_id)
    assert tx is not None and tx.status == "active"
    assert (tx.station_id, tx.connector_id, tx.id_token, tx.meter_start_wh) == ("CP-0041", 1, "TAG-0041", 100)
    assert await connector_status(server, "CP-0041", 1) == ("Charging", "NoError")
    await point.close()


async def test_tc_004_2_csms_identification_first_connection_timeout(server: Runtime) -> None:
    """TC_004_2_CSMS: Authorize, Preparing, then Available when the cable never came
    (ConnectionTimeOut): no transaction is made up, the connector is Available again."""
    await server.domain.tokens.add("TAG-0042")
    point = await ChargePoint.online(server, "CP-0042")
    assert await point.authorize("TAG-0042") == "Accepted"
    await point.status(1, "Preparing")
    await point.status(1, "Available")
    assert await server.domain.transactions.list(station_id="CP-0042") == []
    assert await connector_status(server, "CP-0042", 1) == ("Available", "NoError")
    await point.close()


async def test_tc_005_1_csms_ev_side_disconnected_stops_the_transaction(server: Runtime) -> None:
    """TC_005_1_CSMS: while charging the EV side disconnects: SuspendedEV, StopTransaction
    (EVDisconnected), Finishing, Available; the transaction ends with that reason."""
    point = await ChargePoint.online(server, "CP-0051")
    transaction_id = await point.charging(server, 1, "TAG-0051")
    await point.status(1, "SuspendedEV")
    answer = await point.stop(transaction_id, "EVDisconnected", meter=1500, id_tag="TAG-0051")
    assert answer == {"idTagInfo": {"status": "Accepted"}}
    await point.status(1, "Finishing")
    await point.status(1, "Available")
    tx = await server.domain.transactions.get(transaction_id)
    assert tx is not None and tx.status == "ended"
    assert (tx.stop_reason, tx.meter_stop_wh) == ("EVDisconnected", 1500)
    assert await connector_status(server, "CP-0051", 1) == ("Available", "NoError")
    await point.close()


async def test_tc_007_csms_regular_start_with_a_cached_id(server: Runtime) -> None:
    """TC_007_CSMS: the tag is in the charge point's cache, so StartTransaction comes without an
    Authorize; the CSMS checks the tag itself and answers Accepted."""
    await server.domain.tokens.add("TAG-007")
    point = await ChargePoint.online(server, "CP-007")
    await point.status(1, "Preparing")
    transaction_id, status = await point.start(1, "TAG-007")
    assert status == "Accepted"
    await point.status(1, "Charging")
    tx = await server.domain.transactions.get(transaction_id)
    assert tx is not None and tx.status == "active" and tx.id_token == "TAG-007"
    await point.close()


async def test_tc_024_csms_start_charging_session_lock_failure(server: Runtime) -> None:
    """TC_024_CSMS: after Preparing, the connector reports Faulted with ConnectorLockFailure; the
    CSMS answers and keeps the fault with its error code."""
    await server.domain.tokens.add("TAG-024")
    point = await ChargePoint.online(server, "CP-024")
    assert await point.authorize("TAG-024") == "Accepted"
    await point.status(1, "Preparing")
    await point.status(1, "Faulted", error="ConnectorLockFailure")
    assert await connector_status(server, "CP-024", 1) == ("Faulted", "ConnectorLockFailure")
    assert await server.domain.transactions.list(station_id="CP-024") == []
    await point.close()


async def test_tc_032_1_csms_power_failure_boot_stops_the_transaction(server: Runtime) -> None:
    """TC_032_1_CSMS: the power came back during a transaction: BootNotification (Accepted),
    statuses per connector and 0 (Finishing for the one that charged), StopTransaction PowerLoss."""
    point = await ChargePoint.online(server, "CP-0321")
    transaction_id = await point.charging(server, 2, "TAG-0321")
    await point.close()

    point = ChargePoint(await RawStation.open(server.ocpp_url, "CP-0321"), "CP-0321")
    assert (await point.call("BootNotification", {**BOOT_16, "firmwareVersion": "1.0"}))[
        "status"
    ] == "Accepted"
    await point.status(0, "Available")
    await point.status(1, "Available")
    await point.status(2, "Finishing")
    answer = await point.stop(transaction_id, "PowerLoss", meter=1800)
    assert "idTagInfo" not in answer or answer["idTagInfo"]["status"] == "Accepted"
    tx = await server.domain.transactions.get(transaction_id)
    assert tx is not None and tx.status == "ended" and tx.stop_reason == "PowerLoss"
    assert await connector_status(server, "CP-0321", 2) == ("Finishing", "NoError")
    await point.close()


async def test_tc_037_1_csms_offline_start_transaction_valid_id_tag(server: Runtime) -> None:
    """TC_037_1_CSMS: a transaction started while offline is sent on reconnection with its own,
    earlier timestamp; the CSMS accepts the tag and keeps that start time."""
    await server.domain.tokens.add("TAG-0371")
    point = await ChargePoint.online(server, "CP-0371")
    await point.close()
    started_at = timestamp(minutes_ago=10)

    point = ChargePoint(await RawStation.open(server.ocpp_url, "CP-0371"), "CP-0371")
    await point.status(1, "Charging")
    transaction_id, status = await point.start(1, "TAG-0371", meter=50, at=started_at)
    assert status == "Accepted"
    tx = await server.domain.transactions.get(transaction_id)
    assert tx is not None and tx.status == "active" and tx.id_token == "TAG-0371"
    assert tx.started_at.isoformat().startswith(started_at[:19])
    await point.close()


async def test_tc_037_3_csms_offline_start_with_an_invalid_id_tag_is_stopped(server: Runtime) -> None:
    """TC_037_3_CSMS: an offline start with a tag the CSMS does not know gets Invalid; the charge
    point (StopTransactionOnInvalidId) stops it with DeAuthorized, which is stored."""
    point = await ChargePoint.online(server, "CP-0373")
    await point.close()

    point = ChargePoint(await RawStation.open(server.ocpp_url, "CP-0373"), "CP-0373")
    await point.status(1, "Charging")
    transaction_id, status = await point.start(1, "TAG-UNKNOWN", at=timestamp(minutes_ago=5))
    assert status == "Invalid"
    await point.status(1, "SuspendedEVSE")
    await point.stop(transaction_id, "DeAuthorized", meter=1200)
    await point.status(1, "Finishing")
    tx = await server.domain.transactions.get(transaction_id)
    assert tx is not None and tx.status == "ended" and tx.stop_reason == "DeAuthorized"
    await point.close()


async def test_tc_039_csms_offline_transaction(server: Runtime) -> None:
    """TC_039_CSMS: a whole transaction happened offline; its StartTransaction and StopTransaction
    arrive after reconnection and the CSMS stores it, start to end, with the charge point's times."""
    await server.domain.tokens.add("TAG-039")
    point = await ChargePoint.online(server, "CP-039")
    await point.close()

    now = datetime.now(UTC)
    point = ChargePoint(await RawStation.open(server.ocpp_url, "CP-039"), "CP-039")
    transaction_id, status = await point.start(1, "TAG-039", meter=10, at=timestamp(30, now))
    assert status == "Accepted"
    answer = await point.stop(transaction_id, "Local", meter=4010, at=timestamp(5, now), id_tag="TAG-039")
    assert answer == {"idTagInfo": {"status": "Accepted"}}
    await point.status(1, "Available")
    tx = await server.domain.transactions.get(transaction_id)
    assert tx is not None and tx.status == "ended"
    assert (tx.meter_start_wh, tx.meter_stop_wh, tx.stop_reason) == (10, 4010, "Local")
    assert tx.stopped_at is not None and (tx.stopped_at - tx.started_at).total_seconds() == 25 * 60
    await point.close()


async def test_tc_064_csms_data_transfer_to_a_central_system(server: Runtime) -> None:
    """TC_064_CSMS: a DataTransfer from the charge point gets a valid answer: this CSMS has no
    vendor extensions, so UnknownVendorId."""
    point = await ChargePoint.online(server, "CP-064")
    answer = await point.call("DataTransfer", {"vendorId": "com.acme", "messageId": "hello", "data": "1"})
    assert answer["status"] == "UnknownVendorId"
    await point.close()


async def test_tc_078_csms_invalid_central_system_certificate_security_event(server: Runtime) -> None:
    """TC_078_CSMS: the charge point reports InvalidCentralSystemCertificate; the event is
    answered and stored."""
    point = await ChargePoint.online(server, "CP-078")
    answer = await point.call(
        "SecurityEventNotification",
        {"type": "InvalidCentralSystemCertificate", "timestamp": timestamp(), "techInfo": "unknown CA"},
    )
    assert answer == {}
    events = await server.domain.security.list_events(station_id="CP-078")
    assert [(e.source, e.event_type, e.tech_info) for e in events] == [
        ("station", "InvalidCentralSystemCertificate", "unknown CA")
    ]
    await point.close()
