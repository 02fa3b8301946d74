"""`opencsms tariff ...`: tariffs and where they apply, through a running server's API."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from opencsms.cli import api_client
from opencsms.cli.api_keys import cli_api_key
from opencsms.cli.output import print_json
from opencsms.cli.remote import server_url

_SCOPES = ("default", "site", "station", "evse", "token_group")


def call(
    args: argparse.Namespace,
    method: str,
    path: str,
    *,
    body: Any = None,
    content: bytes | None = None,
    params: dict[str, Any] | None = None,
    raw: bool = False,
) -> int:
    """Call the API and print its answer (JSON pretty-printed, or as it came with ``raw``)."""
    try:
        response = api_client.request(
            method,
            f"{server_url(args)}/api/v1{path}",
            body=body,
            content=content,
            params=params,
            api_key=cli_api_key(args.api_key),
        )
    except api_client.Unreachable as exc:
        print(f"error: cannot reach opencsms at {server_url(args)}: {exc}")
        return 2
    if raw and response.is_success:
        print(response.content.decode(), end="")
    else:
        print_json(response.json() if response.content else {"status": response.status})
    return 0 if response.is_success else 1


def _tariff(args: argparse.Namespace) -> int:
    action = args.tariff_action
    if action == "list":
        return call(args, "GET", "/tariffs", params={"limit": args.limit, "offset": args.offset})
    if action == "show":
        return call(args, "GET", f"/tariffs/{args.tariff_id}", params={"version": args.version})
    if action == "versions":
        return call(args, "GET", f"/tariffs/{args.tariff_id}/versions")
    if action == "delete":
        return call(args, "DELETE", f"/tariffs/{args.tariff_id}")
    if action == "put":
        try:
            text = Path(args.file).read_bytes()
        except OSError as exc:
            print(f"error: {exc}")
            return 2
        return call(
            args, "PUT", f"/tariffs/{args.tariff_id}", content=text, params={"time_zone": args.time_zone}
        )
    if action == "assignments":
        return call(args, "GET", "/tariff-assignments", params={"limit": 1000})
    if action == "assign":
        body = {"scope": args.scope, "target": args.target or "", "tariff_id": args.tariff_id}
        return call(args, "PUT", "/tariff-assignments", body=body)
    if action == "price":
        params = {"evse_id": args.evse, "id_token": args.id_token}
        return call(args, "GET", f"/stations/{args.station_id}/price", params=params)
    if action == "unassign":
        return call(
            args, "DELETE", "/tariff-assignments", params={"scope": args.scope, "target": args.target or ""}
        )
    return 2


def common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--server", default=None, help="opencsms HTTP URL (default http://127.0.0.1:8000)")
    parser.add_argument("--api-key", default=None, help="API key (default: $OPENCSMS_API_KEY or var/api-key)")


def add_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    tariff = sub.add_parser("tariff", help="tariffs (OCPI 2.2.1 JSON, versioned) and where they apply")
    common(tariff)
    actions = tariff.add_subparsers(dest="tariff_action", required=True)
    listing = actions.add_parser("list", help="current versions")
    listing.add_argument("--limit", type=int, default=50)
    listing.add_argument("--offset", type=int, default=0)
    put = actions.add_parser(
        "put", help="create a tariff or store a new version, from an OCPI Tariff JSON file"
    )
    put.add_argument("tariff_id")
    put.add_argument("file")
    put.add_argument("--time-zone", help="IANA zone its local times are read in (default: the server's)")
    show = actions.add_parser("show")
    show.add_argument("tariff_id")
    show.add_argument("--version", type=int)
    for name in ("versions", "delete"):
        actions.add_parser(name).add_argument("tariff_id")
    actions.add_parser("assignments", help="where each tariff applies, most specific scope first")
    assign = actions.add_parser(
        "assign", help="apply a tariff by default, to a site, station, EVSE or token group"
    )
    assign.add_argument("tariff_id")
    assign.add_argument("--scope", choices=_SCOPES, required=True)
    assign.add_argument("--target", help="site id, station id, STATION/EVSE, or token / group")
    unassign = actions.add_parser("unassign")
    unassign.add_argument("--scope", choices=_SCOPES, required=True)
    unassign.add_argument("--target")
    price = actions.add_parser("price", help="what a session starting now at a station would be priced at")
    price.add_argument("station_id")
    price.add_argument("--evse", type=int)
    price.add_argument("--id-token")
    tariff.set_defaults(func=_tariff)


def _cdr(args: argparse.Namespace) -> int:
    if args.cdr_action == "show":
        return call(args, "GET", f"/cdrs/{args.cdr_id}")
    filters = {
        "station_id": args.station, "site_id": args.site, "id_token": args.id_token,
        "token_group": args.token_group, "tariff_id": args.tariff, "transaction_id": args.transaction,
        "stopped_from": args.stopped_from, "stopped_to": args.stopped_to,
    }  # fmt: skip
    if args.cdr_action == "export":
        return call(args, "GET", f"/cdrs/export.{args.format}", params=filters, raw=True)
    return call(args, "GET", "/cdrs", params={**filters, "limit": args.limit, "offset": args.offset})


def _cdr_filters(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--station")
    parser.add_argument("--site")
    parser.add_argument("--id-token")
    parser.add_argument("--token-group")
    parser.add_argument("--tariff")
    parser.add_argument("--transaction", type=int)
    parser.add_argument("--stopped-from", help="ISO 8601, inclusive")
    parser.add_argument("--stopped-to", help="ISO 8601, exclusive")


def add_cdr_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    cdr = sub.add_parser("cdr", help="charge detail records: list, show, export (CSV or JSON)")
    common(cdr)
    actions = cdr.add_subparsers(dest="cdr_action", required=True)
    listing = actions.add_parser("list")
    _cdr_filters(listing)
    listing.add_argument("--limit", type=int, default=50)
    listing.add_argument("--offset", type=int, default=0)
    actions.add_parser("show").add_argument("cdr_id", type=int)
    export = actions.add_parser("export", help="every matching CDR to standard output")
    _cdr_filters(export)
    export.add_argument("--format", choices=("csv", "json"), default="csv")
    cdr.set_defaults(func=_cdr)


def _revenue(args: argparse.Namespace) -> int:
    params = {
        "group_by": args.group_by, "time_zone": args.time_zone, "stopped_from": args.stopped_from,
        "stopped_to": args.stopped_to, "station_id": args.station, "site_id": args.site,
        "token_group": args.token_group, "tariff_id": args.tariff,
    }  # fmt: skip
    return call(args, "GET", "/revenue", params=params)


def add_revenue_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    revenue = sub.add_parser("revenue", help="revenue report from the CDRs")
    common(revenue)
    revenue.add_argument(
        "--group-by",
        choices=("day", "week", "month", "site", "station", "token_group", "tariff"),
        default="day",
    )
    revenue.add_argument("--time-zone", help="IANA zone of the days (default: the server's billing zone)")
    revenue.add_argument("--stopped-from", help="ISO 8601, inclusive")
    revenue.add_argument("--stopped-to", help="ISO 8601, exclusive")
    revenue.add_argument("--station")
    revenue.add_argument("--site")
    revenue.add_argument("--token-group")
    revenue.add_argument("--tariff")
    revenue.set_defaults(func=_revenue)
