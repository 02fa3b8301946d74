"""Costing driven off the message path: running costs and a CDR for each finished session.

The service follows the bus (``transaction.started``, ``.updated``, ``.ended``, as published by
this node) from tasks of its own; the OCPP message path does nothing more than publish the events
it publishes anyway. At a start it fixes the tariff version (the one in force then, resolved by
``TariffService.resolve``); new meter data marks the session, and marked sessions are repriced at
most every ``interval`` seconds (the running cost, a ``transaction.cost`` event); at the end the
final cost is fixed in a CDR. A sweep at start-up (and every ``sweep_interval``) bills ended
sessions the events did not reach (a restart, a full queue), so nothing is billed late forever.

An end the CSMS inferred (ADR 0017) is billed like any other. When the station's real stop later
replaces it, the CDR of the inferred end is cancelled by a credit CDR and a new CDR bills the
session as the station reported it: the session is never billed twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, Protocol

from sqlalchemy import and_, or_, select
from sqlalchemy.engine import Connection

from opencsms.billing.cdrs import cdr_values, credit_values, to_micro
from opencsms.billing.costing import SessionCost, price_session
from opencsms.billing.tariff_service import TariffService, TariffVersion
from opencsms.billing.usage import StoredSession, read_session
from opencsms.bus import EventBus, EventFilter, Subscription
from opencsms.domain import commands as c
from opencsms.domain.events import DomainEvent
from opencsms.store import Store
from opencsms.store import billing as rows
from opencsms.store.schema import transactions
from opencsms.store.schema_billing import transaction_costs
from opencsms.store.schema_device_model import device_variables

log = logging.getLogger(__name__)

_KINDS = ("transaction.started", "transaction.updated", "transaction.ended")
_SWEEP_BATCH = 500


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass
class RevenueCounters:
    """What this process billed since it started, per currency (for /metrics): amounts in
    millionths, excl. and incl. VAT; credits counted apart so both only ever grow."""

    cdrs: dict[str, int] = field(default_factory=dict)
    billed_excl: dict[str, int] = field(default_factory=dict)
    billed_incl: dict[str, int] = field(default_factory=dict)
    credited_excl: dict[str, int] = field(default_factory=dict)
    credited_incl: dict[str, int] = field(default_factory=dict)

    def count(self, values: dict[str, Any]) -> None:
        currency = values["currency"]
        self.cdrs[currency] = self.cdrs.get(currency, 0) + 1
        excl, incl = values["total_excl_micro"], values["total_incl_micro"]
        if values["credit"]:
            self.credited_excl[currency] = self.credited_excl.get(currency, 0) - excl
            self.credited_incl[currency] = self.credited_incl.get(currency, 0) - incl
        else:
            self.billed_excl[currency] = self.billed_excl.get(currency, 0) + excl
            self.billed_incl[currency] = self.billed_incl.get(currency, 0) + incl


def _ended_unbilled(connection: Connection, after_id: int) -> list[int]:
    """Ended transactions (id above ``after_id``) without a CDR for how they ended."""
    cost = transaction_costs.c
    query = (
        select(transactions.c.id)
        .outerjoin(transaction_costs, cost.transaction_id == transactions.c.id)
        .where(
            transactions.c.status == "ended",
            transactions.c.id > after_id,
            or_(
                cost.transaction_id.is_(None),
                cost.billed_ended_by.is_(None),
                and_(transactions.c.ended_by.is_not(None), cost.billed_ended_by != transactions.c.ended_by),
            ),
        )
        .order_by(transactions.c.id)
        .limit(_SWEEP_BATCH)
    )
    return [row[0] for row in connection.execute(query)]


class CostDisplay(Protocol):
    """Where costs go to stations' displays (the session manager)."""

    def connected_version(self, station_id: str) -> str | None: ...

    async def execute(self, station_id: str, command: c.Command, timeout: float | None = None) -> Any: ...


def _display_supported(connection: Connection, station_id: str, version: str) -> bool:
    """1.6: the station declares California Pricing (CustomDisplayCostAndPrice true); 2.x: unless
    its TariffCostCtrlr says cost display is disabled (Enabled[Cost] false)."""
    v = device_variables.c
    if version == "1.6":
        query = select(v.value).where(
            v.station_id == station_id, v.component == "", v.variable == "CustomDisplayCostAndPrice"
        )
        return str(connection.execute(query).scalar() or "").lower() == "true"
    query = select(v.value).where(
        v.station_id == station_id,
        v.component == "TariffCostCtrlr",
        v.variable == "Enabled",
        v.variable_instance == "Cost",
    )
    return str(connection.execute(query).scalar() or "true").lower() != "false"


