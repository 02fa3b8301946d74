"""CLI commands that work on the store directly (the server need not run); `station list` and
`tx list` ask the running server (cli/listings.py)."""

from __future__ import annotations

import argparse
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from opencsms.cli import listings
from opencsms.cli import security as security_cli
from opencsms.cli.audit import audited
from opencsms.cli.output import print_json, print_table
from opencsms.cli.station_config import station_config

if TYPE_CHECKING:
    from opencsms.domain.services import Domain


async def _with_domain(args: argparse.Namespace, work: Callable[[Domain], Awaitable[int]]) -> int:
    # Imported here: building the parser, or running a command that does not open the store,
    # must not load the database layer.
    from opencsms.domain.services import Domain
    from opencsms.settings import Settings
    from opencsms.store import Store

    settings = Settings.from_env(database_url=getattr(args, "database_url", None))
    store = await Store.open(settings.database_url)
    try:
        return await work(Domain(store))
    finally:
        await store.close()


def _run(work: Callable[[Domain, argparse.Namespace], Awaitable[int]]) -> Callable[[argparse.Namespace], int]:
    def runner(args: argparse.Namespace) -> int:
        from opencsms.cli.main import run_async

        return run_async(_with_domain(args, lambda domain: work(domain, args)))

    return runner


def _token_row(t: Any) -> dict[str, Any]:
    return {
        "id_token": t.id_token,
        "status": str(t.status),
        "expiry_date": t.expiry_date.isoformat() if t.expiry_date else None,
        "parent_id_token": t.parent_id_token,
    }


@audited("token add", "id_token")
async def token_add(domain: Domain, args: argparse.Namespace) -> int:
    from opencsms.domain.model import AuthorizationStatus

    expiry = datetime.fromisoformat(args.expiry) if args.expiry else None
    token = await domain.tokens.add(
        args.id_token,
        status=AuthorizationStatus(args.status),
        expiry_date=expiry,
        parent_id_token=args.parent,
    )
    print_json(_token_row(token))
    return 0


async def token_list(domain: Domain, args: argparse.Namespace) -> int:
    print_table(
        [_token_row(t) for t in await domain.tokens.list()],
        ["id_token", "status", "expiry_date", "parent_id_token"],
    )
    return 0


@audited("token block", "id_token")
async def token_block(domain: Domain, args: argparse.Namespace) -> int:
    try:
        token = await domain.tokens.block(args.id_token)
    except LookupError:
        print(f"error: unknown id token {args.id_token}")
        return 1
    print_json(_token_row(token))
    return 0


@audited("station add", "station_id")
async def station_add(domain: Domain, args: argparse.Namespace) -> int:
    """Register a station before it first connects: commands may then be queued for it."""
    from opencsms.domain.model import RegistrationStatus

    if await domain.stations.get(args.station_id) is not None:
        print(f"error: station {args.station_id} exists")
        return 1
    await domain.stations.register(args.station_id, RegistrationStatus(args.status))
    print(f"registered {args.station_id} ({args.status})")
    return 0


def add_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    token = sub.add_parser("token", help="manage id tokens (RFID tags, ...)")
    token.add_argument("--database-url", default=None)
    tsub = token.add_subparsers(dest="token_cmd", required=True)
    add = tsub.add_parser("add", help="add or update an id token")
    add.add_argument("id_token")
    add.add_argument("--status", default="Accepted", choices=["Accepted", "Blocked", "Expired", "Invalid"])
    add.add_argument("--expiry", default=None, help="ISO 8601 expiry date")
    add.add_argument("--parent", default=None, help="parent (group) id token")
    add.set_defaults(func=_run(token_add))
    tsub.add_parser("list", help="list id tokens").set_defaults(func=_run(token_list))
    block = tsub.add_parser("block", help="block an id token")
    block.add_argument("id_token")
    block.set_defaults(func=_run(token_block))

    station = sub.add_parser("station", help="stations")
    station.add_argument("--database-url", default=None)
    ssub = station.add_subparsers(dest="station_cmd", required=True)
    station_list = ssub.add_parser("list", help="list stations (asks the running server)")
    listings.add_server_options(station_list)
    station_list.set_defaults(func=listings.station_list)
    add = ssub.add_parser(
        "add", help="register a station expected to connect (commands may be queued for it)"
    )
    add.add_argument("station_id")
    add.add_argument("--status", default="Accepted", choices=["Accepted", "Pending", "Rejected"])
    add.set_defaults(func=_run(station_add))
    config = ssub.add_parser("config", help="a station's configuration keys (1.6) or variables (2.0.1)")
    config.add_argument("station_id")
    config.add_argument("--json", action="store_true", help="print JSON instead of a table")
    config.set_defaults(func=_run(station_config))
    security_cli.add_station_parsers(ssub, _run)

    tx = sub.add_parser("tx", help="transactions (charging sessions)")
    xsub = tx.add_subparsers(dest="tx_cmd", required=True)
    lst = xsub.add_parser("list", help="list transactions, newest first (asks the running server)")
    lst.add_argument("--active", action="store_true")
    lst.add_argument(
        "--inferred", action="store_true", help="only sessions whose end opencsms inferred (to review)"
    )
    lst.add_argument("--station", default=None)
    lst.add_argument("--limit", type=int, default=50)
    listings.add_server_options(lst)
    lst.set_defaults(func=listings.tx_list)

    security_cli.add_parsers(sub, _run)
