"""Liveness and readiness (no key needed: load balancers and orchestrators call them)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from sqlalchemy import text

from opencsms.api.deps import BusDep, DomainDep, SessionsDep
from opencsms.api.problems import Problem

router = APIRouter(tags=["operations"])


@router.get("/health")
async def health() -> dict[str, str]:
    """The process is up."""
    return {"status": "ok"}


@router.get(
    "/ready",
    responses={503: {"description": "the node is draining, or the store or the bus does not answer"}},
)
async def ready(domain: DomainDep, sessions: SessionsDep, bus: BusDep) -> dict[str, Any]:
    """The node takes stations: it is not draining, the store answers and the event bus takes events."""
    if sessions.draining:
        raise Problem(503, "Not ready", "draining: this node is shutting down")
    try:
        async with domain.store.engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
    except Exception as exc:
        raise Problem(503, "Not ready", f"store unreachable: {exc}") from exc
    probe = getattr(bus, "ready", None)
    if probe is not None and not await probe():
        raise Problem(503, "Not ready", "event bus unreachable")
    return {"status": "ready", "stations_connected": len(sessions.sessions)}
