"""Security: station credentials and profiles, security events, issued certificates.

Passwords arrive in clear only to be hashed here; nothing returns or logs them. Events the CSMS
records about itself (failed logins, refused certificates, takeovers) are written behind: a
flood of failed logins must not queue up handshakes behind database writes.
"""

from __future__ import annotations

import builtins
import logging
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from opencsms.domain.events import EventPublisher
from opencsms.security.handshake import MUTUAL_TLS, UNSECURED, StationCredentials
from opencsms.security.passwords import check_password_rules, hash_password
from opencsms.store import Store
from opencsms.store import security as security_rows

log = logging.getLogger(__name__)

STATION = "station"
CSMS = "csms"


@dataclass(frozen=True, slots=True)
class SecurityEventRecord:
    id: int
    station_id: str | None
    source: str
    event_type: str
    tech_info: str | None
    peer_address: str | None
    occurred_at: datetime
    received_at: datetime


@dataclass(frozen=True, slots=True)
class StationSecurity:
    """What may be shown of a station's credentials: never the hash."""

    station_id: str
    security_profile: int
    has_password: bool
    password_change_pending: bool
    updated_at: datetime
    #: the profile the station is being moved up to, until it connects with it
    pending_security_profile: int | None = None


class StoredFailureCounts:
    """Failed-login counts in the store (``security.login_failures.FailureCounts``): they survive a
    restart and are shared by every node on the same database."""

    def __init__(
        self, store: Store, window: float, *, clock: Callable[[], datetime], cleanup_every: int = 1000
    ) -> None:
        self._store = store
        self._window = timedelta(seconds=window)
        self._clock = clock
        #: Failures between two deletions of ended windows.
        self._cleanup_every = cleanup_every
        self._until_cleanup = cleanup_every

    async def add(self, keys: Sequence[str]) -> builtins.list[int]:
        now = self._clock()
        started_after = now - self._window
        counts = await self._store.write(
            lambda c: security_rows.count_login_failures(c, keys, now, started_after)
        )
        self._until_cleanup -= 1
        if self._until_cleanup <= 0:
            self._until_cleanup = self._cleanup_every
            await self._store.write(lambda c: security_rows.forget_login_failures(c, started_after))
        return counts


