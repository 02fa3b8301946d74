"""What routers need from the app: the domain, the session manager, the bus, the caller.

Routers declare parameters with these types (``domain: DomainDep``) and guard what they change
with :func:`require_role`::

    router = APIRouter(prefix="/api/v1/sites", tags=["smart charging"])

    @router.post("", dependencies=[Depends(require_role("operator"))])
    async def create_site(domain: DomainDep, ...): ...

Every ``/api/v1`` route is authenticated by :class:`~opencsms.api.auth.AuthMiddleware` whatever
its router declares (reads need ``viewer``, any other method ``operator``); ``require_role``
states a route's need in the OpenAPI document and makes it stricter (``admin``) where needed.
Objects other features add live on ``app.state`` (``request.app.state.<name>``).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Annotated

from fastapi import Depends, Request
from fastapi.security import APIKeyCookie, APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer

from opencsms.api.problems import Problem
from opencsms.audit import AuditLog
from opencsms.auth import ApiKeyService, LoginSessionService, Principal, Role, SessionSigner, UserService
from opencsms.bus import EventBus
from opencsms.domain.services import Domain
from opencsms.sessions import SessionManager

if TYPE_CHECKING:
    from opencsms.api.state import ApiState

SESSION_COOKIE = "opencsms_session"

# Declared for the OpenAPI document ("Authorize" in /docs); AuthMiddleware does the checking.
_bearer = HTTPBearer(auto_error=False, description="an API key: `Authorization: Bearer <key>`")
_api_key_header = APIKeyHeader(name="X-API-Key", auto_error=False, description="an API key")
_session_cookie = APIKeyCookie(
    name=SESSION_COOKIE, auto_error=False, description="set by POST /api/v1/session (browsers)"
)


def api_state(request: Request) -> ApiState:
    state: ApiState = request.app.state.opencsms
    return state


def get_domain(request: Request) -> Domain:
    return api_state(request).domain


def get_sessions(request: Request) -> SessionManager:
    return api_state(request).sessions


def get_bus(request: Request) -> EventBus:
    return api_state(request).bus


def get_api_keys(request: Request) -> ApiKeyService:
    return api_state(request).api_keys


def get_signer(request: Request) -> SessionSigner:
    return api_state(request).signer


def get_users(request: Request) -> UserService:
    return api_state(request).users


def get_login_sessions(request: Request) -> LoginSessionService:
    return api_state(request).login_sessions


def get_audit(request: Request) -> AuditLog:
    return api_state(request).audit


async def authenticate(request: Request) -> Principal | None:
    """The caller, from the API key headers or the session cookie; None when there is none valid."""
    principal = request.scope.get("state", {}).get("principal")
    if isinstance(principal, Principal):
        return principal
    from opencsms.api.auth import principal_from_headers

    return await principal_from_headers(api_state(request), request.headers, request.cookies)


async def current_principal(
    request: Request,
    _bearer_key: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    _header_key: Annotated[str | None, Depends(_api_key_header)],
    _cookie: Annotated[str | None, Depends(_session_cookie)],
) -> Principal:
    """The authenticated caller. Raises a 401 problem when there is none."""
    principal = await authenticate(request)
    if principal is None:
        raise Problem(401, "Unauthorized", "send an API key (Authorization: Bearer <key> or X-API-Key)")
    return principal


def require_role(role: Role | str) -> Callable[..., Awaitable[Principal]]:
    """A dependency admitting callers whose role is at least ``role`` (viewer < operator < admin).

    Raises a 401 problem without credentials, 403 when the role is too low.
    """
    required = Role(role)

    async def dependency(principal: Annotated[Principal, Depends(current_principal)]) -> Principal:
        if not principal.role.allows(required):
            raise Problem(
                403,
                "Forbidden",
                f"this needs the {required.value} role; {principal.name} is a {principal.role.value}",
            )
        return principal

    dependency.__name__ = f"require_{required.value}"
    return dependency


DomainDep = Annotated[Domain, Depends(get_domain)]
SessionsDep = Annotated[SessionManager, Depends(get_sessions)]
BusDep = Annotated[EventBus, Depends(get_bus)]
PrincipalDep = Annotated[Principal, Depends(current_principal)]
UsersDep = Annotated[UserService, Depends(get_users)]
LoginSessionsDep = Annotated[LoginSessionService, Depends(get_login_sessions)]
AuditDep = Annotated[AuditLog, Depends(get_audit)]
Viewer = Depends(require_role(Role.VIEWER))
Operator = Depends(require_role(Role.OPERATOR))
Admin = Depends(require_role(Role.ADMIN))
