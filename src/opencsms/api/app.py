"""The HTTP app: health, readiness, the command endpoint the CLI uses, and read views."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Body, FastAPI
from sqlalchemy import text

from opencsms.api.problems import Problem, install
from opencsms.domain import commands as c
from opencsms.domain.services import Domain
from opencsms.sessions import SessionManager


def create_app(domain: Domain, sessions: SessionManager) -> FastAPI:
    app = FastAPI(
        title="opencsms", version="0.1.0", summary="Charging Station Management System: OCPP 1.6J, 2.0.1, 2.1"
    )
    install(app)

    @app.get("/health", tags=["operations"])
    async def health() -> dict[str, str]:
        """The process is up."""
        return {"status": "ok"}

    @app.get("/ready", tags=["operations"])
    async def ready() -> dict[str, Any]:
        """The store answers."""
        try:
            async with domain.store.engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
        except Exception as exc:
            raise Problem(503, "Not ready", f"store unreachable: {exc}") from exc
        return {"status": "ready", "stations_connected": len(sessions.sessions)}

    @app.post("/api/v1/stations/{station_id}/commands/{command}", tags=["commands"])
    async def send_command(
        station_id: str,
        command: str,
        args: Annotated[dict[str, Any] | None, Body()] = None,
        timeout: float | None = None,
    ) -> dict[str, Any]:
        """Send a version-neutral command; returns the station's answer.

        404 unknown command, 409 station offline, 422 bad arguments, 502 the station answered with a
        CALLERROR, 504 no answer in time.
        """
        try:
            cmd = c.command_from_dict({"command": command, "args": args or {}})
            result = await sessions.execute(station_id, cmd, timeout)
        except c.UnknownCommand as exc:
            raise Problem(404, "Unknown command", str(exc)) from exc
        except c.InvalidCommand as exc:
            raise Problem(422, "Invalid command", str(exc)) from exc
        except c.StationOffline as exc:
            raise Problem(409, "Station offline", str(exc)) from exc
        except c.CommandTimeout as exc:
            raise Problem(504, "Station did not answer", str(exc)) from exc
        except c.CommandRejected as exc:
            raise Problem(502, "Station refused the call", str(exc)) from exc
        return {"action": result.action, "status": result.status, "response": result.response}

    @app.get("/api/v1/stations", tags=["stations"])
    async def list_stations() -> list[dict[str, Any]]:
        stations = await domain.stations.list()
        return [_station_view(s, s.id in sessions.sessions) for s in stations]

    @app.get("/api/v1/transactions", tags=["transactions"])
    async def list_transactions(
        station_id: str | None = None, active: bool | None = None, limit: int = 100
    ) -> list[dict[str, Any]]:
        txs = await domain.transactions.list(
            station_id=station_id, active=active, limit=min(max(limit, 1), 1000)
        )
        return [_tx_view(t) for t in txs]

    return app


def _station_view(station: Any, online: bool) -> dict[str, Any]:
    return {
        "id": station.id,
        "registration_status": str(station.registration_status),
        "vendor": station.vendor,
        "model": station.model,
        "firmware_version": station.firmware_version,
        "ocpp_version": station.ocpp_version,
        "connected": online,
        "last_seen": station.last_seen.isoformat() if station.last_seen else None,
    }


def _tx_view(tx: Any) -> dict[str, Any]:
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
        "energy_wh": (tx.meter_stop_wh - tx.meter_start_wh)
        if tx.meter_stop_wh is not None and tx.meter_start_wh is not None
        else None,
        "stop_reason": tx.stop_reason,
        "status": tx.status,
    }
