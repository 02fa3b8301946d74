"""Changing a connected station's credentials: a new Basic auth password, a higher security profile.

Both keep the CSMS one step ahead of the station, so the station is never locked out:

* Password (1.6 whitepaper § 2.3, 2.0.1 A01): the new password's hash is stored as *pending*
  first; then the station gets it (1.6 ChangeConfiguration AuthorizationKey, 2.0.1 SetVariables
  BasicAuthPassword), answers, and reconnects with it. Meanwhile both passwords open the door;
  the first handshake with the new one makes it the only one. A refusal drops the pending hash.
* Profile (1.6 whitepaper § 2.4, 2.0.1 A05): the target profile is stored as *pending*; then the
  station gets it (1.6 ChangeConfiguration SecurityProfile; 2.0.1 SetNetworkProfile with the
  url of the new profile's listener, NetworkConfigurationPriority with that slot first, and a
  Reset). The first handshake at that profile or higher makes it the station's lowest, after
  which a lower one is refused; until then the old profile still works, so a station that fails
  to reach the new listener falls back (as the spec lets it) and is not locked out.

The password travels to the station only inside the OCPP call; it is never logged, stored in
clear or returned (the message log and configuration view mask it).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from opencsms.domain import commands as c
from opencsms.domain.services import Domain
from opencsms.security.passwords import check_password_rules, generate_password

log = logging.getLogger(__name__)

#: Answers after which the station holds the new setting (or will after its reboot).
TAKEN = frozenset({"Accepted", "RebootRequired"})


@dataclass(frozen=True, slots=True)
class ChangeOutcome:
    """What the station answered to each step (action, status), and the overall status: the
    status of the last step sent; ``Accepted`` when every step was."""

    status: str
    steps: list[tuple[str, str]] = field(default_factory=list)


class SecurityChanges:
    """Password changes and profile upgrades through ``gateway`` (the node holding the socket).

    ``listener_url(profile)`` gives the OCPP url of this deployment's listener of a security
    profile (for 2.x SetNetworkProfile), or None when there is none.
    """

    def __init__(
        self,
        domain: Domain,
        gateway: c.StationGateway,
        listener_url: Callable[[int], str | None],
        *,
        timeout: float = 30.0,
    ) -> None:
        self._domain = domain
        self._gateway = gateway
        self._listener_url = listener_url
        self._timeout = timeout

    async def _version(self, station_id: str) -> str:
        station = await self._domain.stations.get(station_id)
        version = station.ocpp_version if station is not None else None
        if not version:
            raise c.StationOffline(f"station {station_id} has not connected yet")
        return str(version)

    async def change_password(self, station_id: str, password: str | None = None) -> ChangeOutcome:
        """Give the station a new password (``None``: a generated one, never shown).

        Raises:
            WeakPassword: ``password`` breaks the rules for the station's OCPP version.
            StationOffline, SentNoAnswer, CommandTimeout, CommandRejected, InvalidCommand: as the
                gateway; with no answer the new password stays pending (the station may have taken it).
        """
        version = await self._version(station_id)
        password = password if password is not None else generate_password()
        check_password_rules(password, version)
        await self._domain.security.begin_password_change(station_id, password, version=version)
        try:
            result = await self._gateway.execute(station_id, c.ChangePassword(password), self._timeout)
        except (c.CommandTimeout, c.SentNoAnswer):
            raise
        except c.CommandError:
            await self._domain.security.abandon_password_change(station_id)
            raise
        status = _status(result)
        if status not in TAKEN:
            await self._domain.security.abandon_password_change(station_id)
        log.info("%s: password change answered %s", station_id, status)
        return ChangeOutcome(status, [(result.action, status)])

    async def raise_profile(
        self, station_id: str, profile: int, *, csms_url: str | None = None, configuration_slot: int = 1
    ) -> ChangeOutcome:
        """Move the station up to security ``profile`` (see the module docstring).

        Raises:
            ValueError: ``profile`` is not above the station's, or needs a password it lacks.
            InvalidCommand: no listener of that profile (and no ``csms_url``) for a 2.x station.
            StationOffline, SentNoAnswer, CommandTimeout, CommandRejected: as the gateway.
        """
        version = await self._version(station_id)
        url = csms_url or self._listener_url(profile)
        if version != "1.6" and not url:
            raise c.InvalidCommand(f"no OCPP listener with security profile {profile}")
        await self._domain.security.begin_profile_upgrade(station_id, profile)
        steps: list[tuple[str, str]] = []
        try:
            step = c.RaiseSecurityProfile(profile, url or "", configuration_slot)
            result = await self._gateway.execute(station_id, step, self._timeout)
            steps.append((result.action, _status(result)))
            if version != "1.6" and steps[-1][1] in TAKEN:
                await self._switch_network(station_id, configuration_slot, steps)
        except (c.CommandTimeout, c.SentNoAnswer):
            raise
        except c.CommandError:
            await self._domain.security.abandon_profile_upgrade(station_id)
            raise
        status = steps[-1][1]
        if any(step_status not in TAKEN and step_status != "Scheduled" for _, step_status in steps):
            await self._domain.security.abandon_profile_upgrade(station_id)
        else:
            status = "Accepted"
        log.info("%s: security profile %d: %s", station_id, profile, steps)
        return ChangeOutcome(status, steps)

    async def _switch_network(self, station_id: str, slot: int, steps: list[tuple[str, str]]) -> None:
        # B10 / A05: put the new slot first in NetworkConfigurationPriority, then reboot so the
        # station connects with it.
        name = "OCPPCommCtrlr.NetworkConfigurationPriority"
        current = await self._gateway.execute(station_id, c.GetVariables((name,)), self._timeout)
        results = current.response.get("getVariableResult") or [{}]
        existing = str(results[0].get("attributeValue") or "")
        slots = [str(slot), *(s.strip() for s in existing.split(",") if s.strip() and s.strip() != str(slot))]
        priority = await self._gateway.execute(
            station_id, c.SetVariables({name: ",".join(slots)}), self._timeout
        )
        steps.append((priority.action, _status(priority)))
        if steps[-1][1] not in TAKEN:
            return
        reset = await self._gateway.execute(station_id, c.Reset("Soft"), self._timeout)
        steps.append((reset.action, _status(reset)))


def _status(result: c.CommandResult) -> str:
    """The status of an answer: ``status``, or the first SetVariables result's."""
    if result.status is not None:
        return result.status
    items: Any = result.response.get("setVariableResult") or [{}]
    return str(items[0].get("attributeStatus", "Rejected"))
