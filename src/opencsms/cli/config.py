"""`opencsms config show` and `opencsms doctor` (docs/operations.md)."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from opencsms.settings import Settings


def _settings_or_error() -> Settings | str:
    from opencsms.settings import Settings

    try:
        return Settings.from_env()
    except ValueError as exc:
        return str(exc)


def _show(args: argparse.Namespace) -> int:
    import json

    from opencsms.settings import masked

    settings = _settings_or_error()
    if isinstance(settings, str):
        print(f"opencsms: {settings}", file=sys.stderr)
        return 2
    sources = settings.sources()
    print("# The effective settings (TOML, usable as a config file); secrets masked.")
    for name, source in sources.items():
        value = masked(name, getattr(settings, name))
        text = json.dumps(value) if isinstance(value, str) else repr(value)
        print(f"{name} = {text}" + ("" if source == "default" else f"  # {source}"))
    return 0


def _doctor(args: argparse.Namespace) -> int:
    from opencsms.cli.main import run_async

    settings = _settings_or_error()
    if isinstance(settings, str):
        print(f"FAIL configuration: {settings}")
        return 1
    print("ok   configuration: read")
    return run_async(_report(settings))


async def _report(settings: Settings) -> int:
    from opencsms.doctor import run_checks

    findings = await run_checks(settings)
    for finding in findings:
        print(finding, flush=True)
    failed = [f for f in findings if not f.ok]
    print(f"{len(failed)} problem(s) found" if failed else "everything checked is fine")
    return 1 if failed else 0


def add_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    config = sub.add_parser("config", help="the effective configuration")
    config_sub = config.add_subparsers(dest="config_cmd", required=True)
    show = config_sub.add_parser(
        "show", help="print the effective settings (defaults, config file, environment), secrets masked"
    )
    show.set_defaults(func=_show)
    doctor = sub.add_parser(
        "doctor",
        help="check the database, NATS, certificates, ports and clock; exit 1 on a problem",
    )
    doctor.set_defaults(func=_doctor)
