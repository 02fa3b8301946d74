"""JSON the dashboard's pages need beyond the resource API: the overview's figures, a session as
chart series, a station's security events. Under ``/api/v1/dashboard`` so they are authenticated
like every API route.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query

from opencsms.api.deps import DomainDep, SessionsDep
from opencsms.api.paging import Page, PageDep, one_order
from opencsms.api.problems import Problem
from opencsms.dashboard.fleet_summary import summarize
from opencsms.dashboard.session_series import session_events, session_series

router = APIRouter(prefix="/api/v1/dashboard", tags=["dashboard"])


@router.get("/overview")
async def overview(
    domain: DomainDep,
    sessions: SessionsDep,
    day_start: Annotated[
        datetime | None,
        Query(description="when 'today' began for the operator (ISO 8601); UTC midnight if absent"),
    ] = None,
) -> dict[str, Any]:
    """Stations online/offline/faulted and by OCPP version, connectors by status, active sessions,
    power being delivered now (W), energy delivered today (Wh), and the stations needing attention."""
    now = datetime.now(UTC)
    start = day_start or now.replace(hour=0, minute=0, second=0, microsecond=0)
    if start.tzinfo is None:
        start = start.replace(tzinfo=UTC)
    online = frozenset(sessions.sessions)
    if sessions.other_nodes is not None:  # a cluster: the stations other nodes hold too
        online |= {s.id for s in await domain.stations.list() if s.connected}
    summary = await domain.store.read(lambda connection: summarize(connection, start, online))
    result = asdict(summary)
    result["day_start"] = start.isoformat()
    return result


@router.get("/sessions/{transaction_id}", responses={404: {"description": "no such transaction"}})
async def session_charts(
    domain: DomainDep, transaction_id: Annotated[int, Path(ge=1, le=2**31 - 1)]
) -> dict[str, Any]:
    """A session for its page: the transaction, its meter values as chart lines (power W, energy
    Wh since the start, current A and voltage V per phase, SoC %; points are [epoch ms, value]),
    and its events (start, connector statuses, end)."""
    transaction = await domain.transactions.get(transaction_id)
    if transaction is None:
        raise Problem(404, "Not found", f"no transaction {transaction_id}")
    samples = await domain.transactions.meter_values_of(transaction_id)
    statuses = []
    if transaction.connector_id is not None:
        statuses = await domain.stations.status_history(
            transaction.station_id, transaction.connector_id, 200, evse_id=transaction.evse_id
        )
    return {
        "transaction": _transaction_view(transaction),
        "series": asdict(session_series(transaction, samples)),
        "events": [asdict(e) for e in session_events(transaction, statuses)],
    }


@router.get("/stations/{station_id}/security-events")
async def station_security_events(
    domain: DomainDep,
    station_id: Annotated[str, Path(min_length=1, max_length=48)],
    page: PageDep,
) -> Page[dict[str, Any]]:
    """The station's latest security events, newest first (``-id`` only: the station's
    SecurityEventNotifications and what the CSMS noticed, such as failed logins)."""
    one_order(page, "-id")
    events = await domain.security.list_events(station_id=station_id, limit=page.limit, offset=page.offset)
    return Page[dict[str, Any]](
        items=[{**asdict(e), "occurred_at": e.occurred_at.isoformat()} for e in events],
        total=await domain.security.count_events(station_id=station_id),
        limit=page.limit,
        offset=page.offset,
    )


def _transaction_view(tx: Any) -> dict[str, Any]:
    energy = (
        tx.meter_stop_wh - tx.meter_start_wh
        if tx.meter_stop_wh is not None and tx.meter_start_wh is not None
        else None
    )
    return {
        "id": tx.id,
        "station_id": tx.station_id,
        "transaction_ref": tx.transaction_ref,
        "evse_id": tx.evse_id,
        "connector_id": tx.connector_id,
        "id_token": tx.id_token,
        "started_at": tx.started_at.isoformat(),
        "stopped_at": tx.stopped_at.isoformat() if tx.stopped_at else None,
        "meter_start_wh": tx.meter_start_wh,
        "meter_stop_wh": tx.meter_stop_wh,
        "energy_wh": energy,
        "stop_reason": tx.stop_reason,
        "status": str(tx.status),
        "ended_by": tx.ended_by,
        "inferred_cause": tx.inferred_cause,
    }
