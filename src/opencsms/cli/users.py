"""`opencsms user add|list|disable|enable|passwd|role`: staff accounts, on the store directly (the
server need not run). Each change is recorded in the audit log as the operating system's user."""

from __future__ import annotations

import argparse
import getpass
import sys
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from opencsms.cli.api_keys import ROLE_NAMES
from opencsms.cli.audit import audited
from opencsms.cli.output import print_table

if TYPE_CHECKING:
    from opencsms.auth import UserService


async def _with_users(args: argparse.Namespace, work: Callable[[UserService], Awaitable[int]]) -> int:
    from opencsms.auth import UserService
    from opencsms.settings import Settings
    from opencsms.store import Store

    settings = Settings.from_env(database_url=getattr(args, "database_url", None))
    store = await Store.open(settings.database_url)
    try:
        return await work(UserService(store))
    finally:
        await store.close()


def _run(
    work: Callable[[UserService, argparse.Namespace], Awaitable[int]],
) -> Callable[[argparse.Namespace], int]:
    def runner(args: argparse.Namespace) -> int:
        from opencsms.cli.main import run_async

        return run_async(_with_users(args, lambda users: work(users, args)))

    return runner


def read_password() -> str:
    """A new password: asked twice on a terminal, else one line of standard input.

    Raises:
        ValueError: the two typed differ.
    """
    if not sys.stdin.isatty():
        return sys.stdin.readline().rstrip("\n")
    first = getpass.getpass("new password: ")
    if getpass.getpass("again: ") != first:
        raise ValueError("the two passwords differ")
    return first


@audited("user add", "name")
async def add(users: UserService, args: argparse.Namespace) -> int:
    try:
        password = read_password() if args.password else None
        user = await users.create(args.name, args.role, password)
    except ValueError as exc:  # WeakUserPassword too
        print(f"error: {exc}", file=sys.stderr)
        return 1
    how = "password" if user.has_password else "no password: API keys or OpenID Connect only"
    print(f"user {user.name} ({user.role.value}, {how}), id {user.id}")
    return 0


async def list_users(users: UserService, args: argparse.Namespace) -> int:
    rows = [
        {
            "id": u.id,
            "name": u.name,
            "role": u.role.value,
            "password": "yes" if u.has_password else "no",
            "oidc": "yes" if u.oidc_issuer else "no",
            "created": u.created_at.isoformat(timespec="seconds"),
            "last_login": u.last_login_at.isoformat(timespec="seconds") if u.last_login_at else None,
            "disabled": u.disabled_at.isoformat(timespec="seconds") if u.disabled_at else None,
        }
        for u in await users.list()
    ]
    print_table(rows, ["id", "name", "role", "password", "oidc", "created", "last_login", "disabled"])
    return 0


def _change(
    action: str, change: Callable[[UserService, argparse.Namespace], Awaitable[object]], done: str
) -> Callable[[UserService, argparse.Namespace], Awaitable[int]]:
    @audited(action, "name")
    async def job(users: UserService, args: argparse.Namespace) -> int:
        try:
            await change(users, args)
        except (LookupError, ValueError) as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 1
        print(done.format(name=args.name, role=getattr(args, "role", "")))
        return 0

    return job


disable = _change(
    "user disable",
    lambda users, args: users.disable(args.name),
    "{name} is disabled: their sessions ended and their API keys stopped",
)
enable = _change("user enable", lambda users, args: users.enable(args.name), "{name} is enabled")
passwd = _change(
    "user passwd",
    lambda users, args: users.set_password(args.name, read_password()),
    "{name} has a new password; their sessions ended",
)
set_role = _change(
    "user role",
    lambda users, args: users.set_role(args.name, args.role),
    "{name} is now {role}; their sessions ended",
)


def add_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    user = sub.add_parser("user", help="staff accounts (admin, operator, viewer)")
    user.add_argument("--database-url", default=None)
    usub = user.add_subparsers(dest="user_cmd", required=True)
    make = usub.add_parser("add", help="add a user")
    make.add_argument("name")
    make.add_argument("--role", choices=ROLE_NAMES, default="viewer")
    make.add_argument(
        "--password",
        action="store_true",
        help="give a password (asked on a terminal, else read from standard input); "
        "without: no password login",
    )
    make.set_defaults(func=_run(add))
    usub.add_parser("list", help="list users").set_defaults(func=_run(list_users))
    for name, job, text in (
        ("disable", disable, "disable a user: sessions end and API keys stop at once"),
        ("enable", enable, "enable a disabled user again"),
        ("passwd", passwd, "set a user's password (asked, or read from standard input); sessions end"),
    ):
        parser = usub.add_parser(name, help=text)
        parser.add_argument("name")
        parser.set_defaults(func=_run(job))
    role = usub.add_parser("role", help="change a user's role; their sessions end")
    role.add_argument("name")
    role.add_argument("role", choices=ROLE_NAMES)
    role.set_defaults(func=_run(set_role))
