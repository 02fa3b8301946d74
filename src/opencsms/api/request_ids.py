"""Every HTTP request gets an id: the client's ``X-Request-ID`` when it sends a sane one, else a
new one. It is answered back in the same header and carried by every log line written while the
request is handled (:mod:`opencsms.logs`), so an operator can find a request's lines."""

from __future__ import annotations

import re
import secrets

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from opencsms.logs import request_id_var

HEADER = b"x-request-id"
#: Taken from the client only when short and plain, so a log line cannot be forged through it.
_SANE = re.compile(rb"[A-Za-z0-9._:-]{1,64}")


class RequestIdMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = next((value for name, value in scope.get("headers", []) if name == HEADER), b"")
        request_id = given.decode() if _SANE.fullmatch(given) else secrets.token_hex(8)
        token = request_id_var.set(request_id)

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), (HEADER, request_id.encode())]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            request_id_var.reset(token)
