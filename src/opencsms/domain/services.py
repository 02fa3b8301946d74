"""The :class:`Domain`: the services the protocol handlers and the API call."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from opencsms.domain.certificates import CertificateService
from opencsms.domain.device_model import DeviceModelService
from opencsms.domain.events import EventHandler, EventPublisher
from opencsms.domain.inferred_ends import BootSweep
from opencsms.domain.model import RegistrationPolicy
from opencsms.domain.remote_starts import RemoteStartService
from opencsms.domain.reservations import ReservationService
from opencsms.domain.security import SecurityService
from opencsms.domain.sites import SiteService
from opencsms.domain.station_profiles import StationProfileService
from opencsms.domain.stations import StationService
from opencsms.domain.tokens import TokenService
from opencsms.domain.transactions import TransactionService
from opencsms.store import Store

DEFAULT_HEARTBEAT_INTERVAL = 300
# How soon a Pending or Rejected station should boot again.
DEFAULT_RETRY_INTERVAL = 60
# Seconds a rebooted station has to send the stops it owes before its open transactions end.
DEFAULT_BOOT_STOP_GRACE = 120.0


def utc_now() -> datetime:
    """The current time, timezone-aware UTC."""
    return datetime.now(UTC)


class Domain:
    """Version-neutral business logic over one :class:`~opencsms.store.Store`.

    ``on_event`` receives a :class:`~opencsms.domain.events.DomainEvent` after each change is
    committed; it runs on the caller's task, so it must be quick and must not block.
    """

    def __init__(
        self,
        store: Store,
        *,
        registration_policy: RegistrationPolicy = RegistrationPolicy.ACCEPT,
        heartbeat_interval: int = DEFAULT_HEARTBEAT_INTERVAL,
        on_event: EventHandler | None = None,
        wants_event: Callable[[str], bool] | None = None,
        retry_interval: int = DEFAULT_RETRY_INTERVAL,
        boot_stop_grace: float = DEFAULT_BOOT_STOP_GRACE,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self.store = store
        events = EventPublisher(on_event, wants_event)
        self.stations = StationService(
            store,
            events,
            registration_policy=registration_policy,
            heartbeat_interval=heartbeat_interval,
            retry_interval=retry_interval,
            clock=clock,
        )
        self.tokens = TokenService(store, clock=clock)
        self.security = SecurityService(store, events, clock=clock)
        self.certificates = CertificateService(self.security, clock=clock)
        self.transactions = TransactionService(
            store,
            events,
            new_station_status=lambda: self.stations.new_station_status.value,
            clock=clock,
        )
        self.device_model = DeviceModelService(store, clock=clock)
        self.reservations = ReservationService(store, events, self.tokens, clock=clock)
        self.remote_starts = RemoteStartService(store, clock=clock)
        self.station_profiles = StationProfileService(store, self.transactions, clock=clock)
        self.sites = SiteService(store, clock=clock)
        #: Ends transactions a rebooted station left open (run by the runtime: ``boot_sweep.run``).
        self.boot_sweep = BootSweep(store, events, clock=clock, grace=boot_stop_grace)
