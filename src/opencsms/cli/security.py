"""CLI for security: station passwords and profiles, the CSMS CA, security events.

These work on the store (and the CA directory) directly; the server need not run. A password is
read from ``--password`` or, with ``--generate`` (the default when none is given), generated and
printed once; it is never stored in clear.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING

from opencsms.cli.audit import audited
from opencsms.cli.output import print_json, print_table

if TYPE_CHECKING:
    from opencsms.domain.services import Domain
    from opencsms.security.certificates import CertificateAuthority

DomainJob = Callable[["Domain", argparse.Namespace], Awaitable[int]]
#: Wraps a domain job into an argparse ``func`` (the admin module's ``_run``).
JobRunner = Callable[[DomainJob], Callable[[argparse.Namespace], int]]


@audited("station set-password", "station_id")
async def station_set_password(domain: Domain, args: argparse.Namespace) -> int:
    from opencsms.security.passwords import WeakPassword, generate_password

    password = args.password or generate_password()
    try:
        result = await domain.security.set_password(
            args.station_id, password, version=args.ocpp_version, security_profile=args.profile
        )
    except (WeakPassword, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if not args.password:
        print(f"password for {args.station_id}: {password}")
        print("configure the station with it now; it is not shown again", file=sys.stderr)
    print(f"{result.station_id}: security profile {result.security_profile}", file=sys.stderr)
    return 0


@audited("station set-profile", "station_id")
async def station_set_profile(domain: Domain, args: argparse.Namespace) -> int:
    try:
        await domain.security.set_security_profile(args.station_id, args.profile)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"{args.station_id}: security profile {args.profile}")
    return 0


async def station_security(domain: Domain, args: argparse.Namespace) -> int:
    rows = [
        {
            "station": s.station_id,
            "profile": s.security_profile,
            "password": "set" if s.has_password else "",
            "change_pending": "yes" if s.password_change_pending else "",
            "updated": s.updated_at.isoformat(timespec="seconds"),
        }
        for s in await domain.security.list_station_security()
    ]
    if args.json:
        print_json(rows)
    else:
        print_table(rows, ["station", "profile", "password", "change_pending", "updated"])
    return 0


async def security_events(domain: Domain, args: argparse.Namespace) -> int:
    events = await domain.security.list_events(
        station_id=args.station, source=args.source, event_type=args.type, limit=args.limit
    )
    rows = [
        {
            "id": e.id,
            "time": e.occurred_at.isoformat(timespec="seconds"),
            "station": e.station_id,
            "source": e.source,
            "type": e.event_type,
            "peer": e.peer_address,
            "info": e.tech_info,
        }
        for e in events
    ]
    if args.json:
        print_json(rows)
    else:
        print_table(rows, ["id", "time", "station", "source", "type", "peer", "info"])
    return 0


def ca_directory(args: argparse.Namespace) -> Path:
    from opencsms.settings import Settings

    return Path(args.ca_dir or Settings.from_env().ca_dir or "var/ca")


def _load_or_create_ca(args: argparse.Namespace, name: str | None = None) -> CertificateAuthority:
    from opencsms.security.certificates import CertificateAuthority

    if name is None:
        return CertificateAuthority.load_or_create(ca_directory(args))
    return CertificateAuthority.load_or_create(ca_directory(args), name)


def ca_init(args: argparse.Namespace) -> int:
    ca = _load_or_create_ca(args, args.name)
    print(ca.cert_path)
    return 0


def ca_server_cert(args: argparse.Namespace) -> int:
    """Issue a TLS server certificate for the CSMS's listeners, signed by the managed CA."""
    from opencsms.security.certificates import certificate_pem, generate_key, key_pem

    ca = _load_or_create_ca(args)
    key = generate_key()
    certificate = ca.issue_server_certificate(key, args.hostnames, days=args.days)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "server.pem").write_text(certificate_pem(certificate) + ca.pem)
    key_path = out / "server.key"
    key_path.touch(mode=0o600)
    key_path.write_bytes(key_pem(key))
    print(f"{out / 'server.pem'}\n{key_path}")
    return 0


def ca_show(args: argparse.Namespace) -> int:
    ca = _load_or_create_ca(args)
    certificate = ca.certificate
    print_json(
        {
            "subject": certificate.subject.rfc4514_string(),
            "not_after": certificate.not_valid_after_utc.isoformat(),
            "expires_in_days": (certificate.not_valid_after_utc - dt.datetime.now(dt.UTC)).days,
            "file": str(ca.cert_path),
        }
    )
    return 0


def add_station_parsers(ssub: argparse._SubParsersAction[argparse.ArgumentParser], runner: JobRunner) -> None:
    """``opencsms station set-password | set-profile | security``."""
    setpw = ssub.add_parser("set-password", help="set a station's Basic auth password (profiles 1-2)")
    setpw.add_argument("station_id")
    setpw.add_argument("--password", default=None, help="the password (default: generate and print one)")
    setpw.add_argument("--profile", type=int, choices=[0, 1, 2, 3], default=None, help="also set the profile")
    setpw.add_argument(
        "--ocpp-version", default=None, choices=["1.6", "2.0.1"], help="check that version's rules"
    )
    setpw.set_defaults(func=runner(station_set_password))
    setprof = ssub.add_parser("set-profile", help="the lowest security profile a station may connect with")
    setprof.add_argument("station_id")
    setprof.add_argument("profile", type=int, choices=[0, 1, 2, 3])
    setprof.set_defaults(func=runner(station_set_profile))
    show = ssub.add_parser("security", help="stations' security profiles (never their passwords)")
    show.add_argument("--json", action="store_true")
    show.set_defaults(func=runner(station_security))


def add_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser], runner: JobRunner) -> None:
    """``opencsms security events`` and ``opencsms ca init | show | server-cert``."""
    security = sub.add_parser("security", help="security events")
    security.add_argument("--database-url", default=None)
    secsub = security.add_subparsers(dest="security_cmd", required=True)
    events = secsub.add_parser("events", help="security events, newest first")
    events.add_argument("--station", default=None)
    events.add_argument("--source", default=None, choices=["station", "csms"])
    events.add_argument("--type", default=None)
    events.add_argument("--limit", type=int, default=50)
    events.add_argument("--json", action="store_true")
    events.set_defaults(func=runner(security_events))

    ca = sub.add_parser("ca", help="the CSMS certificate authority that signs station certificates")
    ca.add_argument("--ca-dir", default=None, help="CA directory (default OPENCSMS_CA_DIR or var/ca)")
    casub = ca.add_subparsers(dest="ca_cmd", required=True)
    init = casub.add_parser("init", help="create the CA unless it exists; prints its certificate file")
    init.add_argument("--name", default="opencsms CSMS CA")
    init.set_defaults(func=ca_init)
    casub.add_parser("show", help="the CA certificate's subject and expiry").set_defaults(func=ca_show)
    server = casub.add_parser("server-cert", help="issue a TLS server certificate for profile 2/3 listeners")
    server.add_argument("hostnames", nargs="+", help="DNS names or IP addresses the stations use")
    server.add_argument("--days", type=int, default=365)
    server.add_argument("--out", default="var/tls")
    server.set_defaults(func=ca_server_cert)
