"""The dashboard's HTML pages: server-rendered shells that load their page module.

Each page is a Jinja2 template extending ``base.html``; the data comes from ``/api/v1`` in the
browser (``static/js/pages/*.js``), live over the event stream, so pages never reload.
"""

from __future__ import annotations

from importlib.resources import files
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from opencsms import __version__

TEMPLATES = Jinja2Templates(directory=str(files("opencsms.dashboard") / "templates"))

router = APIRouter(include_in_schema=False, default_response_class=HTMLResponse)

#: (path, label) of the navigation, in order.
NAVIGATION = (
    ("/", "Overview"),
    ("/stations", "Stations"),
    ("/sessions", "Sessions"),
    ("/tokens", "Id tokens"),
    ("/revenue", "Revenue"),
)


def _render(request: Request, template: str, section: str, **context: Any) -> HTMLResponse:
    return TEMPLATES.TemplateResponse(
        request,
        template,
        {"section": section, "navigation": NAVIGATION, "asset_version": __version__, **context},
    )


@router.get("/")
async def overview_page(request: Request) -> HTMLResponse:
    return _render(request, "overview.html", "/")


@router.get("/stations")
async def stations_page(request: Request) -> HTMLResponse:
    return _render(request, "stations.html", "/stations")


@router.get("/stations/{station_id:path}")
async def station_page(request: Request, station_id: str) -> HTMLResponse:
    return _render(request, "station.html", "/stations", station_id=station_id)


@router.get("/sessions")
async def sessions_page(request: Request) -> HTMLResponse:
    return _render(request, "sessions.html", "/sessions")


@router.get("/sessions/{transaction_id}")
async def session_page(request: Request, transaction_id: int) -> HTMLResponse:
    return _render(request, "session.html", "/sessions", transaction_id=transaction_id)


@router.get("/tokens")
async def tokens_page(request: Request) -> HTMLResponse:
    return _render(request, "tokens.html", "/tokens")


@router.get("/revenue")
async def revenue_page(request: Request) -> HTMLResponse:
    return _render(request, "revenue.html", "/revenue")


@router.get("/audit")
async def audit_page(request: Request) -> HTMLResponse:
    return _render(request, "audit.html", "/audit")


@router.get("/login")
async def login_page(request: Request) -> HTMLResponse:
    oidc = request.app.state.opencsms.oidc is not None
    return _render(request, "login.html", "/login", oidc=oidc)
