"""The handshake filter chain: everything decided before a WebSocket is accepted, transport-free.

A listener (websockets today, any other tomorrow) builds a :class:`HandshakeRequest` from the
HTTP upgrade request, its peer address and the TLS peer certificate, and calls
:meth:`HandshakeFilterChain.check`. The answer is :class:`Admitted` (upgrade) or
:class:`Refused` (answer with its HTTP status, do not upgrade). Checks, in order, each cheaper
than the next:

1. new connections per IP address (429);
2. station id from the path (400/404), an OCPP subprotocol both sides speak (400);
3. the station's security profile: a station registered at profile N is refused on a listener
   of a lower profile (403), before any password is looked at;
4. authentication by the listener's profile: 1 and 2, HTTP Basic with username = station id
   and the stored scrypt hash (401); 3, a client certificate (its chain and dates already
   checked by TLS) whose subject CN is the station id (401 without one, 403 for another id);
   a wrong password is counted and its answer may be delayed (:mod:`.login_failures`): failed
   logins never lock anyone out, so a correct password is admitted whatever others failed;
5. a station that recently went over its message budget is refused for a while (429);
6. the registration policy for stations nobody registered (404 under "reject").

Nothing here touches a session: a refused handshake never reaches the live connection of the
station it names. Passwords and Authorization headers are never logged or recorded.
"""

from __future__ import annotations

import base64
import binascii
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, replace

from cryptography import x509
from cryptography.x509.oid import NameOID

from opencsms.ocppj import BadStationPath, select_subprotocol, station_id_from_path
from opencsms.security.limits import KeyedBuckets
from opencsms.security.login_failures import LoginThrottle, ThrottleLimits
from opencsms.security.passwords import verify_password_off_loop

log = logging.getLogger(__name__)

UNSECURED = 0
BASIC_AUTH = 1
TLS_BASIC_AUTH = 2
MUTUAL_TLS = 3


class SecurityEvent:
    """Types of the security events the CSMS records about itself (source "csms")."""

    AUTHENTICATION_FAILED = "AuthenticationFailed"
    PROFILE_DOWNGRADE_REFUSED = "SecurityProfileDowngradeRefused"
    CLIENT_CERTIFICATE_REJECTED = "ClientCertificateRejected"
    UNKNOWN_STATION_REFUSED = "UnknownStationRefused"
    DUPLICATE_CONNECTION_REFUSED = "DuplicateConnectionRefused"
    CONNECTION_TAKEOVER = "ConnectionTakeover"
    FOREIGN_TRANSACTION_REFUSED = "ForeignTransactionRefused"
    MESSAGE_RATE_EXCEEDED = "MessageRateExceeded"
    STORAGE_QUOTA_EXCEEDED = "StorageQuotaExceeded"


@dataclass(frozen=True, slots=True)
class HandshakeRequest:
    """What a listener knows when the HTTP upgrade request has arrived."""

    path: str
    #: Values of every Authorization header (normally one).
    authorization: Sequence[str]
    offered_subprotocols: Sequence[str]
    peer_address: str
    #: The client certificate (DER) when TLS asked for one and the client sent it.
    peer_certificate: bytes | None
    #: The security profile of the listener the request came in on (0-3).
    listener_profile: int


@dataclass(frozen=True, slots=True)
class Admitted:
    station_id: str
    subprotocol: str


@dataclass(frozen=True, slots=True)
class Refused:
    status: int
    #: Shown to the peer: says what is wrong, never what would be right.
    reason: str
    #: Asks for Basic credentials (a ``WWW-Authenticate`` header goes with a 401).
    challenge: bool = False
    #: Seconds to hold the answer back (a failed login past its free ones).
    delay: float = 0.0


HandshakeDecision = Admitted | Refused


@dataclass(frozen=True, slots=True)
class StationCredentials:
    """A station's stored security settings (see ``store.schema_security.station_credentials``)."""

    security_profile: int
    password_hash: str | None = None
    pending_password_hash: str | None = None
    pending_security_profile: int | None = None

    @property
    def change_pending(self) -> bool:
        return self.pending_password_hash is not None or self.pending_security_profile is not None


