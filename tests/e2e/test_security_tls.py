"""Security profiles 2 and 3 over real TLS on 127.0.0.1, with certificates made in the test."""

from __future__ import annotations

import datetime as dt
import ssl
import warnings
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

from opencsms.runtime import Runtime
from opencsms.security.certificates import CertificateAuthority
from opencsms.simulate.state import StationConfig
from opencsms.simulate.station16 import SimulatedStation16
from opencsms.simulate.station201 import SimulatedStation201
from tests.e2e.test_security_basic_auth import PASSWORD, PASSWORD_16, basic, wait_events
from tests.e2e.tls_material import TlsMaterial, make_tls_material

pytestmark = pytest.mark.e2e


@pytest.fixture
def tls(tmp_path: Path) -> TlsMaterial:
    return make_tls_material(tmp_path / "tls")


@pytest.fixture
async def secured(server_factory: Callable[..., Any], tls: TlsMaterial) -> AsyncIterator[Runtime]:
    rt: Runtime = await server_factory(listeners=tls.listeners(2, 3))
    try:
        yield rt
    finally:
        await rt.stop()


def client_context(tls: TlsMaterial, cert: tuple[Path, Path] | None = None) -> ssl.SSLContext:
    context = ssl.create_default_context(cafile=str(tls.ca_file))
    if cert is not None:
        context.load_cert_chain(str(cert[0]), str(cert[1]))
    return context


async def handshake(
    url: str, station_id: str, context: ssl.SSLContext, headers: dict[str, str] | None = None
) -> int:
    """The HTTP status the handshake ends with (101 when upgraded); -1 when TLS itself failed."""
    try:
        ws = await connect(
            f"{url}/{station_id}", subprotocols=["ocpp1.6"], ssl=context, additional_headers=headers
        )  # type: ignore[list-item]
    except InvalidStatus as refused:
        return refused.response.status_code
    except (OSError, EOFError, ssl.SSLError) as failed:  # TLS alert, reset or EOF during the handshake
        del failed
        return -1
    except Exception as other:  # websockets wraps an EOF mid-handshake in InvalidMessage
        if type(other).__name__ == "InvalidMessage":
            return -1
        raise
    await ws.close()
    return 101


async def test_tc_a_04_csms_tls_server_certificate_valid(secured: Runtime, tls: TlsMaterial) -> None:
    """TC_A_04_CSMS: a 2.0.1 station at profile 2 checks the CSMS certificate and boots over wss."""
    await secured.domain.security.set_password("CS-A04", PASSWORD, security_profile=2)
    station = SimulatedStation201(
        StationConfig(
            "CS-A04",
            url=secured.url_for_profile(2),
            password=PASSWORD,
            security_profile=2,
            ca_cert=str(tls.ca_file),
        )
    )
    await station.connect()
    assert await station.boot() == "Accepted"
    await station.disconnect()


async def test_tc_086_csms_tls_server_certificate_valid(secured: Runtime, tls: TlsMaterial) -> None:
    """TC_086_CSMS: the same for a 1.6 station."""
    await secured.domain.security.set_password("CP-086", PASSWORD_16, security_profile=2)
    station = SimulatedStation16(
        StationConfig(
            "CP-086",
            url=secured.url_for_profile(2),
            password=PASSWORD_16,
            security_profile=2,
            ca_cert=str(tls.ca_file),
        )
    )
    await station.connect()
    assert await station.boot() == "Accepted"
    await station.disconnect()


async def test_profile_2_still_needs_the_password(secured: Runtime, tls: TlsMaterial) -> None:
    await secured.domain.security.set_password("CS-P2", PASSWORD, security_profile=2)
    url = secured.url_for_profile(2)
    assert await handshake(url, "CS-P2", client_context(tls)) == 401
    assert await handshake(url, "CS-P2", client_context(tls), basic("CS-P2", "not-the-password!!")) == 401
    assert await handshake(url, "CS-P2", client_context(tls), basic("CS-P2", PASSWORD)) == 101


