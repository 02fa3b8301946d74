"""Station certificates: signing CSRs (A02/A03, 1.6 whitepaper § 3.2), delivering them with
CertificateSigned, tracking expiry and asking stations to renew in time.

The signing CA is loaded on first use (``ca_loader``), so a CSMS without certificate-based
stations never needs one. Delivery runs in the background after the SignCertificate answer
has gone out, through the station gateway (this process's sessions, or the bus).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from opencsms.domain import commands as c
from opencsms.domain.security import SecurityService
from opencsms.security.certificates import CertificateAuthority, CsrRejected, certificate_record

log = logging.getLogger(__name__)

CHARGING_STATION_CERTIFICATE = "ChargingStationCertificate"
V2G_CERTIFICATE = "V2GCertificate"
DELIVERY_TIMEOUT = 30.0


class CertificateService:
    def __init__(
        self,
        security: SecurityService,
        *,
        clock: Callable[[], datetime],
        validity_days: int = 365,
    ) -> None:
        self._security = security
        self._clock = clock
        self.validity_days = validity_days
        #: Set by the runtime: how to get the signing CA, and how to reach a station.
        self.ca_loader: Callable[[], CertificateAuthority] | None = None
        self.gateway: c.StationGateway | None = None
        self._ca: CertificateAuthority | None = None
        self._deliveries: set[asyncio.Task[None]] = set()

    def ca(self) -> CertificateAuthority | None:
        """The signing CA, loaded on first use; None when none is configured."""
        if self._ca is None and self.ca_loader is not None:
            self._ca = self.ca_loader()
        return self._ca

    async def sign_request(self, station_id: str, version: str, csr_pem: str, certificate_type: str) -> bool:
        """Answer a SignCertificate: True (Accepted) when the CSR is signed; CertificateSigned
        follows in the background. A refused CSR is a security event."""
        ca = self.ca()
        if ca is None or self.gateway is None:
            self._security.record(station_id, "CsrRejected", "no signing CA is configured")
            return False
        if certificate_type == V2G_CERTIFICATE:
            self._security.record(station_id, "CsrRejected", "V2G certificates need an ISO 15118 PKI")
            return False
        try:
            certificate = ca.sign_station_csr(csr_pem, station_id, days=self.validity_days, now=self._clock())
        except CsrRejected as exc:
            self._security.record(station_id, "CsrRejected", str(exc))
            return False
        record = certificate_record(certificate, station_id, CHARGING_STATION_CERTIFICATE)
        await self._security.record_certificate({**record, "issued_at": self._clock()})
        payload: dict[str, Any] = {"certificateChain": ca.chain_pem(certificate)}
        if version != "1.6":
            payload["certificateType"] = CHARGING_STATION_CERTIFICATE
        task = asyncio.get_running_loop().create_task(self._deliver(station_id, payload))
        self._deliveries.add(task)
        task.add_done_callback(self._deliveries.discard)
        log.info("%s: certificate %s signed", station_id, record["serial_number"])
        return True

    async def _deliver(self, station_id: str, payload: dict[str, Any]) -> None:
        assert self.gateway is not None
        try:
            result = await self.gateway.execute(
                station_id, c.RawCall("CertificateSigned", payload), DELIVERY_TIMEOUT
            )
        except c.CommandError as exc:
            self._security.record(station_id, "CertificateDeliveryFailed", str(exc))
            return
        if result.status != "Accepted":
            self._security.record(
                station_id, "CertificateSignedRejected", f"the station answered {result.status}"
            )

    async def wait_for_deliveries(self) -> None:
        """Until every CertificateSigned under way has been answered (tests, shutdown)."""
        while self._deliveries:
            await asyncio.gather(*self._deliveries, return_exceptions=True)

    async def renew_periodically(
        self, interval: float, within: timedelta, connected: Callable[[str], bool]
    ) -> None:
        """Run :meth:`trigger_renewals` every ``interval`` seconds until cancelled."""
        while True:
            try:
                asked = await self.trigger_renewals(within, connected)
                if asked:
                    log.info("asked %d station(s) to renew their certificate", len(asked))
            except Exception:
                log.exception("certificate renewal check failed")
            await asyncio.sleep(interval)

    async def trigger_renewals(self, within: timedelta, connected: Callable[[str], bool]) -> list[str]:
        """Ask each connected station whose certificate ends within ``within`` to send a new CSR
        (1.6 ExtendedTriggerMessage / 2.0.1 TriggerMessage); returns the stations asked."""
        if self.gateway is None:
            return []
        asked = []
        for row in await self._security.expiring_certificates(within):
            station_id = row["station_id"]
            if not connected(station_id):
                continue
            try:
                result = await self.gateway.execute(station_id, c.RenewCertificate(), DELIVERY_TIMEOUT)
            except c.CommandError as exc:
                log.info("%s: renewal trigger failed: %s", station_id, exc)
                continue
            if result.status == "Accepted":
                asked.append(station_id)
        return asked
