"""The address of the client that sent a request, as the API sees it.

Every place that records or limits by client address asks :func:`client_address`, so a change to
how it is found (a trusted proxy's forwarded address) applies to all of them at once.
"""

from __future__ import annotations

from starlette.types import Scope


def client_address(scope: Scope) -> str | None:
    """The peer's IP address of this HTTP request; None when the server does not know it."""
    client = scope.get("client")
    return str(client[0]) if client else None
