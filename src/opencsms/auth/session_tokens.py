"""Signed tokens: ``<key id>.<expiry>.<HMAC-SHA256>``, and sealed JSON for short-lived cookies.

Login sessions live in the database (:mod:`opencsms.auth.login_sessions`); what is signed here
is what the browser carries through an OpenID Connect login (:meth:`SessionSigner.seal`), which
must come back unaltered to whichever node gets the callback.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from typing import Any


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

    def seal(self, data: dict[str, Any], expires_at: int) -> str:
        """``data`` (JSON) as a signed token valid until ``expires_at`` (Unix seconds); readable by
        its holder, so nothing secret from them goes in."""
        body = base64.urlsafe_b64encode(json.dumps({"d": data, "e": expires_at}).encode()).decode()
        return f"{body}.{self._mac(body)}"

    def unseal(self, token: str, now: float) -> dict[str, Any] | None:
        """The data of a genuine, unexpired :meth:`seal` token; None otherwise."""
        body, _, mac = token.rpartition(".")
        if not body or not hmac.compare_digest(self._mac(body), mac):
            return None
        try:
            sealed = json.loads(base64.urlsafe_b64decode(body))
        except ValueError:
            return None
        if not isinstance(sealed, dict) or not isinstance(sealed.get("e"), int) or sealed["e"] <= now:
            return None
        data = sealed.get("d")
        return data if isinstance(data, dict) else None
