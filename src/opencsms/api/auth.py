"""Authentication of every ``/api/v1`` request, whoever's router serves it.

An ASGI middleware rather than a router dependency, so a router added later cannot forget it:
reads (GET, HEAD, OPTIONS) need the ``viewer`` role, anything else ``operator``. Stricter
routes add :func:`opencsms.api.deps.require_role`.
"""

from __future__ import annotations

from collections.abc import Mapping

from starlette.datastructures import Headers
from starlette.requests import cookie_parser
from starlette.types import ASGIApp, Receive, Scope, Send

from opencsms.api.problems import problem_response
from opencsms.api.state import ApiState
from opencsms.auth import Principal, Role

API_PREFIX = "/api/v1"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
#: (method, path) pairs open to anyone: logging in and out.
PUBLIC = frozenset({("POST", "/api/v1/session"), ("DELETE", "/api/v1/session")})


async def principal_from_headers(
    state: ApiState, headers: Mapping[str, str], cookies: Mapping[str, str]
) -> Principal | None:
    """The caller named by ``Authorization: Bearer``, ``X-API-Key`` or the session cookie."""
    from opencsms.api.deps import SESSION_COOKIE

    authorization = headers.get("authorization", "")
    scheme, _, credentials = authorization.partition(" ")
    key = credentials.strip() if scheme.lower() == "bearer" else headers.get("x-api-key", "").strip()
    if key:
        return await state.api_keys.authenticate(key)
    token = cookies.get(SESSION_COOKIE)
    if token:
        return await state.login_sessions.principal(token)
    return None


def _cross_site(headers: Headers) -> bool:
    """A browser request from another origin (a cookie-carrying form post from a foreign page)."""
    origin = headers.get("origin")
    if not origin:
        return False
    host = headers.get("host", "")
    return origin.split("://", 1)[-1] != host


class AuthMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not str(scope["path"]).startswith(API_PREFIX):
            await self.app(scope, receive, send)
            return
        method = str(scope["method"])
        path = str(scope["path"]).rstrip("/") or "/"
        state: ApiState = scope["app"].state.opencsms
        headers = Headers(scope=scope)
        cookies = cookie_parser(headers.get("cookie", ""))
        if (method, path) in PUBLIC:
            # Open to anyone; a caller who names themselves is still named in the audit log.
            if headers.get("authorization") or headers.get("x-api-key"):
                scope.setdefault("state", {})["principal"] = await principal_from_headers(state, headers, {})
            await self.app(scope, receive, send)
            return
        principal = await principal_from_headers(state, headers, cookies)
        # Set before any refusal, so the audit log names who was refused.
        scope.setdefault("state", {})["principal"] = principal
        problem = None
        if principal is None:
            problem = problem_response(
                401,
                "Unauthorized",
                "send a valid API key (Authorization: Bearer <key> or X-API-Key: <key>)",
                path,
            )
            problem.headers["WWW-Authenticate"] = 'Bearer realm="opencsms"'
        elif method not in SAFE_METHODS:
            uses_cookie = not (headers.get("authorization") or headers.get("x-api-key"))
            if not principal.role.allows(Role.OPERATOR):
                problem = problem_response(
                    403,
                    "Forbidden",
                    f"{principal.name} is a {principal.role.value}; changes need operator",
                    path,
                )
            elif uses_cookie and _cross_site(headers):
                problem = problem_response(403, "Forbidden", "cross-site request refused", path)
        if problem is not None:
            await problem(scope, receive, send)
            return
        await self.app(scope, receive, send)
