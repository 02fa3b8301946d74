"""Station configuration in one shape: 2.0.1 device model variables and 1.6 configuration keys.

A 2.0.1 station describes its components and variables in NotifyReport parts and answers
GetVariables / SetVariables; a 1.6 station answers GetConfiguration / ChangeConfiguration. Both
land here as :class:`VariableAttribute` rows, so an operator sees one configuration view
(``opencsms station config CP001``) whatever the station speaks. Nothing here runs on the
transaction path.
"""

from __future__ import annotations

import builtins
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, replace
from datetime import datetime
from typing import Any

from sqlalchemy.engine import Connection, Row

from opencsms.security.redaction import MASK, is_secret
from opencsms.store import Store
from opencsms.store import device_variables as variable_rows

#: Answer statuses after which the station holds the value it reported or was sent.
VALUE_STATUSES = frozenset({"Accepted", "RebootRequired"})
#: Answer statuses that say the attribute does not exist: nothing about it is stored.
UNKNOWN_STATUSES = frozenset(
    {"UnknownComponent", "UnknownVariable", "NotSupportedAttributeType", "UnknownKey"}
)


@dataclass(frozen=True, slots=True)
class VariableAttribute:
    """One attribute of one variable of one component (2.0.1), or one 1.6 configuration key.

    A 1.6 key has an empty ``component`` and the key as ``variable``. ``status`` is the station's
    answer to the last Get/Set of it (None when only a report mentioned it).
    """

    component: str
    variable: str
    value: str | None = None
    attribute_type: str = "Actual"
    component_instance: str = ""
    variable_instance: str = ""
    evse_id: int = 0
    connector_id: int = 0
    mutability: str | None = None
    persistent: bool | None = None
    constant: bool | None = None
    unit: str | None = None
    data_type: str | None = None
    min_limit: str | None = None
    max_limit: str | None = None
    values_list: str | None = None
    status: str | None = None
    source: str | None = None
    updated_at: datetime | None = None

    @property
    def key(self) -> str:
        """The name an operator reads and types.

        A 1.6 key as it is; a 2.0.1 attribute as ``Component[instance]@evse/connector.Variable[instance]``
        with ``:Type`` for attributes other than Actual, e.g. ``OCPPCommCtrlr.HeartbeatInterval``,
        ``EVSE@1.Power:MaxSet``.
        """
        if not self.component:
            return self.variable
        component = self.component + (f"[{self.component_instance}]" if self.component_instance else "")
        if self.evse_id:
            component += f"@{self.evse_id}" + (f"/{self.connector_id}" if self.connector_id else "")
        variable = self.variable + (f"[{self.variable_instance}]" if self.variable_instance else "")
        suffix = f":{self.attribute_type}" if self.attribute_type != "Actual" else ""
        return f"{component}.{variable}{suffix}"

    @property
    def identity(self) -> tuple[str, str, int, int, str, str, str]:
        return (
            self.component,
            self.component_instance,
            self.evse_id,
            self.connector_id,
            self.variable,
            self.variable_instance,
            self.attribute_type,
        )


def configuration_entry(attribute: VariableAttribute) -> dict[str, Any]:
    """One line of the configuration view (CLI and API), JSON-ready."""
    return {
        "key": attribute.key,
        "value": attribute.value,
        "kind": "variable" if attribute.component else "key",
        "component": attribute.component or None,
        "evse_id": attribute.evse_id or None,
        "connector_id": attribute.connector_id or None,
        "variable": attribute.variable,
        "attribute_type": attribute.attribute_type,
        "mutability": attribute.mutability,
        "unit": attribute.unit,
        "data_type": attribute.data_type,
        "min_limit": attribute.min_limit,
        "max_limit": attribute.max_limit,
        "values_list": attribute.values_list,
        "status": attribute.status,
        "source": attribute.source,
        "updated_at": attribute.updated_at.isoformat() if attribute.updated_at else None,
    }


_KEY = re.compile(
    r"(?P<component>[^.\[@]+)(?:\[(?P<component_instance>[^\]]*)\])?"
    r"(?:@(?P<evse_id>\d+)(?:/(?P<connector_id>\d+))?)?"
    r"\.(?P<variable>[^.\[:]+)(?:\[(?P<variable_instance>[^\]]*)\])?"
    r"(?::(?P<attribute_type>Actual|Target|MinSet|MaxSet))?"
)


def parse_key(key: str) -> VariableAttribute:
    """The attribute a :attr:`VariableAttribute.key` names (its inverse), without a value.

    Raises:
        ValueError: ``key`` is not of the form ``Component[instance]@evse/connector.Variable[instance]:Type``.
    """
    match = _KEY.fullmatch(key)
    if match is None:
        raise ValueError(f"{key!r} is not Component[instance]@evse/connector.Variable[instance]:Type")
    parts = match.groupdict()
    return VariableAttribute(
        component=parts["component"],
        variable=parts["variable"],
        attribute_type=parts["attribute_type"] or "Actual",
        component_instance=parts["component_instance"] or "",
        variable_instance=parts["variable_instance"] or "",
        evse_id=int(parts["evse_id"] or 0),
        connector_id=int(parts["connector_id"] or 0),
    )


@dataclass(frozen=True, slots=True)
class ReportProgress:
    """How far a multi-part report (one requestId) has arrived."""

    request_id: int
    seq_nos: tuple[int, ...]
    final_seq_no: int | None
    items: int
    started_at: datetime
    updated_at: datetime

    @property
    def missing(self) -> tuple[int, ...]:
        """seqNos not received below the highest one known (the final one, once it came)."""
        if not self.seq_nos:
            return ()
        last = self.final_seq_no if self.final_seq_no is not None else max(self.seq_nos)
        have = set(self.seq_nos)
        return tuple(n for n in range(last + 1) if n not in have)

    @property
    def complete(self) -> bool:
        """Every part up to the one with tbc false has arrived."""
        return self.final_seq_no is not None and not self.missing


