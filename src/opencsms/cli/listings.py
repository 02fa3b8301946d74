"""`opencsms station list` and `opencsms tx list`: the fleet as a running server sees it, over its API.

Reading through the server rather than the database keeps these commands quick (no database
driver to load) and shows live connection status; it works the same with PostgreSQL or a cluster.
"""

from __future__ import annotations

import argparse
import sys
from datetime import datetime
from typing import Any

from opencsms.cli import api_client
from opencsms.cli.api_keys import cli_api_key
from opencsms.cli.output import print_json, print_table

_PAGE = 1000  # the API's largest page


def add_server_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--server", default=None, help="opencsms HTTP URL (default http://127.0.0.1:8000)")
    parser.add_argument(
        "--api-key", default=None, help="API key (default: $OPENCSMS_API_KEY, else the file var/api-key)"
    )


def _items(args: argparse.Namespace, path: str, params: dict[str, Any], limit: int | None) -> list[Any] | int:
    """Every item of a paged list (at most ``limit``), or the exit code after printing why not."""
    base = api_client.server_url(args.server)
    items: list[Any] = []
    while limit is None or len(items) < limit:
        page = _PAGE if limit is None else min(_PAGE, limit - len(items))
        try:
            response = api_client.request(
                "GET",
                f"{base}/api/v1{path}",
                params={**params, "limit": page, "offset": len(items)},
                api_key=cli_api_key(args.api_key),
            )
        except api_client.Unreachable as exc:
            print(
                f"error: cannot reach opencsms at {base} ({exc}); is `opencsms serve` running?",
                file=sys.stderr,
            )
            return 2
        body: Any = response.json() if response.content else {"status": response.status}
        if not response.is_success:
            print_json(body)
            return 1
        found: list[Any] = body["items"]
        items.extend(found)
        if not found or len(items) >= body["total"]:
            break
    return items


def _time(value: str | None) -> str | None:
    """An API timestamp to the second, as the tables show it."""
    return datetime.fromisoformat(value).isoformat(timespec="seconds") if value else None


def station_list(args: argparse.Namespace) -> int:
    stations = _items(args, "/stations", {"sort": "id"}, None)
    if isinstance(stations, int):
        return stations
    rows = [
        {
            "id": s["id"],
            "status": s["registration_status"],
            "connected": s["connected"],
            "ocpp": s["ocpp_version"],
            "vendor": s["vendor"],
            "model": s["model"],
            "last_seen": _time(s["last_seen"]),
        }
        for s in stations
    ]
    print_table(rows, ["id", "status", "connected", "ocpp", "vendor", "model", "last_seen"])
    return 0


def tx_list(args: argparse.Namespace) -> int:
    params = {
        "station_id": args.station,
        "active": "true" if args.active else None,
        "inferred": "true" if args.inferred else None,
        "sort": "-id",
    }
    transactions = _items(args, "/transactions", params, args.limit)
    if isinstance(transactions, int):
        return transactions
    rows = [
        {
            "id": t["id"],
            "station": t["station_id"],
            "evse": t["evse_id"],
            "connector": t["connector_id"],
            "id_token": t["id_token"],
            "started": _time(t["started_at"]),
            "stopped": _time(t["stopped_at"]),
            "energy_wh": t["energy_wh"],
            # An end opencsms inferred (the station sent no stop) says so, for review.
            "reason": f"inferred: {t['inferred_cause']}"
            if t.get("ended_by") == "inferred"
            else t["stop_reason"],
            "status": t["status"],
        }
        for t in transactions
    ]
    columns = ["id", "station", "evse", "connector", "id_token", "started", "stopped", "energy_wh"]
    print_table(rows, [*columns, "reason", "status"])
    return 0
