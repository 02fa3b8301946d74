"""`opencsms doctor`: checks what a start needs, and says in words what is wrong.

Each check returns :class:`Finding` lines; a failure makes the command exit non-zero. The
checks use the standard library where they can (sqlite3, sockets) and load the PostgreSQL driver
or ``cryptography`` only when the settings call for them.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import socket
import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from opencsms.settings import Settings
from opencsms.sqlite_backup import BackupError, sqlite_file_of

#: How far this machine's clock may be from the database server's before it is a failure.
CLOCK_TOLERANCE = timedelta(seconds=5)
#: Days before a certificate's end that are worth a warning.
CERTIFICATE_WARNING_DAYS = 14
TIMEOUT = 5.0


@dataclass(frozen=True, slots=True)
class Finding:
    check: str
    ok: bool
    message: str
    #: An ok finding that still asks for attention (a certificate near its end).
    warning: bool = False

    def __str__(self) -> str:
        word = "FAIL" if not self.ok else ("WARN" if self.warning else "ok")
        return f"{word:<5}{self.check}: {self.message}"


async def run_checks(settings: Settings, *, now: datetime | None = None) -> list[Finding]:
    now = now or datetime.now(UTC)
    findings = await check_database(settings, now)
    if settings.bus_url:
        findings += await check_nats(settings.bus_url)
    findings += check_certificates(settings, now)
    findings += check_ports(settings)
    return findings


async def check_database(settings: Settings, now: datetime) -> list[Finding]:
    url = settings.database_url
    if url.startswith("sqlite"):
        try:
            path = sqlite_file_of(url)
        except BackupError as exc:
            return [Finding("database", False, str(exc))]
        return _check_sqlite(path, now)
    if url.startswith(("postgresql", "postgres")):
        return await _check_postgresql(url, now)
    return [Finding("database", False, f"{url!r} is neither SQLite nor PostgreSQL")]


def _check_sqlite(path: Path, now: datetime) -> list[Finding]:
    if not path.exists():
        folder = next((p for p in path.absolute().parents if p.exists()), Path("/"))
        if not os.access(folder, os.W_OK):
            return [Finding("database", False, f"{path} does not exist and {folder} is not writable")]
        return [Finding("database", True, f"{path} does not exist yet; it is created on the first start")]
    try:
        with contextlib.closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=TIMEOUT)) as db:
            result = db.execute("PRAGMA quick_check").fetchone()
            tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
            version = None
            if "alembic_version" in tables:
                version = db.execute("SELECT version_num FROM alembic_version").fetchone()
            newest = None
            if "stations" in tables:
                newest = db.execute("SELECT max(last_seen) FROM stations").fetchone()[0]
    except sqlite3.Error as exc:
        return [Finding("database", False, f"{path} cannot be read as SQLite: {exc}")]
    if result is None or result[0] != "ok":
        return [Finding("database", False, f"{path} is damaged: {result[0] if result else 'no answer'}")]
    if not os.access(path, os.W_OK):
        return [Finding("database", False, f"{path} is not writable by this user")]
    schema = f"schema {version[0]}" if version else "no schema yet (migrated on the first start)"
    findings = [Finding("database", True, f"SQLite {path}, {schema}")]
    if not newest:
        findings.append(Finding("clock", True, "no station seen yet: nothing to compare the clock with"))
        return findings
    last = datetime.fromisoformat(str(newest)).replace(tzinfo=UTC)
    if last - now > timedelta(minutes=5):
        findings.append(Finding(
            "clock", False,
            f"this machine's clock ({now:%Y-%m-%d %H:%M:%S} UTC) is behind the newest time in the "
            f"database ({last:%Y-%m-%d %H:%M:%S} UTC): it was set back, or is wrong",
        ))  # fmt: skip
    else:
        findings.append(Finding("clock", True, f"{now:%Y-%m-%d %H:%M:%S} UTC, not behind the database"))
    return findings


async def _check_postgresql(url: str, now: datetime) -> list[Finding]:
    import asyncpg

    dsn = "postgresql://" + url.partition("://")[2]
    try:
        connection = await asyncpg.connect(dsn, timeout=TIMEOUT)
    except (TimeoutError, OSError, asyncpg.PostgresError) as exc:
        return [Finding("database", False, f"PostgreSQL at {_host_of(url)} does not answer: {exc}")]
    try:
        version = None
        if await connection.fetchval("SELECT to_regclass('alembic_version') IS NOT NULL"):
            version = await connection.fetchval("SELECT version_num FROM alembic_version")
        server_now: datetime = await connection.fetchval("SELECT now()")
    finally:
        await connection.close()
    schema = f"schema {version}" if version else "no schema yet (migrated on the first start)"
    findings = [Finding("database", True, f"PostgreSQL at {_host_of(url)}, {schema}")]
    skew = abs(server_now - now)
    if skew > CLOCK_TOLERANCE:
        findings.append(Finding(
            "clock", False,
            f"this machine's clock is {skew.total_seconds():.0f} s away from the database server's; "
            "timestamps of nodes would disagree (run NTP on both)",
        ))  # fmt: skip
    else:
        findings.append(
            Finding("clock", True, f"within {CLOCK_TOLERANCE.total_seconds():.0f} s of the database")
        )
    return findings


def _host_of(url: str) -> str:
    return url.partition("://")[2].rpartition("@")[2]


async def check_nats(bus_url: str) -> list[Finding]:
    """A NATS server greets every connection with an INFO line; JetStream is reported there."""
    address = bus_url.partition("://")[2].rpartition("@")[2].split(",")[0]
    host, _, port = address.rpartition(":")
    try:
        reader, writer = await asyncio.wait_for(
            asyncio.open_connection(host or "127.0.0.1", int(port or 4222)), TIMEOUT
        )
    except (TimeoutError, OSError, ValueError) as exc:
        return [Finding("nats", False, f"NATS at {address} does not answer: {exc}")]
    try:
        line = await asyncio.wait_for(reader.readline(), TIMEOUT)
    except (TimeoutError, OSError) as exc:
        return [Finding("nats", False, f"{address} accepts connections but says nothing: not NATS? ({exc})")]
    finally:
        writer.close()
        with contextlib.suppress(OSError):
            await writer.wait_closed()
    if not line.startswith(b"INFO "):
        return [Finding("nats", False, f"{address} is not a NATS server (it greeted with {line[:40]!r})")]
    info = json.loads(line[5:])
    return [Finding("nats", True, f"NATS {info.get('version', '?')} at {address}")]


def check_certificates(settings: Settings, now: datetime) -> list[Finding]:
    pairs = [
        ("TLS", settings.tls_cert_file, settings.tls_key_file),
        ("CA", settings.ca_cert_file, settings.ca_key_file),
    ]
    findings: list[Finding] = []
    for role, cert, key in pairs:
        if cert or key:
            findings += _check_pair(role, cert, key, now)
    if settings.tls_client_ca_file:
        findings += _check_pair("client CA", settings.tls_client_ca_file, "", now)
    return findings


def _check_pair(role: str, cert_file: str, key_file: str, now: datetime) -> list[Finding]:
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization

    check = f"certificate ({role})"
    if not cert_file:
        return [Finding(check, False, f"a key file ({key_file}) is set but no certificate file")]
    try:
        certificate = x509.load_pem_x509_certificate(Path(cert_file).read_bytes())
    except OSError as exc:
        return [Finding(check, False, f"{cert_file} cannot be read: {exc.strerror}")]
    except ValueError:
        return [Finding(check, False, f"{cert_file} is not a PEM certificate")]
    findings: list[Finding] = []
    end = certificate.not_valid_after_utc
    if end <= now:
        findings.append(Finding(check, False, f"{cert_file} expired on {end:%Y-%m-%d %H:%M} UTC"))
    elif certificate.not_valid_before_utc > now:
        findings.append(
            Finding(
                check,
                False,
                f"{cert_file} is not valid before {certificate.not_valid_before_utc:%Y-%m-%d %H:%M} UTC",
            )
        )
    elif end - now < timedelta(days=CERTIFICATE_WARNING_DAYS):
        findings.append(
            Finding(
                check,
                True,
                f"{cert_file} expires on {end:%Y-%m-%d} (in {(end - now).days} days)",
                warning=True,
            )
        )
    else:
        findings.append(Finding(check, True, f"{cert_file} valid until {end:%Y-%m-%d}"))
    if role == "client CA":
        return findings
    if not key_file:
        return [*findings, Finding(check, False, f"{cert_file} is set but no key file")]
    try:
        key = serialization.load_pem_private_key(Path(key_file).read_bytes(), password=None)
    except OSError as exc:
        return [*findings, Finding(check, False, f"{key_file} cannot be read: {exc.strerror}")]
    except (ValueError, TypeError) as exc:
        return [*findings, Finding(check, False, f"{key_file} is not an unencrypted PEM private key ({exc})")]

    def public(value: object) -> bytes:
        return value.public_bytes(  # type: ignore[attr-defined,no-any-return]
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )

    if public(key.public_key()) != public(certificate.public_key()):
        findings.append(Finding(check, False, f"{key_file} is not the key of {cert_file}"))
    else:
        findings.append(Finding(check, True, f"{key_file} matches the certificate"))
    return findings


def check_ports(settings: Settings) -> list[Finding]:
    ports = [
        ("OCPP", settings.ocpp_host, settings.ocpp_port),
        ("HTTP", settings.http_host, settings.http_port),
    ]
    if settings.listeners:
        ports = [
            ("OCPP", settings.ocpp_host, int(entry.split()[0]))
            for entry in settings.listeners.split(";")
            if entry.strip() and entry.split()[0].isdigit()
        ] + ports[1:]
    findings = []
    for name, host, port in ports:
        if port == 0:
            continue
        with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                probe.bind((host, port))
            except PermissionError:
                findings.append(
                    Finding(
                        "ports",
                        False,
                        f"{name} port {port} on {host}: not allowed for this user (below 1024?)",
                    )
                )
            except OSError as exc:
                findings.append(
                    Finding(
                        "ports",
                        False,
                        f"{name} port {port} on {host} cannot be bound: {exc.strerror}"
                        " (is opencsms already running?)",
                    )
                )
            else:
                findings.append(Finding("ports", True, f"{name} port {port} on {host} is free"))
    return findings
