"""Operator authentication: users with roles, their API keys and login sessions."""

from __future__ import annotations

from opencsms.auth.api_keys import ApiKey, ApiKeyService, CreatedKey, Principal
from opencsms.auth.login_sessions import LoginSession, LoginSessionService
from opencsms.auth.roles import Role
from opencsms.auth.session_tokens import SessionSigner
from opencsms.auth.users import User, UserService, WeakUserPassword

__all__ = [
    "ApiKey",
    "ApiKeyService",
    "CreatedKey",
    "LoginSession",
    "LoginSessionService",
    "Principal",
    "Role",
    "SessionSigner",
    "User",
    "UserService",
    "WeakUserPassword",
]
