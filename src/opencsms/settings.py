"""Every setting of opencsms in one place, read from OPENCSMS_* environment variables."""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class Settings:
    #: OCPP WebSocket listener.
    ocpp_host: str = "0.0.0.0"
    ocpp_port: int = 9000
    #: HTTP: API, command endpoint, health, dashboard.
    http_host: str = "127.0.0.1"
    http_port: int = 8000
    #: SQLAlchemy URL; SQLite by default, ``postgresql+asyncpg://...`` for PostgreSQL.
    database_url: str = "sqlite+aiosqlite:///var/opencsms.db"
    #: What happens to a station nobody registered: accept, pending or reject.
    registration_policy: str = "accept"
    heartbeat_interval: int = 300
    #: How long a command waits for the station's answer, in seconds.
    call_timeout: float = 30.0
    max_frame_bytes: int = 256 * 1024
    #: WebSocket ping interval and timeout (detects half-open sockets), seconds; 0 disables.
    ping_interval: float = 30.0
    ping_timeout: float = 30.0
    log_level: str = "INFO"
    #: Signs browser session cookies; random per start when empty (sessions end on restart).
    session_secret: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None, **overrides: Any) -> Settings:
        """Defaults, then OPENCSMS_<FIELD> variables, then ``overrides`` (None values ignored).

        Raises:
            ValueError: a variable does not convert to its field's type.
        """
        env = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for f in dataclasses.fields(cls):
            if f.name == "extra":
                continue
            raw = env.get(f"OPENCSMS_{f.name.upper()}")
            if raw is not None:
                kind: type = type(f.default)  # every field but extra has a plain default
                try:
                    values[f.name] = kind(raw)
                except ValueError as exc:
                    raise ValueError(f"OPENCSMS_{f.name.upper()}={raw!r}: {exc}") from None
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)
