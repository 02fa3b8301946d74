"""OCA OCPP 2.0.1 CSMS test cases of customer information (block N, N09/N10): the operator asks a
station to report and/or clear what it holds about a customer; the test answers as the case's
station does and sends the NotifyCustomerInformation parts, which the CSMS answers and passes on."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

from opencsms.bus.interface import EventFilter
from opencsms.runtime import Runtime
from tests.e2e.scripted import ChargingStation, command_answered, timestamp

pytestmark = pytest.mark.e2e

# case -> (command arguments, the station's answer, the data parts it then reports)
CASES: dict[str, tuple[dict[str, Any], str, list[str]]] = {
    # TC_N_27: report, with data (in two parts)
    "n27": (
        {"report": True, "clear": False, "id_token": "RFID-CUST"},
        "Accepted",
        ["2 sessions, ", "31.5 kWh"],
    ),
    # TC_N_28: report, the station holds nothing about the customer
    "n28": ({"report": True, "clear": False, "id_token": "RFID-CUST"}, "Accepted", [""]),
    # TC_N_29: not accepted
    "n29": ({"report": True, "clear": False, "id_token": "RFID-CUST"}, "Rejected", []),
    # TC_N_30: clear and report, with data
    "n30": ({"report": True, "clear": True, "id_token": "RFID-CUST"}, "Accepted", ["cleared: 2 sessions"]),
    # TC_N_31: clear and report, no data
    "n31": ({"report": True, "clear": True, "id_token": "RFID-CUST"}, "Accepted", [""]),
    # TC_N_32: clear without a report: nothing follows
    "n32": ({"report": False, "clear": True, "id_token": "RFID-CUST"}, "Accepted", []),
    # TC_N_62: clear and report, the customer named by a customerIdentifier
    "n62": ({"report": True, "clear": True, "customer_identifier": "customer-62"}, "Accepted", ["cleared"]),
}


@pytest.mark.parametrize("case", sorted(CASES))
async def test_tc_n_27_28_29_30_31_32_62_csms_customer_information(
    server: Runtime, operator_http: httpx.AsyncClient, case: str
) -> None:
    """TC_N_27/28/29/30/31/32/62_CSMS: CustomerInformation with a request id, the report and clear
    flags asked for and the customer (its idToken with the token's type, or a customerIdentifier);
    the station's answer is shown; each NotifyCustomerInformation part is answered and passed on
    in order with the request id.

    TC_N_27_CSMS: report requested, Accepted, the data in two NotifyCustomerInformation parts.
    TC_N_28_CSMS: report requested, Accepted, one part with no data.
    TC_N_29_CSMS: the station answers Rejected; no part follows.
    TC_N_30_CSMS: clear and report, Accepted, the report of what was cleared.
    TC_N_31_CSMS: clear and report, Accepted, one part with no data.
    TC_N_32_CSMS: clear without a report, Accepted; no part follows.
    TC_N_62_CSMS: clear and report of a customer named by a customerIdentifier.
    """
    args, answer, parts = CASES[case]
    await server.domain.tokens.add("RFID-CUST", token_type="ISO14443")
    station_id = f"CS-{case.upper()}"
    station = await ChargingStation.online(server, station_id)
    events = server.bus.subscribe(EventFilter.of(["station.customer_information"], [station_id]))
    try:
        sent, result = await command_answered(
            operator_http,
            station.raw,
            station_id,
            "customer_information",
            args,
            "CustomerInformation",
            {"status": answer},
        )
        request_id = sent["requestId"]
        expected: dict[str, Any] = {"requestId": request_id, "report": args["report"], "clear": args["clear"]}
        if "id_token" in args:
            expected["idToken"] = {"idToken": "RFID-CUST", "type": "ISO14443"}
        else:
            expected["customerIdentifier"] = args["customer_identifier"]
        assert sent == expected and result["status"] == answer
        for seq_no, data in enumerate(parts):
            notify = {
                "data": data,
                "tbc": seq_no < len(parts) - 1,
                "seqNo": seq_no,
                "generatedAt": timestamp(),
                "requestId": request_id,
            }
            assert await station.call("NotifyCustomerInformation", notify) == {}
        seen = [await asyncio.wait_for(events.get(), 10) for _ in parts]
    finally:
        events.close()
    assert [(e.data["request_id"], e.data["seq_no"], e.data["data"]) for e in seen] == [
        (request_id, seq_no, data) for seq_no, data in enumerate(parts)
    ]
    await station.close()


async def test_customer_information_needs_a_customer_and_a_request(
    server: Runtime, operator_http: httpx.AsyncClient
) -> None:
    """Refused before sending: no customer named, or neither report nor clear asked for."""
    station = await ChargingStation.online(server, "CS-NCUST")
    url = "/api/v1/stations/CS-NCUST/commands/customer_information"
    assert (await operator_http.post(url, json={"report": True})).status_code == 422
    bad = {"report": False, "clear": False, "customer_identifier": "c"}
    assert (await operator_http.post(url, json=bad)).status_code == 422
    await station.close()
