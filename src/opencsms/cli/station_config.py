"""`opencsms station config CP001`: a station's configuration, 1.6 keys or 2.0.1 variables alike."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from opencsms.cli.output import print_json, print_table

if TYPE_CHECKING:
    from opencsms.domain.services import Domain

COLUMNS = ["key", "value", "mutability", "unit", "status", "source", "updated_at"]


async def station_config(domain: Domain, args: argparse.Namespace) -> int:
    """Print what the store knows of the station's configuration (as a table, or JSON with --json)."""
    from opencsms.domain.device_model import configuration_entry

    if await domain.stations.get(args.station_id) is None:
        print(f"error: unknown station {args.station_id}")
        return 1
    entries = [configuration_entry(a) for a in await domain.device_model.configuration(args.station_id)]
    if args.json:
        print_json(entries)
    else:
        print_table(entries, COLUMNS)
    return 0