class BillingService:
    def __init__(
        self,
        store: Store,
        bus: EventBus,
        tariffs: TariffService,
        *,
        interval: float = 15.0,
        sweep_interval: float = 600.0,
        display: CostDisplay | None = None,
        display_interval: float = 60.0,
        clock: Callable[[], datetime] = _now,
    ) -> None:
        self._store = store
        self._bus = bus
        self.tariffs = tariffs
        self._interval = interval
        self._sweep_interval = sweep_interval
        self._clock = clock
        self._subscription: Subscription | None = None
        self._tasks: list[asyncio.Task[None]] = []
        self._dirty: set[int] = set()
        self._wake = asyncio.Event()
        self._lock = asyncio.Lock()
        self.revenue = RevenueCounters()
        self._display = display
        self._display_interval = display_interval
        self._displayed: dict[int, datetime] = {}
        self._sending: set[asyncio.Task[None]] = set()

    async def start(self) -> None:
        self._subscription = self._bus.subscribe(EventFilter.of(_KINDS, local_only=True), max_queued=100_000)
        loop = asyncio.get_running_loop()
        self._tasks = [
            loop.create_task(self._follow(self._subscription), name="billing events"),
            loop.create_task(self._reprice_marked(), name="billing running costs"),
            loop.create_task(self._sweep_periodically(), name="billing sweep"),
        ]

    async def close(self) -> None:
        if self._subscription is not None:
            self._subscription.close()
        for task in (*self._tasks, *self._sending):
            task.cancel()
        for task in (*self._tasks, *self._sending):
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks = []

    async def _follow(self, subscription: Subscription) -> None:
        async for event in subscription:
            transaction_id = event.data.get("transaction_id")
            if not isinstance(transaction_id, int):
                continue
            try:
                if event.kind == "transaction.started":
                    await self.tariff_of(transaction_id)
                elif event.kind == "transaction.updated":
                    self._dirty.add(transaction_id)
                elif event.kind == "transaction.ended":
                    self._dirty.discard(transaction_id)
                    await self.finish(transaction_id)
            except Exception:
                log.exception("billing %s of transaction %s failed", event.kind, transaction_id)

    async def _reprice_marked(self) -> None:
        while True:
            await asyncio.sleep(self._interval)
            marked, self._dirty = self._dirty, set()
            for transaction_id in sorted(marked):
                try:
                    await self.running_cost(transaction_id)
                except Exception:
                    log.exception("running cost of transaction %s failed", transaction_id)

    async def _sweep_periodically(self) -> None:
        while True:
            try:
                await self.sweep()
            except Exception:
                log.exception("billing sweep failed")
            await asyncio.sleep(self._sweep_interval)

    async def sweep(self) -> int:
        """Bill every ended session without a CDR for how it ended; the number billed."""
        billed = 0
        after = 0
        while True:
            found: list[int] = await self._store.read(functools.partial(_ended_unbilled, after_id=after))
            for transaction_id in found:
                if await self.finish(transaction_id) is not None:
                    billed += 1
            if len(found) < _SWEEP_BATCH:
                return billed
            after = found[-1]

    async def tariff_of(
        self, transaction_id: int, session: StoredSession | None = None
    ) -> TariffVersion | None:
        """The tariff version pricing the session, fixed (stored) the first time it is asked."""
        cost = await self._store.read(lambda connection: rows.cost_of(connection, transaction_id))
        if cost is not None and cost.tariff_id is not None:
            return await self.tariffs.get(cost.tariff_id, cost.tariff_version)
        if cost is not None and cost.computed_at is not None:
            return None  # resolved before: no tariff applies
        if session is None:
            session = await self._store.read(lambda connection: read_session(connection, transaction_id))
            if session is None:
                return None
        tx = session.transaction
        resolved = await self.tariffs.resolve(tx.station_id, tx.evse_id, tx.id_token, tx.started_at)
        version = None if resolved is None else resolved.version
        values: dict[str, Any] = {
            "transaction_id": transaction_id,
            "tariff_id": None if version is None else version.tariff.id,
            "tariff_version": None if version is None else version.version,
            "currency": None if version is None else version.tariff.currency,
            "computed_at": self._clock(),
        }
        await self._store.write(lambda connection: rows.put_cost(connection, values))
        return version

    async def running_cost(self, transaction_id: int) -> SessionCost | None:
        """Price a session up to now and store it as its running cost (None: no tariff)."""
        session = await self._store.read(lambda connection: read_session(connection, transaction_id))
        if session is None or session.transaction.status != "active":
            return None
        version = await self.tariff_of(transaction_id, session)
        if version is None:
            return None
        now = self._clock()
        cost = price_session(version.tariff, session.usage(now), version.zone)
        values = {
            "transaction_id": transaction_id,
            "total_excl_micro": to_micro(cost.total.excl_vat),
            "total_incl_micro": to_micro(cost.total.incl_vat),
            "energy_mwh": int(cost.energy_wh * 1000),
            "computed_at": now,
        }
        await self._store.write(lambda connection: rows.put_cost(connection, values))
        tx = session.transaction
        self._publish_cost(tx.station_id, transaction_id, cost, final=False)
        last = self._displayed.get(transaction_id)
        if last is None or (now - last).total_seconds() >= self._display_interval:
            self._displayed[transaction_id] = now
            periods = cost.periods
            meter = session.usage(now).readings
            command = c.CostUpdated(
                tx.transaction_ref,
                str(cost.total.incl_vat),
                timestamp=now.isoformat(),
                meter_wh=int(meter[-1].energy_wh) if meter else None,
                charging=periods[-1].charging if periods else True,
            )
            self._show(tx.station_id, command)
        return cost

    def _show(self, station_id: str, command: c.CostUpdated) -> None:
        """Send the cost to the station's display, if it has one, from a task of its own."""
        display = self._display
        if display is None or self._display_interval <= 0:
            return
        version = display.connected_version(station_id)
        if version is None:
            return

        async def send() -> None:
            try:
                supported = await self._store.read(
                    lambda connection: _display_supported(connection, station_id, version)
                )
                if supported:
                    await display.execute(station_id, command, 30.0)
            except Exception as exc:  # the station's display is a courtesy; billing goes on
                log.info("cost for %s's display not delivered: %r", station_id, exc)

        task = asyncio.get_running_loop().create_task(send(), name=f"cost display {station_id}")
        self._sending.add(task)
        task.add_done_callback(self._sending.discard)

    async def finish(self, transaction_id: int) -> int | None:
        """Fix the final cost of an ended session in a CDR (once per way it ended); the CDR's id,
        or None when there was nothing (more) to bill."""
        async with self._lock:
            return await self._finish(transaction_id)

    async def _finish(self, transaction_id: int) -> int | None:
        session = await self._store.read(lambda connection: read_session(connection, transaction_id))
        if session is None or session.transaction.status != "ended":
            return None
        tx = session.transaction
        cost_row = await self._store.read(lambda connection: rows.cost_of(connection, transaction_id))
        if (
            cost_row is not None
            and cost_row.cdr_id is not None
            and cost_row.billed_ended_by == (tx.ended_by or "")
        ):
            return None
        version = await self.tariff_of(transaction_id, session)
        now = self._clock()
        if version is None:
            unpriced = {
                "transaction_id": transaction_id,
                "billed_ended_by": tx.ended_by or "",
                "computed_at": now,
            }
            await self._store.write(lambda connection: rows.put_cost(connection, unpriced))
            return None
        cost = price_session(version.tariff, session.usage(now), version.zone)
        values = cdr_values(session, version, cost, now)
        previous_id = None if cost_row is None else cost_row.cdr_id
        ended_by = tx.ended_by or ""

        def bill(connection: Connection) -> tuple[int, dict[str, Any] | None]:
            credit = None
            if previous_id is not None:
                previous = rows.cdr(connection, previous_id)
                if previous is not None:
                    credit = credit_values(
                        previous, f"replaced: the session ended {ended_by or 'again'}", now
                    )
                    rows.insert_cdr(connection, credit)
            cdr_id = rows.insert_cdr(connection, values)
            rows.put_cost(
                connection,
                {
                    "transaction_id": transaction_id,
                    "cdr_id": cdr_id,
                    "billed_ended_by": ended_by,
                    "total_excl_micro": values["total_excl_micro"],
                    "total_incl_micro": values["total_incl_micro"],
                    "energy_mwh": values["energy_mwh"],
                    "computed_at": now,
                },
            )
            return cdr_id, credit

        cdr_id, credit = await self._store.write(bill)
        if credit is not None:
            self.revenue.count(credit)
        self.revenue.count(values)
        self._publish_cost(tx.station_id, transaction_id, cost, final=True, cdr_id=cdr_id)
        self._displayed.pop(transaction_id, None)
        text = version.tariff.alt_text()
        price_text = f"{cost.currency} {cost.total.incl_vat}" + (f" ({text})" if text else "")
        self._show(tx.station_id, c.CostUpdated(tx.transaction_ref, str(cost.total.incl_vat), final=True,
                                                price_text=price_text))  # fmt: skip
        return cdr_id

    def _publish_cost(
        self,
        station_id: str,
        transaction_id: int,
        cost: SessionCost,
        *,
        final: bool,
        cdr_id: int | None = None,
    ) -> None:
        data: dict[str, Any] = {
            "transaction_id": transaction_id,
            "currency": cost.currency,
            "total_excl_vat": str(cost.total.excl_vat),
            "total_incl_vat": str(cost.total.incl_vat),
            "final": final,
        }
        if cdr_id is not None:
            data["cdr_id"] = cdr_id
        self._bus.publish(DomainEvent("transaction.cost", station_id, data))

    async def cost(self, transaction_id: int) -> dict[str, Any] | None:
        """The stored cost of a session (running or final) for the API, or None."""
        row = await self._store.read(lambda connection: rows.cost_of(connection, transaction_id))
        if row is None or row.tariff_id is None:
            return None
        excl = None if row.total_excl_micro is None else Decimal(row.total_excl_micro) / 1_000_000
        incl = None if row.total_incl_micro is None else Decimal(row.total_incl_micro) / 1_000_000
        return {
            "transaction_id": transaction_id,
            "tariff_id": row.tariff_id,
            "tariff_version": row.tariff_version,
            "currency": row.currency,
            "total_excl_vat": None if excl is None else str(excl),
            "total_incl_vat": None if incl is None else str(incl),
            "computed_at": None if row.computed_at is None else row.computed_at.isoformat(),
            "final": row.cdr_id is not None,
            "cdr_id": row.cdr_id,
        }
