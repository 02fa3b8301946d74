"""OpenID Connect login for the dashboard: ``/auth/oidc/login`` sends the browser to the provider,
``/auth/oidc/callback`` takes it back, checks who it is and starts a login session.

Between the two the browser holds the flow (state, nonce, PKCE verifier) in a signed cookie, so
the callback may reach any node of a cluster (given the same ``OPENCSMS_SESSION_SECRET``). Every
callback is recorded in the audit log as ``login oidc``.
"""

from __future__ import annotations

import logging
import time
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse

from opencsms.api.client_address import client_address
from opencsms.api.deps import api_state
from opencsms.api.problems import Problem
from opencsms.api.session import set_session_cookie
from opencsms.audit import AuditRecord
from opencsms.auth.oidc import FLOW_SECONDS, Flow, OidcError, OidcRoleRefused

log = logging.getLogger(__name__)

router = APIRouter(prefix="/auth/oidc", include_in_schema=False)
FLOW_COOKIE = "opencsms_oidc"
_FLOW_PATH = "/auth/oidc"


def safe_next(path: str | None) -> str:
    """A path of this site to go to after the login; never an open redirect."""
    if not path or not path.startswith("/") or path.startswith("//") or "\\" in path:
        return "/"
    return path


def _to_login(message: str) -> RedirectResponse:
    response = RedirectResponse("/login?" + urlencode({"error": message}), status_code=302)
    response.delete_cookie(FLOW_COOKIE, path=_FLOW_PATH)
    return response


@router.get("/login", name="oidc_login")
async def oidc_login(request: Request, next: str | None = None) -> RedirectResponse:
    """Start a login at the identity provider (authorization code flow with PKCE)."""
    state = api_state(request)
    if state.oidc is None:
        raise Problem(404, "Not found", "OpenID Connect login is not configured (OPENCSMS_OIDC_ISSUER)")
    redirect_uri = state.oidc_redirect_url or str(request.url_for("oidc_callback"))
    try:
        url, flow = await state.oidc.begin(redirect_uri, safe_next(next))
    except OidcError as exc:
        log.warning("OpenID Connect login cannot start: %s", exc)
        return _to_login(str(exc))
    response = RedirectResponse(url, status_code=302)
    response.set_cookie(
        FLOW_COOKIE,
        state.signer.seal(flow.as_dict(), int(time.time()) + FLOW_SECONDS),
        max_age=FLOW_SECONDS,
        httponly=True,
        # Lax: the provider sends the browser back with a top-level GET from its own site.
        samesite="lax",
        secure=request.url.scheme == "https",
        path=_FLOW_PATH,
    )
    return response


@router.get("/callback", name="oidc_callback")
async def oidc_callback(
    request: Request,
    code: str | None = None,
    state: str | None = None,
    error: str | None = None,
) -> RedirectResponse:
    """Finish the login: check the provider's answer, find or make the user, start a session."""
    api = api_state(request)
    if api.oidc is None:
        raise Problem(404, "Not found", "OpenID Connect login is not configured (OPENCSMS_OIDC_ISSUER)")
    address = client_address(request.scope)

    async def record(
        status: int, user_name: str | None = None, user_id: int | None = None, why: str = ""
    ) -> None:
        await api.audit.record(
            AuditRecord(
                action="login oidc",
                status=status,
                auth="session" if status < 400 else "none",
                user_id=user_id,
                user_name=user_name,
                method="GET",
                path=request.url.path,
                details={"issuer": api.oidc.config.issuer, **({"error": why} if why else {})}
                if api.oidc
                else None,
                client_address=address,
            )
        )

    sealed = request.cookies.get(FLOW_COOKIE)
    data = api.signer.unseal(sealed, time.time()) if sealed else None
    if data is None:
        await record(401, why="no login in progress")
        return _to_login("The login took too long or was not started here; try again.")
    if error or not code or not state:
        await record(401, why=f"provider: {error or 'no code'}")
        return _to_login(f"The identity provider did not log you in ({error or 'no code'}).")
    try:
        identity = await api.oidc.finish(Flow(**data), state, code)
    except OidcRoleRefused as exc:
        await record(403, why=str(exc))
        return _to_login(str(exc))
    except OidcError as exc:
        log.warning("OpenID Connect login refused: %s", exc)
        await record(401, why=str(exc))
        return _to_login(str(exc))
    user = await api.users.oidc_user(identity.issuer, identity.subject, identity.name, identity.role)
    if not user.active:
        await record(403, user.name, user.id, why="the user is disabled")
        return _to_login(f"{user.name} is disabled here.")
    token, _ = await api.login_sessions.start("oidc", user_id=user.id, client_address=address)
    await api.users.logged_in(user.id)
    await record(200, user.name, user.id)
    response = RedirectResponse(safe_next(data.get("next_path")), status_code=302)
    set_session_cookie(request, response, token)
    response.delete_cookie(FLOW_COOKIE, path=_FLOW_PATH)
    return response
