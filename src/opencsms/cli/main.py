"""`opencsms` command line: serve, simulate, command, token, station, tx.

Building the parser imports the standard library only; each command imports what it needs when it
runs (tests/cli/test_imports.py counts the modules), so a simple command starts in a fraction of
a second.
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import TYPE_CHECKING, Any

from opencsms.cli import admin, api_keys, audit, billing, config, operations, remote, smart_charging, users

if TYPE_CHECKING:
    from collections.abc import Coroutine


#: The demo's stations speak each version in turn, so every command can be tried on one of them.
DEMO_VERSIONS = "1.6,2.0.1,2.1"


def run_async(coro: Coroutine[Any, Any, int]) -> int:
    """Run on uvloop when it is installed (faster framing and scheduling), else asyncio."""
    import asyncio

    try:
        import uvloop
    except ImportError:  # pragma: no cover - uvloop is a dependency on every supported platform
        return asyncio.run(coro)
    return uvloop.run(coro)


async def _serve(args: argparse.Namespace) -> int:
    import asyncio
    import logging
    import signal
    import socket

    from opencsms import runtime
    from opencsms.garbage_collection import tune_for_serving
    from opencsms.settings import Settings

    try:
        settings = Settings.from_env(
            ocpp_host=args.ocpp_host,
            ocpp_port=args.ocpp_port,
            http_port=args.http_port,
            http_host=args.http_host,
            database_url=args.database_url,
            registration_policy=args.registration_policy,
            bus_url=args.bus_url,
            node_id=args.node_id,
        )
    except ValueError as exc:
        print(f"opencsms: {exc}", file=sys.stderr)
        return 2
    from opencsms.logs import configure

    try:
        configure(
            settings.log_level,
            settings.log_format,
            node=settings.node_id or (socket.gethostname() if settings.bus_url else ""),
            repeat_interval=settings.log_repeat_interval,
        )
    except ValueError as exc:
        print(f"opencsms: {exc}", file=sys.stderr)
        return 2
    # One line per connection or migration step drowns what matters.
    for noisy in ("websockets.server", "alembic.runtime.migration"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    db_path = (
        settings.database_url.split("///", 1)[-1] if settings.database_url.startswith("sqlite") else None
    )
    if db_path and os.path.dirname(db_path):
        os.makedirs(os.path.dirname(db_path), exist_ok=True)
    rt = await runtime.start(settings)
    tune_for_serving()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    # SIGTERM (an orchestrator, systemd, a rolling restart) drains over OPENCSMS_DRAIN_WINDOW;
    # Ctrl-C stops at once (still closing every socket with 1001 and finishing writes).
    signals: list[signal.Signals] = []

    def on_signal(sig: signal.Signals) -> None:
        signals.append(sig)
        stop.set()

    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, on_signal, sig)
    print(f"opencsms is running: OCPP {rt.ocpp_url}/{{stationId}} (1.6, 2.0.1, 2.1)", flush=True)
    print(f"  Dashboard: {rt.http_url}/", flush=True)
    print(f"  API and docs: {rt.http_url}/docs    health: {rt.http_url}/health", flush=True)
    if rt.bootstrap_api_key:
        path = api_keys.write_key_file(rt.bootstrap_api_key)
        print(f"  First start: created an admin API key (saved to {path} for the CLI; shown only now):")
        print(f"    {rt.bootstrap_api_key}", flush=True)
    demo_task = None
    if args.demo:
        from opencsms.simulate import DEFAULT_ID_TAGS
        from opencsms.simulate.fleet import FleetOptions, run_fleet

        for tag in DEFAULT_ID_TAGS:  # so the demo's drivers are authorized
            if await rt.domain.tokens.get(tag) is None:
                await rt.domain.tokens.add(tag)

        options = FleetOptions(
            url=rt.ocpp_url,
            stations=args.demo,
            version=DEMO_VERSIONS,
            prefix="DEMO",
            meter_interval=5.0,
            session_seconds=60.0,
            idle_seconds=10.0,
            duration=0.0,
            progress=False,
            report_interval=0,
        )
        demo_task = asyncio.create_task(run_fleet(options))
        print(
            f"  {args.demo} simulated stations (DEMO0000.., OCPP {DEMO_VERSIONS.replace(',', ', ')} in turn)"
            " are charging. Watch them:",
            flush=True,
        )
        hints = [
            "opencsms station list",
            "opencsms tx list --active",
            f'curl -H "Authorization: Bearer $(cat {api_keys.key_file()})" {rt.http_url}/api/v1/transactions',
            "opencsms command remote-stop DEMO0000 --transaction <id from 'opencsms tx list --active'>",
        ]
        print("\n".join(f"    {hint}" for hint in hints), flush=True)
    print("Press Ctrl-C to stop.", flush=True)
    await stop.wait()
    if demo_task is not None:
        demo_task.cancel()
        await asyncio.gather(demo_task, return_exceptions=True)
    if signals and signals[0] == signal.SIGTERM:
        print(f"SIGTERM: draining over {settings.drain_window:g} s", flush=True)
        await rt.drain()
    else:
        await rt.stop()
    return 0


def _simulate(args: argparse.Namespace) -> int:
    from opencsms.simulate.fleet import run_from_args

    return run_async(run_from_args(args))


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="opencsms", description="Open-source Charging Station Management System"
    )
    parser.add_argument(
        "--config",
        metavar="FILE",
        default=None,
        help="a TOML file of settings (as OPENCSMS_CONFIG_FILE); environment variables win over it",
    )
    sub = parser.add_subparsers(dest="cmd", required=True)

    serve = sub.add_parser("serve", help="run the CSMS (OCPP listener + HTTP API)")
    serve.add_argument("--ocpp-port", type=int, default=None, help="OCPP WebSocket port (default 9000)")
    serve.add_argument("--http-port", type=int, default=None, help="HTTP port (default 8000)")
    serve.add_argument(
        "--ocpp-host", default=None, help="OCPP bind address (default 127.0.0.1; 0.0.0.0 for every interface)"
    )
    serve.add_argument("--http-host", default=None, help="HTTP bind address (default 127.0.0.1)")
    serve.add_argument("--database-url", default=None, help="SQLAlchemy URL (default SQLite in ./var)")
    serve.add_argument("--registration-policy", choices=["accept", "pending", "reject"], default=None)
    serve.add_argument(
        "--bus-url", default=None, help="NATS URL (nats://host:4222) to run as one node of several"
    )
    serve.add_argument("--node-id", default=None, help="this node's name in the cluster")
    serve.add_argument("--demo", type=int, default=0, metavar="N", help="also run N simulated stations")
    serve.set_defaults(func=lambda a: run_async(_serve(a)))

    simulate = sub.add_parser("simulate", help="run simulated charging stations against a CSMS")
    from opencsms.simulate.arguments import add_arguments

    add_arguments(simulate)
    simulate.set_defaults(func=_simulate)

    remote.add_parsers(sub)
    admin.add_parsers(sub)
    api_keys.add_parsers(sub)
    users.add_parsers(sub)
    audit.add_parsers(sub)
    smart_charging.add_parsers(sub)
    billing.add_parsers(sub)
    billing.add_cdr_parsers(sub)
    billing.add_revenue_parser(sub)
    operations.add_parsers(sub)
    config.add_parsers(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.config is not None:
        os.environ["OPENCSMS_CONFIG_FILE"] = args.config  # read by every Settings.from_env
    try:
        code = args.func(args)
    except KeyboardInterrupt:
        code = 130
    except BrokenPipeError:  # output piped into `head` and the like
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        code = 0
    return int(code or 0)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
