"""`opencsms apikey ...` on the store, and the key the CLI sends."""

from __future__ import annotations

from pathlib import Path

import pytest

from opencsms.cli.api_keys import cli_api_key, write_key_file
from opencsms.cli.main import main


def test_create_list_revoke(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = ["--database-url", f"sqlite+aiosqlite:///{tmp_path / 'k.db'}"]
    assert main(["apikey", *db, "create", "--name", "ci", "--role", "operator"]) == 1
    assert "no user 'admin'" in capsys.readouterr().out
    assert main(["user", *db, "add", "admin", "--role", "admin"]) == 0
    assert main(["apikey", *db, "create", "--name", "ci", "--role", "operator"]) == 0
    key = capsys.readouterr().out.splitlines()[-1]
    assert key.startswith("ocsms_")
    assert main(["apikey", *db, "create", "--name", "ci"]) == 1
    assert "exists" in capsys.readouterr().out
    assert main(["apikey", *db, "list"]) == 0
    listing = capsys.readouterr().out
    assert "ci" in listing and "operator" in listing and key not in listing
    assert main(["apikey", *db, "revoke", "ci"]) == 0
    assert '"revoked_at"' in capsys.readouterr().out
    assert main(["apikey", *db, "revoke", "nobody"]) == 1


def test_the_cli_key_comes_from_the_flag_then_the_environment_then_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "var" / "api-key"
    monkeypatch.setenv("OPENCSMS_API_KEY_FILE", str(path))
    monkeypatch.delenv("OPENCSMS_API_KEY", raising=False)
    assert cli_api_key(None) is None
    write_key_file("from-file")
    assert path.stat().st_mode & 0o777 == 0o600
    assert cli_api_key(None) == "from-file"
    monkeypatch.setenv("OPENCSMS_API_KEY", "from-env")
    assert cli_api_key(None) == "from-env"
    assert cli_api_key("from-flag") == "from-flag"


def test_the_role_choices_are_the_roles() -> None:
    from opencsms.auth import Role
    from opencsms.cli.api_keys import ROLE_NAMES

    assert sorted(ROLE_NAMES) == sorted(r.value for r in Role)
