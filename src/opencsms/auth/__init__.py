"""Operator authentication: API keys with roles, and signed session tokens for browsers."""

from __future__ import annotations

from opencsms.auth.api_keys import ApiKey, ApiKeyService, CreatedKey, Principal
from opencsms.auth.roles import Role
from opencsms.auth.session_tokens import SessionSigner

__all__ = ["ApiKey", "ApiKeyService", "CreatedKey", "Principal", "Role", "SessionSigner"]
