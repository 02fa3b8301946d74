"""Process logging: plain text or JSON lines (``OPENCSMS_LOG_FORMAT``), and a rate limit on
faults that repeat per message.

The station, the OCPP message id and the HTTP request id are context variables, set where a
connection, a received CALL or a request is handled; every log line written meanwhile carries
them (and the node's id), whichever module writes it.

A warning or error that repeats (the same logger and message template) is written once per
``interval`` seconds; the next one written says how many were held back (``suppressed``), so a
station sending a broken frame a second cannot fill the disk.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import IO, Any

station_id_var: ContextVar[str | None] = ContextVar("station_id", default=None)
message_id_var: ContextVar[str | None] = ContextVar("message_id", default=None)
request_id_var: ContextVar[str | None] = ContextVar("request_id", default=None)

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
#: Repeat-keys remembered at most; kinds of fault are few, but never let them grow unchecked.
MAX_KEYS = 10_000


class JsonFormatter(logging.Formatter):
    """One JSON object a line: time, level, logger, message, and station_id, message_id,
    request_id, node where known (``suppressed`` when repeats were held back; ``exception``)."""

    def __init__(self, node: str = "") -> None:
        super().__init__()
        self.node = node

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for field, variable in (
            ("station_id", station_id_var),
            ("message_id", message_id_var),
            ("request_id", request_id_var),
        ):
            value = getattr(record, field, None) or variable.get()
            if value is not None:
                line[field] = value
        if self.node:
            line["node"] = self.node
        suppressed = getattr(record, "suppressed", 0)
        if suppressed:
            line["suppressed"] = suppressed
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False, default=str)


class RepeatLimit(logging.Filter):
    """Lets one WARNING-or-worse record per (logger, template) through per ``interval`` seconds;
    the first let through after a quiet spell carries the count held back (``suppressed``, also
    appended to the text message)."""

    def __init__(self, interval: float = 10.0, clock: Callable[[], float] = time.monotonic) -> None:
        super().__init__()
        self.interval = interval
        self._clock = clock
        self._seen: dict[tuple[str, str], list[float]] = {}

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno < logging.WARNING or self.interval <= 0:
            return True
        key = (record.name, str(record.msg))
        now = self._clock()
        entry = self._seen.get(key)
        if entry is not None and now - entry[0] < self.interval:
            entry[1] += 1
            return False
        held = int(entry[1]) if entry is not None else 0
        if len(self._seen) >= MAX_KEYS:
            self._seen.clear()
        self._seen[key] = [now, 0]
        if held:
            record.suppressed = held
            record.msg = f"{record.msg} ({held} more like it in the last {self.interval:g} s, not logged)"
        return True


def configure(
    level: str,
    log_format: str,
    *,
    node: str = "",
    repeat_interval: float = 10.0,
    stream: IO[str] | None = None,
    clock: Callable[[], float] = time.monotonic,
) -> logging.Handler:
    """Set up the root logger for a serving process (writing to ``stream``, standard error by
    default); returns the handler.

    Raises:
        ValueError: ``log_format`` is neither ``text`` nor ``json``.
    """
    if log_format not in ("text", "json"):
        raise ValueError(f"OPENCSMS_LOG_FORMAT={log_format!r}: text or json")
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter(node) if log_format == "json" else logging.Formatter(TEXT_FORMAT))
    handler.addFilter(RepeatLimit(repeat_interval, clock))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    return handler
