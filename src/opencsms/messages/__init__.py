"""OCPP message schemas and catalogue, per protocol version.

- ``get_validator(version)`` gives the process-wide ``Validator`` that checks CALL and
  CALLRESULT payloads against the OCA JSON schemas and raises the matching ``OcppError``.
- ``action_catalog(version)`` tells, for every action, its feature profile or functional block and
  who sends it; ``is_station_initiated`` answers the question the router asks most.
"""

from __future__ import annotations

from opencsms.messages.catalog import (
    BOTH,
    CSMS_TO_STATION,
    STATION_TO_CSMS,
    CatalogEntry,
    Direction,
    action_catalog,
    catalog_entry,
    is_csms_initiated,
    is_station_initiated,
)
from opencsms.messages.schemas import SUPPORTED_VERSIONS, Validator, get_validator

__all__ = [
    "BOTH",
    "CSMS_TO_STATION",
    "STATION_TO_CSMS",
    "SUPPORTED_VERSIONS",
    "CatalogEntry",
    "Direction",
    "Validator",
    "action_catalog",
    "catalog_entry",
    "get_validator",
    "is_csms_initiated",
    "is_station_initiated",
]
