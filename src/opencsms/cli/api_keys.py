"""`opencsms apikey create|list|revoke`: API keys, on the store directly (the server need not run)."""

from __future__ import annotations

import argparse
import os
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING

from opencsms.cli.audit import audited
from opencsms.cli.output import print_json, print_table

if TYPE_CHECKING:
    from opencsms.auth import ApiKeyService

#: The values of :class:`opencsms.auth.Role`, spelled out so that building the parser loads no store.
ROLE_NAMES = ("viewer", "operator", "admin")

#: Where `opencsms serve` writes the first admin key and the CLI looks for one.
DEFAULT_KEY_FILE = Path("var") / "api-key"


def key_file() -> Path:
    return Path(os.environ.get("OPENCSMS_API_KEY_FILE") or DEFAULT_KEY_FILE)


def write_key_file(key: str, path: Path | None = None) -> Path:
    """Save ``key`` readable by its owner only, for the CLI on this machine."""
    path = path or key_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(key + "\n")
    return path


def cli_api_key(given: str | None) -> str | None:
    """The key the CLI sends: ``--api-key``, else ``OPENCSMS_API_KEY``, else the key file."""
    if given:
        return given
    if os.environ.get("OPENCSMS_API_KEY"):
        return os.environ["OPENCSMS_API_KEY"]
    try:
        return key_file().read_text().strip() or None
    except OSError:
        return None


async def _with_keys(args: argparse.Namespace, work: Callable[[ApiKeyService], Awaitable[int]]) -> int:
    from opencsms.auth import ApiKeyService
    from opencsms.settings import Settings
    from opencsms.store import Store

    settings = Settings.from_env(database_url=getattr(args, "database_url", None))
    store = await Store.open(settings.database_url)
    try:
        return await work(ApiKeyService(store))
    finally:
        await store.close()


def _run(
    work: Callable[[ApiKeyService, argparse.Namespace], Awaitable[int]],
) -> Callable[[argparse.Namespace], int]:
    def runner(args: argparse.Namespace) -> int:
        from opencsms.cli.main import run_async

        return run_async(_with_keys(args, lambda keys: work(keys, args)))

    return runner


@audited("apikey create", "name")
async def create(keys: ApiKeyService, args: argparse.Namespace) -> int:
    from opencsms.auth import Role, UserService

    owner = await UserService(keys.store).get(args.user)
    if owner is None:
        print(f"error: no user {args.user!r} (add one with: opencsms user add NAME --role ROLE)")
        return 1
    try:
        created = await keys.create(args.name, Role(args.role), user_id=owner.id)
    except ValueError as exc:
        print(f"error: {exc}")
        return 1
    print(f"API key {args.name} of {owner.name} ({args.role}); it is shown only now, keep it safe:")
    print(created.key)
    return 0


async def list_keys(keys: ApiKeyService, args: argparse.Namespace) -> int:
    rows = [
        {
            "id": k.id,
            "name": k.name,
            "role": k.role.value,
            "user": k.user_name,
            "prefix": k.key_prefix,
            "created": k.created_at.isoformat(timespec="seconds"),
            "last_used": k.last_used_at.isoformat(timespec="seconds") if k.last_used_at else None,
            "revoked": k.revoked_at.isoformat(timespec="seconds") if k.revoked_at else None,
        }
        for k in await keys.list()
    ]
    print_table(rows, ["id", "name", "role", "user", "prefix", "created", "last_used", "revoked"])
    return 0


@audited("apikey revoke", "key")
async def revoke(keys: ApiKeyService, args: argparse.Namespace) -> int:
    target: int | str = int(args.key) if args.key.isdigit() else args.key
    try:
        key = await keys.revoke(target)
    except LookupError as exc:
        print(f"error: {exc}")
        return 1
    print_json(
        {"id": key.id, "name": key.name, "revoked_at": key.revoked_at.isoformat() if key.revoked_at else None}
    )
    return 0


def add_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    apikey = sub.add_parser("apikey", help="API keys for the HTTP API (admin, operator, viewer)")
    apikey.add_argument("--database-url", default=None)
    ksub = apikey.add_subparsers(dest="apikey_cmd", required=True)
    make = ksub.add_parser("create", help="create a key and print it (once)")
    make.add_argument("--name", required=True)
    make.add_argument("--role", choices=ROLE_NAMES, default="viewer")
    make.add_argument("--user", default="admin", help="the user the key belongs to (default admin)")
    make.set_defaults(func=_run(create))
    ksub.add_parser("list", help="list keys (never the keys themselves)").set_defaults(func=_run(list_keys))
    rev = ksub.add_parser("revoke", help="revoke a key by id or name")
    rev.add_argument("key", help="the key's id or name")
    rev.set_defaults(func=_run(revoke))