class SecurityService:
    """Credentials, security events and certificate records over one store."""

    def __init__(self, store: Store, events: EventPublisher, *, clock: Callable[[], datetime]) -> None:
        self._store = store
        self._events = events
        self._clock = clock
        #: (source, event type) -> events recorded by this process, for /metrics.
        self.event_counts: Counter[tuple[str, str]] = Counter()

    # -- credentials --------------------------------------------------------------------------------

    async def credentials(self, station_id: str) -> StationCredentials | None:
        """The stored profile and hashes (for the handshake filter chain)."""
        row = await self._store.read(lambda c: security_rows.credentials(c, station_id))
        if row is None:
            return None
        return StationCredentials(
            row.security_profile, row.password_hash, row.pending_password_hash, row.pending_security_profile
        )

    async def station_security(self, station_id: str) -> StationSecurity | None:
        row = await self._store.read(lambda c: security_rows.credentials(c, station_id))
        return None if row is None else _station_security(row)

    async def list_station_security(self) -> builtins.list[StationSecurity]:
        rows = await self._store.read(security_rows.all_credentials)
        return [_station_security(row) for row in rows]

    async def set_password(
        self,
        station_id: str,
        password: str,
        *,
        version: str | None = None,
        security_profile: int | None = None,
    ) -> StationSecurity:
        """Store a new password for ``station_id`` (the station must already use it).

        A station without credentials gets profile 1 unless ``security_profile`` says otherwise.

        Raises:
            WeakPassword: the password breaks the OCPP rules (for ``version``, when given).
            ValueError: ``security_profile`` is not 0-3.
        """
        check_password_rules(password, version)
        hashed = hash_password(password)
        current = await self.credentials(station_id)
        profile = security_profile
        if profile is None:
            profile = current.security_profile if current is not None else 1
        _check_profile(profile)
        now = self._clock()
        await self._store.write(
            lambda c: security_rows.put_credentials(
                c,
                station_id,
                security_profile=profile,
                password_hash=hashed,
                pending_password_hash=None,
                now=now,
            )
        )
        log.info("%s: password set (security profile %d)", station_id, profile)
        result = await self.station_security(station_id)
        assert result is not None
        return result

    async def begin_password_change(self, station_id: str, password: str, *, version: str | None) -> None:
        """Keep ``password`` as pending: accepted at the handshake alongside the current one until
        :meth:`finish_password_change` or :meth:`abandon_password_change`.

        Raises:
            WeakPassword: the password breaks the OCPP rules for ``version``.
        """
        check_password_rules(password, version)
        hashed = hash_password(password)
        current = await self.credentials(station_id)
        now = self._clock()
        profile = current.security_profile if current is not None else UNSECURED
        existing = current.password_hash if current is not None else None
        await self._store.write(
            lambda c: security_rows.put_credentials(
                c,
                station_id,
                security_profile=profile,
                password_hash=existing,
                pending_password_hash=hashed,
                now=now,
            )
        )

    async def finish_password_change(self, station_id: str) -> None:
        """The station took the pending password: it becomes the only one."""
        current = await self.credentials(station_id)
        if current is None or current.pending_password_hash is None:
            return
        pending = current.pending_password_hash
        now = self._clock()
        await self._store.write(
            lambda c: security_rows.change_credentials(
                c, station_id, {"password_hash": pending, "pending_password_hash": None, "updated_at": now}
            )
        )

    async def abandon_password_change(self, station_id: str) -> None:
        now = self._clock()
        await self._store.write(
            lambda c: security_rows.change_credentials(
                c, station_id, {"pending_password_hash": None, "updated_at": now}
            )
        )

    async def set_security_profile(self, station_id: str, profile: int) -> None:
        """From now on the station is refused on listeners below ``profile``.

        Raises:
            ValueError: ``profile`` is not 0-3, or 1-2 without a password.
        """
        _check_profile(profile)
        current = await self.credentials(station_id)
        if profile in (1, 2) and (current is None or current.password_hash is None):
            raise ValueError(f"security profile {profile} needs a password: set one first")
        now = self._clock()
        password_hash = current.password_hash if current else None
        pending = current.pending_password_hash if current else None
        await self._store.write(
            lambda c: security_rows.put_credentials(
                c,
                station_id,
                security_profile=profile,
                password_hash=password_hash,
                pending_password_hash=pending,
                now=now,
            )
        )

    async def begin_profile_upgrade(self, station_id: str, profile: int) -> None:
        """The station is being asked to move up to ``profile``: it may still connect with its
        current one until it first connects with ``profile`` (or higher), which then becomes its
        lowest (:meth:`credentials_used`).

        Raises:
            ValueError: ``profile`` is not 1-3, not above the current one, or 1-2 without a password.
        """
        _check_profile(profile)
        current = await self.credentials(station_id)
        current_profile = current.security_profile if current is not None else UNSECURED
        if profile <= current_profile:
            raise ValueError(f"the station already has security profile {current_profile}")
        if profile in (1, 2) and (current is None or current.password_hash is None):
            raise ValueError(f"security profile {profile} needs a password: set one first")
        now = self._clock()

        def job(connection: Any) -> None:
            if current is None:
                security_rows.put_credentials(
                    connection,
                    station_id,
                    security_profile=UNSECURED,
                    password_hash=None,
                    pending_password_hash=None,
                    now=now,
                )
            security_rows.change_credentials(
                connection, station_id, {"pending_security_profile": profile, "updated_at": now}
            )

        await self._store.write(job)

    async def abandon_profile_upgrade(self, station_id: str) -> None:
        now = self._clock()
        await self._store.write(
            lambda c: security_rows.change_credentials(
                c, station_id, {"pending_security_profile": None, "updated_at": now}
            )
        )

    async def credentials_used(self, station_id: str, pending_password: bool, listener_profile: int) -> None:
        """A station with a pending change authenticated: a pending password it gave becomes its
        only one; a pending profile it connected with (or above) becomes its lowest."""
        current = await self.credentials(station_id)
        if current is None:
            return
        changes: dict[str, Any] = {}
        if pending_password and current.pending_password_hash is not None:
            changes |= {"password_hash": current.pending_password_hash, "pending_password_hash": None}
        pending_profile = current.pending_security_profile
        if pending_profile is not None and listener_profile >= pending_profile:
            changes |= {"security_profile": pending_profile, "pending_security_profile": None}
        if not changes:
            return
        changes["updated_at"] = self._clock()
        await self._store.write(lambda c: security_rows.change_credentials(c, station_id, changes))
        if "security_profile" in changes:
            log.info("%s: now at security profile %d", station_id, pending_profile)
            self.record(station_id, "SecurityProfileRaised", f"security profile {pending_profile}")
        if "password_hash" in changes:
            log.info("%s: connected with its new password", station_id)

    async def forget(self, station_id: str) -> bool:
        """Remove the station's credentials (it is unsecured again); False when it had none."""
        return bool(await self._store.write(lambda c: security_rows.delete_credentials(c, station_id)))

    # -- events -------------------------------------------------------------------------------------

    def record(
        self,
        station_id: str | None,
        event_type: str,
        tech_info: str | None = None,
        peer_address: str | None = None,
        *,
        source: str = CSMS,
        occurred_at: datetime | None = None,
    ) -> None:
        """Record a security event without waiting for the write (never raises)."""
        now = self._clock()
        occurred = occurred_at or now
        row: dict[str, Any] = {
            "station_id": station_id,
            "source": source,
            "event_type": event_type,
            "tech_info": tech_info,
            "peer_address": peer_address,
            "occurred_at": occurred,
            "received_at": now,
        }
        self.event_counts[(source, event_type)] += 1
        if source == CSMS:
            log.warning(
                "security event %s for %s from %s: %s", event_type, station_id, peer_address, tech_info
            )
        try:
            future = self._store.write_behind(lambda c: security_rows.add_events(c, [row]))
        except Exception:
            log.exception("security event %s for %s could not be queued", event_type, station_id)
            return
        future.add_done_callback(_log_failure)
        data: dict[str, Any] = {
            "source": source,
            "event_type": event_type,
            "tech_info": tech_info,
            "occurred_at": occurred.isoformat(),
        }
        self._events.publish("security.event", station_id or "", data)

    async def store_station_event(
        self, station_id: str, event_type: str, occurred_at: datetime, tech_info: str | None
    ) -> None:
        """A SecurityEventNotification: stored before the station gets its answer."""
        now = self._clock()
        row = {
            "station_id": station_id,
            "source": STATION,
            "event_type": event_type,
            "tech_info": tech_info,
            "peer_address": None,
            "occurred_at": occurred_at,
            "received_at": now,
        }
        await self._store.write(lambda c: security_rows.add_events(c, [row]))
        self.event_counts[(STATION, event_type)] += 1
        data = {
            "source": STATION,
            "event_type": event_type,
            "tech_info": tech_info,
            "occurred_at": occurred_at.isoformat(),
        }
        self._events.publish("security.event", station_id, data)

    async def list_events(
        self,
        *,
        station_id: str | None = None,
        source: str | None = None,
        event_type: str | None = None,
        before_id: int | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> builtins.list[SecurityEventRecord]:
        """Newest first."""
        rows = await self._store.read(
            lambda c: security_rows.events(
                c,
                station_id=station_id,
                source=source,
                event_type=event_type,
                before_id=before_id,
                limit=limit,
                offset=offset,
            )
        )
        return [
            SecurityEventRecord(
                r.id,
                r.station_id,
                r.source,
                r.event_type,
                r.tech_info,
                r.peer_address,
                r.occurred_at,
                r.received_at,
            )
            for r in rows
        ]

    async def count_events(self, *, station_id: str | None = None) -> int:
        return await self._store.read(lambda c: security_rows.count_events(c, station_id=station_id))

    # -- certificates -------------------------------------------------------------------------------

    async def record_certificate(self, values: dict[str, Any]) -> int:
        """Keep the public record of a certificate (``certificates`` columns but id)."""
        return await self._store.write(lambda c: security_rows.add_certificate(c, values))

    async def list_certificates(self, station_id: str | None = None) -> builtins.list[dict[str, Any]]:
        rows = await self._store.read(lambda c: security_rows.station_certificates(c, station_id))
        return [dict(r._mapping) for r in rows]

    async def expiring_certificates(self, within: timedelta) -> builtins.list[dict[str, Any]]:
        """Each station's newest certificate of each type that ends within ``within``."""
        before = self._clock() + within
        rows = await self._store.read(lambda c: security_rows.expiring_certificates(c, before))
        return [dict(r._mapping) for r in rows]


def _check_profile(profile: int) -> None:
    if not UNSECURED <= profile <= MUTUAL_TLS:
        raise ValueError(f"security profile {profile}: expected 0-3")


def _station_security(row: Any) -> StationSecurity:
    return StationSecurity(
        row.station_id,
        row.security_profile,
        row.password_hash is not None,
        row.pending_password_hash is not None,
        row.updated_at,
        row.pending_security_profile,
    )


def _log_failure(future: Any) -> None:
    if not future.cancelled() and future.exception() is not None:
        log.error("a security event could not be stored: %s", future.exception())
