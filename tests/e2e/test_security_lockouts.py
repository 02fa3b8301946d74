"""Attacks 1 and 2 of the hostile audit: failed logins used to lock out a fleet or a station.

Thirty failures from one address used to lock every station behind it (a proxy, a NAT) out for
five minutes, and ten wrong passwords locked out a known station. Now failures are answered late
and nothing is ever locked: the attacks below run against a real server and every station with
its correct password still gets in. Sources are 127.0.0.x addresses of the loopback interface.
"""

from __future__ import annotations

import asyncio
import base64
from collections.abc import Callable
from typing import Any

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

from opencsms.runtime import Runtime

pytestmark = pytest.mark.e2e

PROXY = "127.0.0.2"
PASSWORD = "correct-horse-battery"
FAST_THROTTLE = {
    # Each answer is held only briefly so that a thousand failures fit in a test; the counts,
    # not the times, are what is checked.
    "failed_login_delay": 0.01,
    "failed_login_max_delay": 0.02,
    "connections_per_ip": 0.0,
    # Each wrong password costs a scrypt; on a loaded machine a batch of them may take a while.
    "handshake_timeout": 60.0,
}


def basic(user: str, password: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}


async def attempt(url: str, station_id: str, password: str, source: str) -> int:
    """Open a connection from ``source``; returns 101 or the HTTP status of the refusal."""
    try:
        ws = await connect(
            f"{url}/{station_id}",
            subprotocols=["ocpp1.6"],  # type: ignore[list-item]
            additional_headers=basic(station_id, password),
            local_addr=(source, 0),
            open_timeout=20,
        )
    except InvalidStatus as refused:
        return refused.response.status_code
    await ws.close()
    return 101


async def test_a_thousand_failed_logins_from_the_proxy_address_lock_out_nobody(
    server_factory: Callable[..., Any],
) -> None:
    rt: Runtime = await server_factory(listeners="0 profile=1", **FAST_THROTTLE)
    stations = [f"CS-FLEET-{i:02d}" for i in range(20)]
    try:
        for station_id in stations:
            await rt.domain.security.set_password(station_id, PASSWORD)
        url = rt.url_for_profile(1)
        # Guesses at the real stations (their ids are known) and at ids that do not exist.
        targets = [(stations[i % 20], f"wrong-guess-{i:06d}") for i in range(40)]
        targets += [(f"NOPE-{i:04d}", f"wrong-guess-{i:06d}") for i in range(960)]
        statuses: list[int] = []
        for start in range(0, len(targets), 50):
            statuses += await asyncio.gather(
                *(attempt(url, sid, pw, PROXY) for sid, pw in targets[start : start + 50])
            )
        assert statuses == [401] * 1000  # failures are answered (late), never with a lock-out
        # Past the address's 30 free failures, every further one was answered late.
        assert rt.handshake.throttle.delayed >= 1000 - 30
        # Every station behind the proxy, including those guessed at, gets in with its password.
        assert await asyncio.gather(*(attempt(url, sid, PASSWORD, PROXY) for sid in stations)) == [101] * 20
        assert "locked_out" not in rt.handshake.refusals
    finally:
        await rt.stop()

    # The counts are in the store: after a restart the address's next failure is answered late.
    rt = await server_factory(listeners="0 profile=1", **FAST_THROTTLE)
    try:
        assert await attempt(rt.url_for_profile(1), "NOPE-X", "wrong-guess-x", PROXY) == 401
        assert rt.handshake.throttle.delayed == 1
        assert await attempt(rt.url_for_profile(1), stations[0], PASSWORD, PROXY) == 101
    finally:
        await rt.stop()


async def test_wrong_passwords_from_anywhere_do_not_lock_out_a_known_station(
    server_factory: Callable[..., Any],
) -> None:
    rt: Runtime = await server_factory(listeners="0 profile=1", **FAST_THROTTLE)
    try:
        await rt.domain.security.set_password("CS-KNOWN", PASSWORD)
        url = rt.url_for_profile(1)
        for source in ("127.0.0.3", "127.0.0.4", "127.0.0.5"):
            statuses = [await attempt(url, "CS-KNOWN", f"guess-number-{i:04d}", source) for i in range(12)]
            assert statuses == [401] * 12
        # 12 failures of each (station, address) pair: the last 2 of each were answered late.
        assert rt.handshake.throttle.delayed == 6
        # The station, from its own address or from one the attacker used, gets straight in.
        assert await attempt(url, "CS-KNOWN", PASSWORD, "127.0.0.1") == 101
        assert await attempt(url, "CS-KNOWN", PASSWORD, "127.0.0.3") == 101
    finally:
        await rt.stop()
