"""Security headers on every HTTP answer: the dashboard must not be framed (clickjacking), run
scripts or load anything but its own files (CSP), or have its answers sniffed into another type.

A plain ASGI middleware, so streamed answers (the event stream, CSV exports) pass untouched.
The interactive API docs (/docs, /redoc) load FastAPI's Swagger UI and ReDoc with inline script
from their CDN; they get every header but the content policy.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
_ALWAYS = [
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"same-origin"),
]
_CSP = (b"content-security-policy", CONTENT_SECURITY_POLICY.encode())
_DOCS = ("/docs", "/redoc")


class SecurityHeadersMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope.get("path", "")
        added = _ALWAYS if path.startswith(_DOCS) else [*_ALWAYS, _CSP]

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {name.lower() for name, _ in message.get("headers", [])}
                message["headers"] = [
                    *message.get("headers", []),
                    *(header for header in added if header[0] not in present),
                ]
            await send(message)

        await self.app(scope, receive, send_with_headers)
