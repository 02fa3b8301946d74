"""The handshake filter chain without sockets: fakes for the store, time passed in."""

from __future__ import annotations

import base64

from cryptography.hazmat.primitives import serialization

from opencsms.security.certificates import CertificateAuthority, build_csr, generate_key
from opencsms.security.handshake import (
    Admitted,
    HandshakeFilterChain,
    HandshakeLimits,
    HandshakeRequest,
    Refused,
    StationCredentials,
)

HASH = "stored-hash"


class Fakes:
    def __init__(self, credentials: dict[str, StationCredentials], known: set[str] | None = None) -> None:
        self.credentials = credentials
        self.known = known
        self.events: list[tuple[str | None, str, str, str]] = []
        self.checked: list[str] = []
        self.now = 0.0

    async def lookup(self, station_id: str) -> StationCredentials | None:
        return self.credentials.get(station_id)

    async def admit(self, station_id: str) -> str | None:
        return None if self.known is None or station_id in self.known else "registration policy"

    def record(self, station_id: str | None, event_type: str, info: str, peer: str) -> None:
        self.events.append((station_id, event_type, info, peer))

    async def verify(self, password: str, stored: str) -> bool:
        self.checked.append(stored)
        return password == "right-password-1" and stored == HASH

    def chain(self, **limits: float) -> HandshakeFilterChain:
        return HandshakeFilterChain(
            credentials=self.lookup,
            admit=self.admit,
            record=self.record,
            versions=("ocpp2.0.1", "ocpp1.6"),
            limits=HandshakeLimits(**limits),  # type: ignore[arg-type]
            clock=lambda: self.now,
            verify_password=self.verify,
        )


def request(
    station: str = "CP1",
    *,
    profile: int = 1,
    auth: tuple[str, str] | None = ("CP1", "right-password-1"),
    cert: bytes | None = None,
    ip: str = "10.0.0.1",
    protocols: tuple[str, ...] = ("ocpp1.6",),
) -> HandshakeRequest:
    header = [] if auth is None else ["Basic " + base64.b64encode(f"{auth[0]}:{auth[1]}".encode()).decode()]
    return HandshakeRequest(f"/ocpp/{station}", header, protocols, ip, cert, profile)


async def test_right_password_is_admitted_with_the_chosen_subprotocol() -> None:
    fakes = Fakes({"CP1": StationCredentials(1, HASH)})
    decision = await fakes.chain().check(request(protocols=("ocpp1.6", "ocpp2.0.1")))
    assert decision == Admitted("CP1", "ocpp2.0.1")
    assert fakes.events == []


async def test_pending_password_is_accepted_during_a_change() -> None:
    fakes = Fakes({"CP1": StationCredentials(1, "old-hash", HASH)})
    assert isinstance(await fakes.chain().check(request()), Admitted)
    assert fakes.checked == ["old-hash", HASH]


async def test_downgrade_is_refused_before_any_password_is_checked() -> None:
    fakes = Fakes({"CP1": StationCredentials(2, HASH)})
    decision = await fakes.chain().check(request(profile=1))
    assert isinstance(decision, Refused) and decision.status == 403
    assert fakes.checked == []
    assert [e[1] for e in fakes.events] == ["SecurityProfileDowngradeRefused"]


async def test_malformed_authorization_is_a_missing_one() -> None:
    fakes = Fakes({"CP1": StationCredentials(1, HASH)})
    bad = HandshakeRequest("/ocpp/CP1", ["Basic !!!"], ("ocpp1.6",), "10.0.0.1", None, 1)
    decision = await fakes.chain().check(bad)
    assert decision == Refused(401, "HTTP Basic authentication required", True)
    two = HandshakeRequest("/ocpp/CP1", ["Basic a", "Basic b"], ("ocpp1.6",), "10.0.0.1", None, 1)
    assert isinstance(await fakes.chain().check(two), Refused)


async def test_unknown_subprotocol_and_bad_path_are_refused_first() -> None:
    fakes = Fakes({})
    chain = fakes.chain()
    assert (await chain.check(request(protocols=("ocpp1.5",)))).status == 400  # type: ignore[union-attr]
    no_id = HandshakeRequest("/", [], ("ocpp1.6",), "10.0.0.1", None, 0)
    assert (await chain.check(no_id)).status == 404  # type: ignore[union-attr]
    assert fakes.events == []


async def test_connections_per_ip_are_rate_limited() -> None:
    fakes = Fakes({"CP1": StationCredentials(1, HASH)})
    chain = fakes.chain(connections_per_ip_per_second=1.0, connection_burst_per_ip=2.0)
    assert isinstance(await chain.check(request()), Admitted)
    assert isinstance(await chain.check(request()), Admitted)
    assert await chain.check(request()) == Refused(429, "too many connections from this address")
    assert isinstance(await chain.check(request(ip="10.0.0.2")), Admitted)
    fakes.now = 1.0
    assert isinstance(await chain.check(request()), Admitted)


async def test_failed_logins_are_answered_late_and_never_lock_out_a_correct_password() -> None:
    fakes = Fakes({"CP1": StationCredentials(1, HASH), "CP2": StationCredentials(1, HASH)})
    chain = fakes.chain(
        failed_logins_per_station=2,
        failed_logins_per_ip=5,
        failed_login_delay=1.0,
        failed_login_max_delay=4.0,
    )
    delays = []
    for _ in range(6):
        refused = await chain.check(request(auth=("CP1", "guess-guess-guess")))
        assert isinstance(refused, Refused) and refused.status == 401
        delays.append(refused.delay)
    assert delays == [0.0, 0.0, 1.0, 2.0, 4.0, 4.0]
    # The station guessed at and every other one behind the address still get in at once.
    assert isinstance(await chain.check(request()), Admitted)
    assert isinstance(await chain.check(request("CP2", auth=("CP2", "right-password-1"))), Admitted)
    # Failures without a password (the first request of a client that waits for the challenge)
    # are not counted.
    missing = await chain.check(request("CP2", auth=None))
    assert isinstance(missing, Refused) and missing.status == 401 and missing.delay == 0.0
    assert "locked_out" not in chain.refusals and chain.refusals["delayed"] == 4


async def test_unknown_station_follows_the_registration_policy() -> None:
    fakes = Fakes({}, known=set())
    decision = await fakes.chain().check(request(profile=0, auth=None))
    assert isinstance(decision, Refused) and decision.status == 404
    assert [e[1] for e in fakes.events] == ["UnknownStationRefused"]


def _certificate_der(common_name: str) -> bytes:
    ca = CertificateAuthority.create()
    certificate = ca.sign_station_csr(build_csr(generate_key(), common_name), common_name)
    return certificate.public_bytes(serialization.Encoding.DER)


async def test_profile_3_needs_a_certificate_naming_the_station() -> None:
    fakes = Fakes({})
    chain = fakes.chain()
    assert isinstance(
        await chain.check(request(profile=3, auth=None, cert=_certificate_der("CP1"))), Admitted
    )
    missing = await chain.check(request(profile=3, auth=None))
    assert isinstance(missing, Refused) and missing.status == 401
    other = await chain.check(request(profile=3, auth=None, cert=_certificate_der("CP2")))
    assert isinstance(other, Refused) and other.status == 403
    assert [e[1] for e in fakes.events] == ["ClientCertificateRejected", "ClientCertificateRejected"]
    assert isinstance(await chain.check(request(profile=3, auth=None, cert=b"garbage")), Refused)
