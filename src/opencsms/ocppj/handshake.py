"""What the OCPP-J handshake decides: the station id from the URL and the subprotocol."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from urllib.parse import unquote, urlsplit

from opencsms.ocppj.errors import V16, V21, V201

MAX_STATION_ID_LENGTH = 48

#: WebSocket subprotocol name -> OCPP version, newest first (the server's order of preference).
SUBPROTOCOLS: dict[str, str] = {"ocpp2.1": V21, "ocpp2.0.1": V201, "ocpp1.6": V16}
VERSION_SUBPROTOCOL: dict[str, str] = {v: k for k, v in SUBPROTOCOLS.items()}


class BadStationPath(ValueError):
    """The request path names no usable station id. ``status`` is the HTTP status to answer."""

    def __init__(self, reason: str, status: int) -> None:
        super().__init__(reason)
        self.status = status


def station_id_from_path(path: str) -> str:
    """The station id: the last segment of the path, percent-decoded; any prefix is accepted.

    Raises:
        BadStationPath: no id (404); longer than 48 characters, not UTF-8, with control
            characters, or with invisible or look-alike ones (see :func:`_confusable`) (400).
    """
    raw = urlsplit(path).path.rstrip("/")
    segment = raw.rsplit("/", 1)[-1] if "/" in raw else raw
    try:
        station_id = unquote(segment, errors="strict") if segment else ""
    except UnicodeDecodeError:
        raise BadStationPath("station id is not valid UTF-8", 400) from None
    if not station_id:
        raise BadStationPath("no station id in the path", 404)
    if len(station_id) > MAX_STATION_ID_LENGTH:
        raise BadStationPath(f"station id longer than {MAX_STATION_ID_LENGTH} characters", 400)
    if any(ord(ch) < 0x20 or ch in "/\x7f" for ch in station_id):
        raise BadStationPath("station id contains forbidden characters", 400)
    if not station_id.isascii() and _confusable(station_id):
        raise BadStationPath("station id contains invisible or look-alike characters", 400)
    return station_id


# Unicode categories never shown as themselves: format characters (bidi controls, zero-width
# joiners), controls, private use, surrogates, line and paragraph separators.
_INVISIBLE = frozenset({"Cf", "Cc", "Co", "Cs", "Cn", "Zl", "Zp"})


def _confusable(station_id: str) -> bool:
    """Whether an id would be confused with another by an operator: it has invisible characters,
    or characters that compatibility normalisation (NFKC) changes: full-width forms, ligatures,
    superscripts, non-breaking spaces. Ids in any script that are already in that form pass."""
    return unicodedata.normalize("NFKC", station_id) != station_id or any(
        unicodedata.category(ch) in _INVISIBLE for ch in station_id
    )


def select_subprotocol(offered: Iterable[str], implemented: Iterable[str] = SUBPROTOCOLS) -> str | None:
    """The newest OCPP subprotocol both sides speak, or None (the handshake is then refused).

    The server's preference decides, not the order of the client's offer.
    """
    offered_set = {p.strip().lower() for p in offered}
    implemented_set = set(implemented)
    for name in SUBPROTOCOLS:
        if name in offered_set and name in implemented_set:
            return name
    return None
