"""What a simulated station uses unless told otherwise (no imports: the CLI's parser reads them)."""

from __future__ import annotations

DEFAULT_URL = "ws://127.0.0.1:9000/ocpp"
#: The id tags a simulated driver presents unless told otherwise. A CSMS that checks tags must
#: know them (add them as Accepted tokens) or the simulated sessions are refused.
DEFAULT_ID_TAGS: tuple[str, ...] = ("SIM-TAG-0001", "SIM-TAG-0002", "SIM-TAG-0003")