@dataclass(frozen=True, slots=True)
class HandshakeLimits:
    """Defaults for a public CSMS; every one is a setting (``Settings.handshake_limits``)."""

    connections_per_ip_per_second: float = 20.0
    connection_burst_per_ip: float = 100.0
    #: Failed logins of one (station id, address) pair, and of one address, answered at once;
    #: later ones within the window are answered after a delay doubling from ``failed_login_delay``
    #: up to ``failed_login_max_delay`` seconds.
    failed_logins_per_station: int = 10
    failed_logins_per_ip: int = 30
    failed_login_window: float = 300.0
    failed_login_delay: float = 1.0
    failed_login_max_delay: float = 5.0

    def throttle_limits(self) -> ThrottleLimits:
        return ThrottleLimits(
            free_failures_per_pair=self.failed_logins_per_station,
            free_failures_per_source=self.failed_logins_per_ip,
            window=self.failed_login_window,
            first_delay=self.failed_login_delay,
            max_delay=self.failed_login_max_delay,
        )


CredentialLookup = Callable[[str], Awaitable[StationCredentials | None]]
#: None when the station may connect, else why not (recorded, never shown to the peer).
Admit = Callable[[str], Awaitable[str | None]]
#: (station id or None, event type, technical info without secrets, peer address)
RecordEvent = Callable[[str | None, str, str, str], None]
PasswordCheck = Callable[[str, str], Awaitable[bool]]
#: (station id, whether the pending password was the one given, the listener's security profile):
#: a station with a pending change authenticated; the change may now be complete.
CredentialsUsed = Callable[[str, bool, int], Awaitable[None]]


async def _nothing_pending(station_id: str, pending_password: bool, profile: int) -> None:
    return None