def _row_values(station_id: str, attribute: VariableAttribute) -> dict[str, Any]:
    values = asdict(attribute)
    values["station_id"] = station_id
    if values["value"] is not None and is_secret(attribute.variable):
        values["value"] = MASK  # the station holds a password; the configuration view shows that it is set
    return values


def _latest(attributes: Iterable[VariableAttribute]) -> list[VariableAttribute]:
    # The same attribute twice in one message: the later one wins, and one upsert touches it once.
    by_identity = {attribute.identity: attribute for attribute in attributes}
    return list(by_identity.values())


class DeviceModelService:
    """Reports, Get/Set results and configuration keys of stations, and the view over them."""

    def __init__(self, store: Store, *, clock: Callable[[], datetime]) -> None:
        self._store = store
        self._clock = clock

    async def store_report(
        self,
        station_id: str,
        *,
        request_id: int,
        seq_no: int,
        tbc: bool,
        attributes: Sequence[VariableAttribute],
        now: datetime,
    ) -> ReportProgress:
        """Store one NotifyReport part (B07/B08); parts may come in any order, a resent one changes
        nothing new. Returns the report's progress.

        Raises:
            sqlalchemy.exc.SQLAlchemyError: the store failed; nothing of this part was stored.
        """
        rows = [_row_values(station_id, a) for a in _latest(attributes)]

        def job(connection: Connection) -> ReportProgress:
            variable_rows.store_reported(connection, rows, source="NotifyReport", now=now)
            existing = variable_rows.get_report(connection, station_id, request_id)
            progress = _progress(existing, request_id, now)
            seq_nos = tuple(sorted({*progress.seq_nos, seq_no}))
            resent = seq_no in progress.seq_nos
            updated = ReportProgress(
                request_id=request_id,
                seq_nos=seq_nos,
                final_seq_no=seq_no if not tbc else progress.final_seq_no,
                items=progress.items + (0 if resent else len(rows)),
                started_at=progress.started_at,
                updated_at=now,
            )
            variable_rows.save_report(
                connection,
                {
                    "station_id": station_id,
                    "request_id": request_id,
                    "seq_nos": ",".join(map(str, updated.seq_nos)),
                    "final_seq_no": updated.final_seq_no,
                    "items": updated.items,
                    "started_at": updated.started_at,
                    "updated_at": now,
                },
            )
            return updated

        return await self._store.write(job)

    async def record_results(
        self, station_id: str, results: Sequence[VariableAttribute], *, source: str
    ) -> None:
        """Keep what a station answered to a Get/Set (GetVariables, SetVariables, GetConfiguration,
        ChangeConfiguration): the value where its status says the station holds it, else only
        the status; attributes the station does not know are left out.

        Raises:
            sqlalchemy.exc.SQLAlchemyError: the store failed.
        """
        now = self._clock()
        known = [r for r in _latest(results) if r.status not in UNKNOWN_STATUSES]
        with_value = [
            _row_values(station_id, r) for r in known if r.status is None or r.status in VALUE_STATUSES
        ]
        # A refused value is not the station's: a first row gets none.
        status_only = [
            _row_values(station_id, replace(r, value=None))
            for r in known
            if r.status is not None and r.status not in VALUE_STATUSES
        ]
        if not with_value and not status_only:
            return

        def job(connection: Connection) -> None:
            variable_rows.store_answered(connection, with_value, source=source, now=now)
            variable_rows.store_status(connection, status_only, source=source, now=now)

        await self._store.write(job)

    async def configuration(self, station_id: str) -> builtins.list[VariableAttribute]:
        """Every attribute and configuration key stored for the station, 2.0.1 by component.

        Raises:
            sqlalchemy.exc.SQLAlchemyError: the store failed.
        """
        rows = await self._store.read(
            lambda connection: variable_rows.list_for_station(connection, station_id)
        )
        return [_attribute(row) for row in rows]

    async def report(self, station_id: str, request_id: int) -> ReportProgress | None:
        """The progress of the station's report ``request_id``, or None when no part arrived.

        Raises:
            sqlalchemy.exc.SQLAlchemyError: the store failed.
        """
        row = await self._store.read(
            lambda connection: variable_rows.get_report(connection, station_id, request_id)
        )
        return _progress(row, request_id, row.started_at) if row is not None else None


def _progress(row: Row[Any] | None, request_id: int, now: datetime) -> ReportProgress:
    if row is None:
        return ReportProgress(request_id, (), None, 0, now, now)
    seq_nos = tuple(int(n) for n in row.seq_nos.split(",") if n)
    return ReportProgress(request_id, seq_nos, row.final_seq_no, row.items, row.started_at, row.updated_at)


def _attribute(row: Row[Any]) -> VariableAttribute:
    return VariableAttribute(
        component=row.component,
        variable=row.variable,
        value=row.value,
        attribute_type=row.attribute_type,
        component_instance=row.component_instance,
        variable_instance=row.variable_instance,
        evse_id=row.evse_id,
        connector_id=row.connector_id,
        mutability=row.mutability,
        persistent=row.persistent,
        constant=row.constant,
        unit=row.unit,
        data_type=row.data_type,
        min_limit=row.min_limit,
        max_limit=row.max_limit,
        values_list=row.values_list,
        status=row.status,
        source=row.source,
        updated_at=row.updated_at,
    )
