"""The operator web dashboard: pages at ``/`` on the HTTP port, live over the API's event stream.

:func:`install` adds it to the API app; the pages are server-rendered shells (``templates/``)
whose ES modules (``static/js/``) read ``/api/v1`` and subscribe to ``/api/v1/events``.
"""

from __future__ import annotations

from importlib.resources import files

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from opencsms.dashboard import data_routes, pages

STATIC_PATH = "/static"


def install(app: FastAPI) -> None:
    """Serve the dashboard from ``app``: the pages, their static files, the JSON they need."""
    app.include_router(data_routes.router)
    app.include_router(pages.router)
    app.mount(STATIC_PATH, StaticFiles(directory=str(files("opencsms.dashboard") / "static")), name="static")


__all__ = ["install"]
