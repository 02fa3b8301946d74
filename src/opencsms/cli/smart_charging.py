"""`opencsms site ...` and `opencsms profile ...`: smart charging through a running server's API."""

from __future__ import annotations

import argparse
import csv
import json
from pathlib import Path
from typing import Any

from opencsms.cli import api_client
from opencsms.cli.api_keys import cli_api_key
from opencsms.cli.output import print_json
from opencsms.cli.remote import server_url


def _call(args: argparse.Namespace, method: str, path: str, body: Any = None, params: Any = None) -> int:
    try:
        response = api_client.request(
            method,
            f"{server_url(args)}/api/v1{path}",
            body=body,
            params=params,
            api_key=cli_api_key(args.api_key),
        )
    except api_client.Unreachable as exc:
        print(f"error: cannot reach opencsms at {server_url(args)}: {exc}")
        return 2
    print_json(response.json() if response.content else {"status": response.status})
    return 0 if response.is_success else 1


def read_prices(path: Path) -> list[dict[str, Any]]:
    """Price slots from a JSON list or a CSV with columns start, seconds (optional, 3600), price.

    Raises:
        ValueError: the file has neither form.
    """
    text = path.read_text()
    if text.lstrip().startswith("["):
        slots = json.loads(text)
        if not isinstance(slots, list):
            raise ValueError(f"{path}: expected a JSON list of slots")
        return slots
    rows = list(csv.DictReader(text.splitlines()))
    if not rows or "start" not in rows[0] or "price" not in rows[0]:
        raise ValueError(f"{path}: a CSV needs the columns start and price (seconds optional)")
    return [
        {"start": r["start"], "seconds": int(r.get("seconds") or 3600), "price": float(r["price"])}
        for r in rows
    ]


def _site(args: argparse.Namespace) -> int:
    action = args.site_action
    if action == "list":
        return _call(args, "GET", "/sites", params={"limit": 1000})
    if action == "show":
        return _call(args, "GET", f"/sites/{args.site_id}")
    if action == "power":
        return _call(args, "GET", f"/sites/{args.site_id}/power")
    if action == "set":
        body = {"name": args.name, "limit_amps": args.limit_amps, "limit_kw": args.limit_kw,
                "fail_safe_current_a": args.fail_safe_current, "min_current_a": args.min_current}  # fmt: skip
        return _call(args, "PUT", f"/sites/{args.site_id}", body)
    if action == "circuit":
        body = {"parent_id": args.parent, "limit_amps": args.limit_amps, "limit_kw": args.limit_kw}
        return _call(args, "PUT", f"/sites/{args.site_id}/circuits/{args.circuit_id}", body)
    if action == "assign":
        body = {"circuit_id": args.circuit, "max_current_a": args.max_current, "phases": args.phases,
                "priority": args.priority}  # fmt: skip
        return _call(args, "PUT", f"/sites/{args.site_id}/stations/{args.station_id}", body)
    if action == "prices":
        try:
            slots = read_prices(Path(args.file))
        except (OSError, ValueError) as exc:
            print(f"error: {exc}")
            return 2
        return _call(args, "PUT", f"/sites/{args.site_id}/prices", {"slots": slots})
    return 2


def _profile(args: argparse.Namespace) -> int:
    action = args.profile_action
    if action == "list":
        return _call(args, "GET", f"/stations/{args.station_id}/charging-profiles", params={"limit": 1000})
    if action == "set":
        try:
            profile = json.loads(Path(args.file).read_text())
        except (OSError, ValueError) as exc:
            print(f"error: {exc}")
            return 2
        body = {"evse_id": args.evse, "profile": profile}
        return _call(args, "POST", f"/stations/{args.station_id}/charging-profiles", body)
    if action == "clear":
        return _call(args, "DELETE", f"/stations/{args.station_id}/charging-profiles/{args.profile_id}")
    if action == "composite":
        params = {"duration": args.duration, "unit": args.unit, "source": args.source}
        return _call(
            args, "GET", f"/stations/{args.station_id}/evses/{args.evse}/composite-schedule", params=params
        )
    return 2


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--server", default=None, help="opencsms HTTP URL (default http://127.0.0.1:8000)")
    parser.add_argument("--api-key", default=None, help="API key (default: $OPENCSMS_API_KEY or var/api-key)")


def add_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    site = sub.add_parser("site", help="sites (grid connections), circuits, stations on them, prices, power")
    _common(site)
    actions = site.add_subparsers(dest="site_action", required=True)
    actions.add_parser("list")
    for name in ("show", "power"):
        actions.add_parser(name).add_argument("site_id")
    set_site = actions.add_parser("set", help="create or change a site")
    set_site.add_argument("site_id")
    set_site.add_argument("--name")
    set_site.add_argument("--limit-amps", type=float, help="amps per phase")
    set_site.add_argument("--limit-kw", type=float)
    set_site.add_argument("--fail-safe-current", type=float, default=6.0)
    set_site.add_argument("--min-current", type=float, default=6.0)
    circuit = actions.add_parser("circuit", help="create or change a circuit of a site")
    circuit.add_argument("site_id")
    circuit.add_argument("circuit_id")
    circuit.add_argument("--parent")
    circuit.add_argument("--limit-amps", type=float)
    circuit.add_argument("--limit-kw", type=float)
    assign = actions.add_parser("assign", help="put a station on a site")
    assign.add_argument("site_id")
    assign.add_argument("station_id")
    assign.add_argument("--circuit")
    assign.add_argument("--max-current", type=float, default=32.0)
    assign.add_argument("--phases", type=int, default=3)
    assign.add_argument("--priority", type=int, default=0)
    prices = actions.add_parser("prices", help="set prices from a CSV (start,seconds,price) or JSON file")
    prices.add_argument("site_id")
    prices.add_argument("file")
    site.set_defaults(func=_site)

    profile = sub.add_parser("profile", help="charging profiles of a station, composite schedules")
    _common(profile)
    profile_actions = profile.add_subparsers(dest="profile_action", required=True)
    profile_actions.add_parser("list").add_argument("station_id")
    set_profile = profile_actions.add_parser(
        "set", help="send a profile (a 2.0.1 ChargingProfileType JSON file)"
    )
    set_profile.add_argument("station_id")
    set_profile.add_argument("file")
    set_profile.add_argument("--evse", type=int, default=0)
    clear = profile_actions.add_parser("clear")
    clear.add_argument("station_id")
    clear.add_argument("profile_id", type=int)
    composite = profile_actions.add_parser("composite")
    composite.add_argument("station_id")
    composite.add_argument("evse", type=int)
    composite.add_argument("--duration", type=int, default=3600)
    composite.add_argument("--unit", choices=("A", "W"), default="A")
    composite.add_argument("--source", choices=("csms", "station"), default="csms")
    profile.set_defaults(func=_profile)
