"""Records every mutating HTTP call in the audit log: an ASGI middleware, so no route can forget.

A call is recorded once its answer's status is known and before the answer is sent, so a client
that got an answer knows the call is in the log. Calls nobody authenticated for are not recorded
(they changed nothing and name nobody), except logins, which are recorded whatever their result.
"""

from __future__ import annotations

import logging
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from opencsms.api.client_address import client_address
from opencsms.audit import AuditRecord
from opencsms.auth import Principal

log = logging.getLogger(__name__)

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
#: Scope state keys the routes set: the caller when the auth middleware did not see one (login,
#: logout), or the name someone tried to log in with.
PRINCIPAL = "principal"
ATTEMPTED_USER = "audit_attempted_user"
AUDIT_ACTION = "audit_action"


def _target(path_params: dict[str, Any]) -> str | None:
    if not path_params:
        return None
    if "station_id" in path_params:
        return str(path_params["station_id"])
    return str(next(iter(path_params.values())))


def audit_record(scope: Scope, status: int) -> AuditRecord | None:
    """What to record of this call, or None (nobody authenticated and nobody tried to log in)."""
    state: dict[str, Any] = scope.get("state", {})
    principal = state.get(PRINCIPAL)
    attempted = state.get(ATTEMPTED_USER)
    if not isinstance(principal, Principal) and attempted is None:
        return None
    method = str(scope["method"])
    route = scope.get("route")
    template = getattr(route, "path", None) or str(scope["path"])
    path_params = dict(scope.get("path_params") or {})
    query = scope.get("query_string", b"").decode("latin-1")
    details: dict[str, Any] = {}
    if path_params:
        details["path_params"] = {k: str(v) for k, v in path_params.items()}
    if query:
        details["query"] = query[:1024]
    who: dict[str, Any]
    if isinstance(principal, Principal):
        who = {
            "auth": principal.auth,
            "user_id": principal.user_id,
            "user_name": principal.name,
            "api_key_id": principal.key_id,
            "api_key_name": principal.key_name,
        }
    else:
        who = {"auth": "none", "user_name": str(attempted)}
    return AuditRecord(
        action=str(state.get(AUDIT_ACTION) or f"{method} {template}"),
        status=status,
        method=method,
        path=str(scope["path"]),
        target=_target(path_params),
        details=details or None,
        client_address=client_address(scope),
        **who,
    )


class AuditMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in SAFE_METHODS:
            await self.app(scope, receive, send)
            return
        audit = scope["app"].state.opencsms.audit
        recorded = False

        async def record(status: int) -> None:
            nonlocal recorded
            if recorded:
                return
            recorded = True
            entry = audit_record(scope, status)
            if entry is not None:
                await audit.record(entry)

        async def send_recorded(message: Message) -> None:
            if message["type"] == "http.response.start":
                await record(int(message["status"]))
            await send(message)

        try:
            await self.app(scope, receive, send_recorded)
        except Exception:
            await record(500)
            raise
