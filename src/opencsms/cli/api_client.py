"""How the CLI calls a running server's HTTP API: the standard library's urllib, one request per call.

A CLI call makes one or two requests and exits, so a pooled async client buys nothing here and
importing one (httpx) costs more CPU than the whole of a simple command may take.
"""

from __future__ import annotations

import json
import os
from typing import Any


class Unreachable(Exception):
    """No HTTP answer came from the server (refused, unknown host, timed out)."""


class Response:
    """A status and a body (a plain class: dataclasses would load ``inspect`` for the parser)."""

    __slots__ = ("content", "status")

    def __init__(self, status: int, content: bytes) -> None:
        self.status = status
        self.content = content

    @property
    def is_success(self) -> bool:
        return 200 <= self.status < 300

    def json(self) -> Any:
        return json.loads(self.content)


def server_url(given: str | None) -> str:
    """``--server``, else the local server on ``OPENCSMS_HTTP_PORT`` (8000)."""
    if given:
        return given.rstrip("/")
    port = os.environ.get("OPENCSMS_HTTP_PORT", "8000")
    return f"http://127.0.0.1:{port}"


def request(
    method: str,
    url: str,
    *,
    body: Any = None,
    content: bytes | None = None,
    params: dict[str, Any] | None = None,
    api_key: str | None = None,
    timeout: float = 60.0,
) -> Response:
    """Send one request with ``body`` as JSON (or ``content``, JSON text already); an error
    status is a :class:`Response` too.

    Raises:
        Unreachable: the server did not answer.
    """
    # Imported here, not at the top: `--help` and the parser need none of it.
    import urllib.error
    import urllib.parse
    import urllib.request

    query = {name: value for name, value in (params or {}).items() if value is not None}
    if query:
        url = f"{url}?{urllib.parse.urlencode(query, doseq=True)}"
    headers = {"Accept": "application/json"}
    data = None
    if body is not None or content is not None:
        data = content if content is not None else json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    if api_key:
        headers["Authorization"] = f"Bearer {api_key}"
    prepared = urllib.request.Request(url, data=data, headers=headers, method=method)
    try:
        with urllib.request.urlopen(prepared, timeout=timeout) as answer:
            return Response(answer.status, answer.read())
    except urllib.error.HTTPError as error:
        with error:
            return Response(error.code, error.read())
    except (urllib.error.URLError, OSError) as exc:  # TimeoutError and refused connections included
        raise Unreachable(str(getattr(exc, "reason", exc))) from None
