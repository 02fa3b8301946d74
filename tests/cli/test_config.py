"""`opencsms config show` (lean, secrets masked, the file and the environment merged) and
`opencsms doctor` against real parts: a SQLite store, NATS on 127.0.0.1, certificates, ports."""

from __future__ import annotations

import socket
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from opencsms.doctor import check_certificates, check_nats, check_ports
from opencsms.settings import Settings
from tests.cli.test_imports import HELP_BUDGET, assert_lean, cli

NOW = datetime.now(UTC)


def _certificate(tmp_path: Path, name: str, *, not_after: datetime) -> tuple[str, str]:
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    cert = (
        x509.CertificateBuilder().subject_name(subject).issuer_name(subject).public_key(key.public_key())
        .serial_number(1).not_valid_before(not_after - timedelta(days=365)).not_valid_after(not_after)
        .sign(key, hashes.SHA256())
    )  # fmt: skip
    cert_file, key_file = tmp_path / f"{name}.pem", tmp_path / f"{name}.key"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return str(cert_file), str(key_file)


async def test_config_show_merges_file_and_environment_masks_secrets_and_stays_lean(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "opencsms.toml"
    config.write_text(
        'ocpp_port = 9100\nsession_secret = "topsecret"\ndatabase_url = "postgresql://csms:pw@db/x"\n'
    )
    monkeypatch.setenv("OPENCSMS_HTTP_PORT", "8200")
    code, out, modules = await cli("--config", str(config), "config", "show")
    assert code == 0, out
    lines = set(out.splitlines())
    assert "ocpp_port = 9100  # file" in lines and "http_port = 8200  # OPENCSMS_HTTP_PORT" in lines
    assert 'session_secret = "***"  # file' in lines
    assert 'database_url = "postgresql://csms:***@db/x"  # file' in lines
    assert "topsecret" not in out and ":pw@" not in out
    # The settings module and tomllib on top of the parser; no database layer, no web stack.
    assert_lean(modules - {"opencsms.settings"}, HELP_BUDGET + 10)


async def test_config_show_names_unknown_keys(tmp_path: Path) -> None:
    config = tmp_path / "opencsms.toml"
    config.write_text("ocpp_prot = 9100\n")
    code, out, _ = await cli("--config", str(config), "config", "show")
    assert code == 2 and "unknown setting(s) ocpp_prot" in out


async def test_doctor_passes_on_a_sound_deployment_and_names_each_problem(
    tmp_path: Path, unused_tcp_port_factory: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    from collections.abc import Callable

    assert callable(unused_tcp_port_factory)
    free: Callable[[], int] = unused_tcp_port_factory
    good_cert, good_key = _certificate(tmp_path, "good", not_after=NOW + timedelta(days=200))
    base = {
        "OPENCSMS_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'var' / 'opencsms.db'}",
        "OPENCSMS_OCPP_PORT": str(free()),
        "OPENCSMS_HTTP_PORT": str(free()),
        "OPENCSMS_BUS_URL": "nats://127.0.0.1:4222",
        "OPENCSMS_TLS_CERT_FILE": good_cert,
        "OPENCSMS_TLS_KEY_FILE": good_key,
    }
    for name, value in base.items():
        monkeypatch.setenv(name, value)
    code, out, _ = await cli("doctor")
    assert code == 0, out
    assert (
        "ok   nats: NATS" in out and "matches the certificate" in out and "everything checked is fine" in out
    )

    expired_cert, _ = _certificate(tmp_path, "old", not_after=NOW - timedelta(days=1))
    busy = socket.socket()
    busy.bind(("127.0.0.1", 0))
    busy.listen()
    busy_port = busy.getsockname()[1]
    with busy:
        monkeypatch.setenv("OPENCSMS_OCPP_PORT", str(busy_port))
        monkeypatch.setenv("OPENCSMS_TLS_CERT_FILE", expired_cert)  # with good.key: not its key either
        monkeypatch.setenv("OPENCSMS_BUS_URL", f"nats://127.0.0.1:{free()}")
        code, out, _ = await cli("doctor")
    assert code == 1
    assert "FAIL certificate (TLS): " in out and "expired on" in out and "is not the key of" in out
    assert f"FAIL ports: OCPP port {busy_port} on 127.0.0.1 cannot be bound" in out
    assert "FAIL nats: NATS at 127.0.0.1:" in out and "does not answer" in out
    assert "3 problem(s) found" not in out and "problem(s) found" in out


async def test_doctor_fails_a_broken_configuration_in_words(tmp_path: Path) -> None:
    config = tmp_path / "opencsms.toml"
    config.write_text("ocpp_port = 'x'\n")
    code, out, _ = await cli("--config", str(config), "doctor")
    assert code == 1 and "FAIL configuration: " in out and "ocpp_port must be an integer" in out


async def test_nats_check_recognises_something_that_is_not_nats() -> None:
    from asyncio import start_server

    async def greet(_: object, writer: object) -> None:
        writer.write(b"HTTP/1.1 400 Bad Request\r\n")  # type: ignore[attr-defined]
        await writer.drain()  # type: ignore[attr-defined]
        writer.close()  # type: ignore[attr-defined]

    server = await start_server(greet, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    async with server:
        (finding,) = await check_nats(f"nats://127.0.0.1:{port}")
    assert not finding.ok and "is not a NATS server" in finding.message


def test_a_missing_key_file_and_an_unreadable_certificate_are_named(tmp_path: Path) -> None:
    cert, _ = _certificate(tmp_path, "c", not_after=NOW + timedelta(days=5))
    findings = check_certificates(Settings(tls_cert_file=cert, tls_key_file=str(tmp_path / "nokey.pem")), NOW)
    assert [f.ok for f in findings] == [True, False]
    assert findings[0].warning and "expires on" in str(findings[0]) and str(findings[0]).startswith("WARN")
    assert "cannot be read" in findings[1].message
    (finding,) = check_certificates(Settings(tls_cert_file=str(tmp_path / "none.pem")), NOW)
    assert not finding.ok and "cannot be read" in finding.message
    assert check_ports(Settings(ocpp_port=0, http_port=0)) == []


async def test_the_database_check_reads_sqlite_and_postgresql(tmp_path: Path) -> None:
    from opencsms.doctor import check_database
    from opencsms.store import Store
    from tests.db_fixtures import DEFAULT_PG_ADMIN_URL

    url = f"sqlite+aiosqlite:///{tmp_path / 'opencsms.db'}"
    await (await Store.open(url)).close()
    database, clock = await check_database(Settings(database_url=url), NOW)
    assert database.ok and "schema 0" in database.message and clock.ok
    import sqlite3

    with sqlite3.connect(tmp_path / "opencsms.db") as db:  # a station seen an hour from now
        seen = (NOW + timedelta(hours=1)).strftime("%Y-%m-%d %H:%M:%S.%f")
        db.execute("INSERT INTO stations (id, registration_status, connected, last_seen, created_at)"
                   " VALUES ('CP1', 'Accepted', 0, ?, ?)", (seen, seen))  # fmt: skip
    db.close()
    _, clock = await check_database(Settings(database_url=url), NOW)
    assert not clock.ok and "is behind the newest time in the database" in clock.message
    (tmp_path / "junk.db").write_bytes(b"junk" * 1000)
    (junk,) = await check_database(Settings(database_url=f"sqlite:///{tmp_path / 'junk.db'}"), NOW)
    assert not junk.ok and "cannot be read as SQLite" in junk.message
    now = datetime.now(UTC)  # the PostgreSQL server's clock is compared with it
    database, clock = await check_database(Settings(database_url=DEFAULT_PG_ADMIN_URL), now)
    assert database.ok and database.message.startswith("PostgreSQL at 127.0.0.1:5432") and clock.ok
    skewed = await check_database(Settings(database_url=DEFAULT_PG_ADMIN_URL), now - timedelta(minutes=3))
    assert not skewed[1].ok and "away from the database server's" in skewed[1].message
