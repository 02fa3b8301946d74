"""The HTTP app: routers per resource, problem+json errors, authentication on every /api/v1 route.

A feature adds its router with one line in :func:`create_app` (``app.include_router(...)``);
``opencsms.api.deps`` gives routers the domain, the sessions, the bus and the caller.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from fastapi import FastAPI

from opencsms import dashboard
from opencsms.api import (
    api_keys,
    audit,
    cdrs,
    commands,
    configuration,
    events,
    messages,
    metrics,
    operations,
    queued_commands,
    reservations,
    security,
    session,
    smart_charging,
    stations,
    tariffs,
    tokens,
    transactions,
    users,
    webhooks,
)
from opencsms.api import oidc as oidc_routes
from opencsms.api.audit_trail import AuditMiddleware
from opencsms.api.auth import AuthMiddleware
from opencsms.api.openapi_problems import document_problems
from opencsms.api.problems import install
from opencsms.api.request_ids import RequestIdMiddleware
from opencsms.api.security_headers import SecurityHeadersMiddleware
from opencsms.api.state import ApiState
from opencsms.audit import AuditLog
from opencsms.auth import ApiKeyService, LoginSessionService, SessionSigner, UserService
from opencsms.bus import EventBus, InProcessBus
from opencsms.domain.services import Domain
from opencsms.sessions import SessionManager

if TYPE_CHECKING:
    from opencsms.auth.oidc import OidcLogin
    from opencsms.command_queue import CommandQueue
    from opencsms.message_log import MessageLog
    from opencsms.webhooks import WebhookService

DESCRIPTION = """
Every call but `/health`, `/ready` and `/metrics` needs an API key, sent as
`Authorization: Bearer <key>` or `X-API-Key: <key>` (browsers: `POST /api/v1/session` with a
user name and password, then the `opencsms_session` cookie). Keys belong to users; roles:
`viewer` reads, `operator` also sends commands and changes data, `admin` also manages users,
keys and sessions and reads the audit log. Every change is recorded in the audit log.

Lists page with `limit`/`offset`, sort with `sort=field` or `sort=-field`, filter with query
parameters named after fields; they answer `{items, total, limit, offset}`. Errors are RFC 9457
`application/problem+json`. A request body with a field the API does not know is a 422 naming it.
"""


def create_app(
    domain: Domain,
    sessions: SessionManager,
    *,
    bus: EventBus | None = None,
    api_keys_service: ApiKeyService | None = None,
    session_secret: str | None = None,
    command_queue: CommandQueue | None = None,
    message_log: MessageLog | None = None,
    webhooks_service: WebhookService | None = None,
    users_service: UserService | None = None,
    login_sessions: LoginSessionService | None = None,
    audit_log: AuditLog | None = None,
    oidc: OidcLogin | None = None,
    oidc_redirect_url: str = "",
) -> FastAPI:
    app = FastAPI(
        title="opencsms",
        version="0.1.0",
        summary="Charging Station Management System: OCPP 1.6J, 2.0.1, 2.1",
        description=DESCRIPTION,
    )
    app.state.opencsms = ApiState(
        domain=domain,
        sessions=sessions,
        bus=bus or InProcessBus(),
        api_keys=api_keys_service or ApiKeyService(domain.store),
        signer=SessionSigner(session_secret),
        users=users_service or UserService(domain.store),
        login_sessions=login_sessions or LoginSessionService(domain.store),
        audit=audit_log or AuditLog(domain.store),
        oidc=oidc,
        oidc_redirect_url=oidc_redirect_url,
        command_queue=command_queue,
        message_log=message_log,
        webhooks=webhooks_service,
    )
    install(app)
    document_problems(app)
    app.add_middleware(AuthMiddleware)
    # Added last, so it runs first: it sees the answers the auth middleware refuses with too.
    app.add_middleware(AuditMiddleware)
    app.add_middleware(SecurityHeadersMiddleware)
    app.add_middleware(RequestIdMiddleware)  # outermost: every other layer's log lines carry the id
    app.include_router(operations.router)
    app.include_router(session.router)
    app.include_router(oidc_routes.router)
    app.include_router(api_keys.router)
    app.include_router(users.router)
    app.include_router(audit.router)
    app.include_router(stations.router)
    app.include_router(transactions.router)
    app.include_router(tokens.router)
    app.include_router(tokens.groups_router)
    app.include_router(commands.router)
    app.include_router(configuration.router)
    app.include_router(queued_commands.router)
    app.include_router(messages.router)
    app.include_router(metrics.router)
    app.include_router(events.router)
    app.include_router(webhooks.router)
    app.include_router(smart_charging.router)
    app.include_router(security.router)
    app.include_router(reservations.router)
    app.include_router(tariffs.router)
    app.include_router(cdrs.router)
    dashboard.install(app)
    return app
