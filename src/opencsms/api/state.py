"""The objects the API works with, kept on ``app.state.opencsms``."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from opencsms.audit import AuditLog
from opencsms.auth import ApiKeyService, LoginSessionService, SessionSigner, UserService
from opencsms.bus import EventBus
from opencsms.domain.services import Domain
from opencsms.sessions import SessionManager

if TYPE_CHECKING:
    from opencsms.auth.oidc import OidcLogin
    from opencsms.command_queue import CommandQueue
    from opencsms.message_log import MessageLog
    from opencsms.webhooks import WebhookService


@dataclass
class ApiState:
    domain: Domain
    sessions: SessionManager
    bus: EventBus
    api_keys: ApiKeyService
    #: Signs the short-lived cookie of an OpenID Connect login in progress.
    signer: SessionSigner
    users: UserService
    login_sessions: LoginSessionService
    audit: AuditLog
    #: OpenID Connect login for the dashboard; None when not configured.
    oidc: OidcLogin | None = None
    #: The callback URL registered at the provider; "" = this server's own /auth/oidc/callback.
    oidc_redirect_url: str = ""
    command_queue: CommandQueue | None = None
    message_log: MessageLog | None = None
    webhooks: WebhookService | None = None
    #: Feature services other modules attach (webhooks, command queue, message log, ...).
    extras: dict[str, Any] = field(default_factory=dict)