class HandshakeFilterChain:
    """Decides each handshake; holds the per-IP connection counters of this process and the
    failed-login throttle (whose counts live in the store when it is given one)."""

    def __init__(
        self,
        *,
        credentials: CredentialLookup,
        admit: Admit,
        record: RecordEvent,
        versions: Sequence[str],
        limits: HandshakeLimits | None = None,
        clock: Callable[[], float] = time.monotonic,
        verify_password: PasswordCheck = verify_password_off_loop,
        credentials_used: CredentialsUsed = _nothing_pending,
        throttle: LoginThrottle | None = None,
        cooling_down: Callable[[str], float] = lambda station_id: 0.0,
    ) -> None:
        self._credentials = credentials
        self._credentials_used = credentials_used
        self._admit = admit
        self._record = record
        self._versions = tuple(versions)
        self.limits = limits or HandshakeLimits()
        self._clock = clock
        self._verify_password = verify_password
        self._connections = KeyedBuckets(
            self.limits.connections_per_ip_per_second, self.limits.connection_burst_per_ip
        )
        self.throttle = throttle or LoginThrottle(self.limits.throttle_limits())
        self._cooling_down = cooling_down
        #: Refusals by reason, for /metrics.
        self.refusals: dict[str, int] = {}

    async def check(self, request: HandshakeRequest) -> HandshakeDecision:
        """Admit or refuse one handshake (see the module docstring for the order of checks)."""
        now = self._clock()
        ip = request.peer_address
        if self.limits.connections_per_ip_per_second > 0 and not self._connections.take(ip, now):
            return self._refuse("ip_rate", Refused(429, "too many connections from this address"))
        try:
            station_id = station_id_from_path(request.path)
        except BadStationPath as exc:
            return self._refuse("path", Refused(exc.status, str(exc)))
        subprotocol = select_subprotocol(request.offered_subprotocols, self._versions)
        if subprotocol is None:
            return self._refuse(
                "subprotocol",
                Refused(
                    400,
                    f"no supported OCPP subprotocol offered; this server speaks {', '.join(self._versions)}",
                ),
            )
        credentials = await self._credentials(station_id)
        required = credentials.security_profile if credentials is not None else UNSECURED
        if request.listener_profile < required:
            self._record(
                station_id,
                SecurityEvent.PROFILE_DOWNGRADE_REFUSED,
                f"registered at security profile {required}, came in on profile {request.listener_profile}",
                ip,
            )
            return self._refuse(
                "downgrade",
                Refused(403, f"this station must connect with security profile {required} or higher"),
            )

        failure, used_pending_password = await self._authenticate(station_id, request, credentials)
        if failure is not None:
            if failure.challenge and request.authorization:  # a password was tried, and failed
                delay = await self.throttle.failed(station_id, ip)
                if delay > 0:
                    self.refusals["delayed"] = self.refusals.get("delayed", 0) + 1
                    return replace(failure, delay=delay)
            return failure
        if self._cooling_down(station_id) > 0:
            # Checked only once the station proved who it is: nobody else can get it refused.
            return self._refuse("cooling_down", Refused(429, "message rate exceeded; try again later"))
        if credentials is not None and credentials.change_pending:
            await self._credentials_used(station_id, used_pending_password, request.listener_profile)

        refusal = await self._admit(station_id)
        if refusal is not None:
            self._record(station_id, SecurityEvent.UNKNOWN_STATION_REFUSED, refusal, ip)
            return self._refuse("unknown", Refused(404, f"unknown station {station_id}"))
        return Admitted(station_id, subprotocol)

    async def _authenticate(
        self, station_id: str, request: HandshakeRequest, credentials: StationCredentials | None
    ) -> tuple[Refused | None, bool]:
        """(the refusal or None, whether the station gave its pending password)."""
        profile = request.listener_profile
        if profile == MUTUAL_TLS:
            return self._check_certificate(station_id, request), False
        if profile in (BASIC_AUTH, TLS_BASIC_AUTH) or request.authorization:
            # On an unsecured listener a station that sends a password still gets it checked.
            return await self._check_password(station_id, request, credentials)
        return None, False

    async def _check_password(
        self, station_id: str, request: HandshakeRequest, credentials: StationCredentials | None
    ) -> tuple[Refused | None, bool]:
        ip = request.peer_address
        given = _basic_credentials(request.authorization)
        if given is None:
            self._record(station_id, SecurityEvent.AUTHENTICATION_FAILED, "no Basic credentials", ip)
            refused = Refused(401, "HTTP Basic authentication required", True)
            return self._refuse("auth_missing", refused), False
        username, password = given
        if username != station_id:
            self._record(
                station_id, SecurityEvent.AUTHENTICATION_FAILED, "username is not the station id", ip
            )
            return self._refuse("auth_failed", Refused(401, "invalid credentials", True)), False
        if credentials is not None:
            for stored, pending in (
                (credentials.password_hash, False),
                (credentials.pending_password_hash, True),
            ):
                if stored is not None and await self._verify_password(password, stored):
                    return None, pending
        known = credentials is not None and (credentials.password_hash or credentials.pending_password_hash)
        detail = "wrong password" if known else "no password set for this station"
        self._record(station_id, SecurityEvent.AUTHENTICATION_FAILED, detail, ip)
        return self._refuse("auth_failed", Refused(401, "invalid credentials", True)), False

    def _check_certificate(self, station_id: str, request: HandshakeRequest) -> Refused | None:
        ip = request.peer_address
        if request.peer_certificate is None:
            self._record(station_id, SecurityEvent.CLIENT_CERTIFICATE_REJECTED, "no client certificate", ip)
            return self._refuse("cert_missing", Refused(401, "a client certificate is required"))
        try:
            certificate = x509.load_der_x509_certificate(request.peer_certificate)
            names = certificate.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
        except ValueError:
            names = []
        common_names = [str(n.value) for n in names]
        if common_names != [station_id]:
            self._record(
                station_id,
                SecurityEvent.CLIENT_CERTIFICATE_REJECTED,
                f"certificate CN {common_names!r} is not the station id",
                ip,
            )
            return self._refuse("cert_mismatch", Refused(403, "the client certificate is not this station's"))
        return None

    def _refuse(self, reason: str, refusal: Refused) -> Refused:
        self.refusals[reason] = self.refusals.get(reason, 0) + 1
        return refusal


def _basic_credentials(values: Sequence[str]) -> tuple[str, str] | None:
    """(username, password) from the one Authorization header, or None (absent, several, not Basic)."""
    if len(values) != 1:
        return None
    scheme, _, token = values[0].strip().partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(token.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    username, colon, password = decoded.partition(":")
    return (username, password) if colon else None
