"""Signed session tokens for the browser cookie: ``<key id>.<expiry>.<HMAC-SHA256>``.

A browser cannot hold an API key safely in script reach, so the dashboard trades a key for an
HttpOnly cookie holding this token. The token names the key, so revoking the key ends the session.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets


class SessionSigner:
    """Issues and checks session tokens with one secret (random per process when none is given)."""

    def __init__(self, secret: str | bytes | None = None) -> None:
        if not secret:
            secret = secrets.token_bytes(32)
        self._secret = secret.encode() if isinstance(secret, str) else secret

    def _mac(self, body: str) -> str:
        return hmac.new(self._secret, body.encode(), hashlib.sha256).hexdigest()

    def issue(self, key_id: int, expires_at: int) -> str:
        """A token for ``key_id`` valid until ``expires_at`` (Unix seconds)."""
        body = f"{key_id}.{expires_at}"
        return f"{body}.{self._mac(body)}"

    def verify(self, token: str, now: float) -> int | None:
        """The key id of a genuine, unexpired token; None otherwise."""
        parts = token.split(".")
        if len(parts) != 3 or not parts[0].isdigit() or not parts[1].isdigit():
            return None
        body = f"{parts[0]}.{parts[1]}"
        if not hmac.compare_digest(self._mac(body), parts[2]):
            return None
        if int(parts[1]) <= now:
            return None
        return int(parts[0])
