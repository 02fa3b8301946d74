"""GetLog (1.6 whitepaper § 5.2, 2.0.1 N01) and CustomerInformation (2.0.1 N09/N10) answered by the
simulated stations, with the notifications that follow."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from opencsms.simulate import SimulatedStation16, SimulatedStation201
from tests.simulate.csms import FakeCsms

LOG = {"remoteLocation": "ftp://logs.example/upload"}


async def test_a_1_6_station_uploads_its_log(csms: FakeCsms, station: SimulatedStation16) -> None:
    answer = await csms.call("CP1", "GetLog", {"logType": "SecurityLog", "requestId": 7, "log": LOG})
    assert answer == {"status": "Accepted", "filename": "CP1-SecurityLog.log"}
    notifications = await csms.wait_for("LogStatusNotification", 2)
    assert notifications == [{"status": "Uploading", "requestId": 7}, {"status": "Uploaded", "requestId": 7}]


@pytest.mark.parametrize("version", ["2.0.1", "2.1"])
async def test_a_2_x_station_uploads_its_log_or_fails_to(
    csms: FakeCsms, make_station201: Callable[..., SimulatedStation201], version: str
) -> None:
    station = make_station201(version=version)
    await station.connect()
    assert await station.boot() == "Accepted"
    failing = {"remoteLocation": "ftp://logs.example/upload-fails"}
    answer = await csms.call("CS1", "GetLog", {"logType": "DiagnosticsLog", "requestId": 3, "log": failing})
    assert answer["status"] == "Accepted" and answer["filename"].startswith("CS1-")
    statuses = [n["status"] for n in await csms.wait_for("LogStatusNotification", 2)]
    assert statuses == ["Uploading", "UploadFailure"]


async def test_customer_information_reports_the_sessions_of_the_token(
    csms: FakeCsms, station201: SimulatedStation201
) -> None:
    token = {"idToken": "TAG-C", "type": "Central"}
    start = {"idToken": token, "remoteStartId": 1, "evseId": 2}
    assert await csms.call("CS1", "RequestStartTransaction", start) == {"status": "Accepted"}
    started = (await csms.wait_for("TransactionEvent"))[0]

    ask = {"requestId": 11, "report": True, "clear": False, "idToken": token}
    assert await csms.call("CS1", "CustomerInformation", ask) == {"status": "Accepted"}
    report = (await csms.wait_for("NotifyCustomerInformation"))[0]
    assert report["requestId"] == 11 and report["seqNo"] == 0 and report["tbc"] is False
    assert "TAG-C" in report["data"] and started["transactionInfo"]["transactionId"] in report["data"]

    other = {**ask, "requestId": 12, "idToken": {"idToken": "NOBODY", "type": "Central"}}
    assert await csms.call("CS1", "CustomerInformation", other) == {"status": "Accepted"}
    reports = await csms.wait_for("NotifyCustomerInformation", 2)
    assert reports[1]["requestId"] == 12 and "no transaction" in reports[1]["data"]


async def test_customer_information_needs_a_customer_and_something_to_do(
    csms: FakeCsms, station201: SimulatedStation201
) -> None:
    nobody = {"requestId": 1, "report": True, "clear": False}
    assert await csms.call("CS1", "CustomerInformation", nobody) == {"status": "Invalid"}
    nothing = {"requestId": 2, "report": False, "clear": False, "customerIdentifier": "C-1"}
    assert await csms.call("CS1", "CustomerInformation", nothing) == {"status": "Rejected"}
    clear_only = {"requestId": 3, "report": False, "clear": True, "customerIdentifier": "C-1"}
    assert await csms.call("CS1", "CustomerInformation", clear_only) == {"status": "Accepted"}
    assert csms.calls("NotifyCustomerInformation") == []