async def test_tc_a_06_csms_tls_version_too_low_is_refused(secured: Runtime, tls: TlsMaterial) -> None:
    """TC_A_06_CSMS: a client that offers at most TLS 1.1 gets no connection; TLS 1.2 does."""
    await secured.domain.security.set_password("CS-A06", PASSWORD, security_profile=2)
    old = client_context(tls)
    with warnings.catch_warnings():  # setting an old TLS version is deprecated, which is the point
        warnings.simplefilter("ignore", DeprecationWarning)
        old.minimum_version = ssl.TLSVersion.MINIMUM_SUPPORTED
        old.maximum_version = ssl.TLSVersion.TLSv1_1
    assert await handshake(secured.url_for_profile(2), "CS-A06", old, basic("CS-A06", PASSWORD)) == -1
    tls12 = client_context(tls)
    tls12.maximum_version = ssl.TLSVersion.TLSv1_2
    assert await handshake(secured.url_for_profile(2), "CS-A06", tls12, basic("CS-A06", PASSWORD)) == 101


async def test_tc_a_07_csms_client_certificate_valid(secured: Runtime, tls: TlsMaterial) -> None:
    """TC_A_07_CSMS: a 2.0.1 station with a certificate from the CSMS CA and its id as CN, no password."""
    cert, key = tls.station_files("cs-a07", "CS-A07")
    station = SimulatedStation201(
        StationConfig(
            "CS-A07",
            url=secured.url_for_profile(3),
            security_profile=3,
            client_cert=str(cert),
            client_key=str(key),
            ca_cert=str(tls.ca_file),
        )
    )
    await station.connect()
    assert await station.boot() == "Accepted"
    await station.disconnect()


async def test_tc_087_csms_client_certificate_valid(secured: Runtime, tls: TlsMaterial) -> None:
    """TC_087_CSMS: the same for a 1.6 station, which may then be held at profile 3."""
    await secured.domain.security.set_security_profile("CP-087", 3)
    cert, key = tls.station_files("cp-087", "CP-087")
    station = SimulatedStation16(
        StationConfig(
            "CP-087",
            url=secured.url_for_profile(3),
            security_profile=3,
            client_cert=str(cert),
            client_key=str(key),
            ca_cert=str(tls.ca_file),
        )
    )
    await station.connect()
    assert await station.boot() == "Accepted"
    await station.disconnect()


async def test_tc_a_08_csms_client_certificate_invalid(secured: Runtime, tls: TlsMaterial) -> None:
    """TC_A_08_CSMS: expired, wrong CA, wrong CN and missing certificates are all refused."""
    url = secured.url_for_profile(3)
    long_ago = dt.datetime.now(dt.UTC) - dt.timedelta(days=400)
    expired = tls.station_files("expired", "CS-A08", now=long_ago, days=30)
    stranger = tls.station_files("stranger", "CS-A08", issuer=CertificateAuthority.create("another CA"))
    other_id = tls.station_files("other", "CS-OTHER")
    # Chain and dates are checked by TLS itself: no HTTP answer at all.
    assert await handshake(url, "CS-A08", client_context(tls, expired)) == -1
    assert await handshake(url, "CS-A08", client_context(tls, stranger)) == -1
    # A valid certificate of another station, and none at all: refused and recorded.
    assert await handshake(url, "CS-A08", client_context(tls, other_id)) == 403
    assert await handshake(url, "CS-A08", client_context(tls)) == 401
    events = await wait_events(secured, "CS-A08", 2)
    assert sorted(e.tech_info for e in events) == [
        "certificate CN ['CS-OTHER'] is not the station id",
        "no client certificate",
    ]
    assert "CS-A08" not in secured.sessions.sessions


async def test_station_at_profile_3_is_refused_on_the_profile_2_listener(
    secured: Runtime, tls: TlsMaterial
) -> None:
    await secured.domain.security.set_password("CS-P3", PASSWORD, security_profile=3)
    status = await handshake(
        secured.url_for_profile(2), "CS-P3", client_context(tls), basic("CS-P3", PASSWORD)
    )
    assert status == 403


def test_tls_listeners_refuse_anything_below_tls_1_2(tls: TlsMaterial) -> None:
    from opencsms.security.tls import server_context

    context = server_context(str(tls.server_cert), str(tls.server_key), client_ca_file=str(tls.ca_file))
    assert context.minimum_version == ssl.TLSVersion.TLSv1_2
    assert context.verify_mode == ssl.CERT_OPTIONAL
    assert all(c["protocol"] in ("TLSv1.2", "TLSv1.3") for c in context.get_ciphers())
    assert not any(
        "CBC" in c["name"] or "RC4" in c["name"] or "NULL" in c["name"] for c in context.get_ciphers()
    )
