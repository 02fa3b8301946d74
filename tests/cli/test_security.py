"""`opencsms station set-password`, `security events`, `ca ...` on a SQLite file."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from cryptography import x509

from opencsms.cli.main import main
from opencsms.domain.services import Domain
from opencsms.security.passwords import verify_password
from opencsms.store import Store
from opencsms.store import security as security_rows


def stored_hash(url: str, station_id: str) -> str | None:
    async def read() -> str | None:
        async with await Store.open(url) as store:
            row = await store.read(lambda c: security_rows.credentials(c, station_id))
            return None if row is None else str(row.password_hash)

    return asyncio.run(read())


def test_set_password_generates_one_prints_it_once_and_stores_only_its_hash(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'db.sqlite'}"
    assert main(["station", "--database-url", url, "set-password", "CP001", "--ocpp-version", "1.6"]) == 0
    password = capsys.readouterr().out.strip().rsplit(" ", 1)[-1]
    assert len(password) == 20
    stored = stored_hash(url, "CP001")
    assert stored is not None and password not in stored and verify_password(password, stored)
    assert main(["station", "--database-url", url, "security", "--json"]) == 0
    listing = capsys.readouterr().out
    assert '"profile": 1' in listing and password not in listing and "scrypt" not in listing


def test_a_weak_password_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'db.sqlite'}"
    assert main(["station", "--database-url", url, "set-password", "CP001", "--password", "short"]) == 2
    assert "16-40 characters" in capsys.readouterr().err
    assert stored_hash(url, "CP001") is None


def test_security_events_are_listed(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'db.sqlite'}"

    async def record() -> None:
        async with await Store.open(url) as store:
            Domain(store).security.record("CP9", "AuthenticationFailed", "wrong password", "10.1.2.3")

    asyncio.run(record())
    assert main(["security", "--database-url", url, "events", "--json"]) == 0
    out = capsys.readouterr().out
    assert "AuthenticationFailed" in out and "10.1.2.3" in out


def test_ca_init_and_server_certificate(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    ca_dir = tmp_path / "ca"
    assert main(["ca", "--ca-dir", str(ca_dir), "init"]) == 0
    assert (ca_dir / "ca.key.pem").stat().st_mode & 0o077 == 0
    assert (
        main(
            [
                "ca",
                "--ca-dir",
                str(ca_dir),
                "server-cert",
                "127.0.0.1",
                "csms.example",
                "--out",
                str(tmp_path),
            ]
        )
        == 0
    )
    chain = x509.load_pem_x509_certificates((tmp_path / "server.pem").read_bytes())
    ca = x509.load_pem_x509_certificate((ca_dir / "ca.pem").read_bytes())
    chain[0].verify_directly_issued_by(ca)
    assert (tmp_path / "server.key").stat().st_mode & 0o077 == 0
