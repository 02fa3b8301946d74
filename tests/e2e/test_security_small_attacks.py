"""The smaller attacks of the hostile audit, each against a real server on 127.0.0.1."""

from __future__ import annotations

import orjson
import pytest

from opencsms.runtime import Runtime
from tests.e2e.wsclient import RawStation

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize("offered", ["OCPP1.6", "Ocpp2.0.1"])
async def test_a_subprotocol_in_capitals_is_served(server: Runtime, offered: str) -> None:
    station = await RawStation.open(server.ocpp_url, "CP-CAPS", (offered,))
    assert station.ws.subprotocol == offered  # the client's own spelling is echoed
    assert (await station.call("Heartbeat", {}))[0] == 3
    await station.close()


async def test_a_16_frame_over_the_limit_gets_a_formation_violation_with_its_id(server: Runtime) -> None:
    """Between the frame limit (256 KiB) and the WebSocket limit (1 MiB) the CALL is answered."""
    station = await RawStation.open(server.ocpp_url, "CP-LARGE")
    frame = [2, "big-1", "DataTransfer", {"vendorId": "v", "data": "x" * (300 * 1024)}]
    await station.send_raw(orjson.dumps(frame).decode())
    answer = await station.recv()
    assert answer[:3] == [4, "big-1", "FormationViolation"]
    assert (await station.call("Heartbeat", {}))[0] == 3  # the session goes on
    await station.close()
