"""`opencsms user ...` and `opencsms audit` on the store: each change the CLI makes is in the
audit log, as the operating system's user, from "local"."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from opencsms.cli.main import main

PASSWORD = "a long enough password"


def _stdin(monkeypatch: pytest.MonkeyPatch, text: str) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO(text))


def test_users_are_added_listed_changed_and_audited(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    db = ["--database-url", f"sqlite+aiosqlite:///{tmp_path / 'u.db'}"]
    _stdin(monkeypatch, PASSWORD + "\n")
    assert main(["user", *db, "add", "alice", "--role", "operator", "--password"]) == 0
    assert "alice (operator, password)" in capsys.readouterr().out
    assert main(["user", *db, "add", "alice"]) == 1
    assert "exists" in capsys.readouterr().err
    _stdin(monkeypatch, "short\n")
    assert main(["user", *db, "add", "bob", "--password"]) == 1
    assert main(["user", *db, "add", "bob"]) == 0
    assert main(["user", *db, "list"]) == 0
    listing = capsys.readouterr().out
    assert "alice" in listing and "bob" in listing and PASSWORD not in listing and "scrypt" not in listing
    _stdin(monkeypatch, PASSWORD + "2\n")
    assert main(["user", *db, "passwd", "bob"]) == 0
    assert main(["user", *db, "disable", "alice"]) == 0
    assert main(["user", *db, "disable", "nobody"]) == 1
    assert main(["user", *db, "role", "bob", "admin"]) == 0
    # Keys belong to a user, and are audited too.
    assert main(["apikey", *db, "create", "--name", "bob-ci", "--user", "bob", "--role", "admin"]) == 0
    assert main(["apikey", *db, "create", "--name", "x", "--user", "nobody"]) == 1
    capsys.readouterr()

    assert main(["audit", *db, "--csv"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert [(r["action"], r["target"], r["status"]) for r in rows] == [
        ("cli user add", "alice", "0"),
        ("cli user add", "alice", "1"),
        ("cli user add", "bob", "1"),
        ("cli user add", "bob", "0"),
        ("cli user passwd", "bob", "0"),
        ("cli user disable", "alice", "0"),
        ("cli user disable", "nobody", "1"),
        ("cli user role", "bob", "0"),
        ("cli apikey create", "bob-ci", "0"),
        ("cli apikey create", "x", "1"),
    ]
    assert {(r["auth"], r["client_address"]) for r in rows} == {("cli", "local")}
    assert all(r["user_name"].startswith("os:") for r in rows)
    assert main(["audit", *db, "--failed", "--limit", "2"]) == 0
    shown = capsys.readouterr()
    assert "nobody" in shown.out and "(2 of 4" in shown.err
