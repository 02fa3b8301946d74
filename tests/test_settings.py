"""Settings from a TOML config file, equivalent to the OPENCSMS_* variables; the environment wins."""

from __future__ import annotations

from pathlib import Path

import pytest

from opencsms.settings import Settings, masked


def _file(tmp_path: Path, text: str) -> str:
    path = tmp_path / "opencsms.toml"
    path.write_text(text)
    return str(path)


def test_a_config_file_sets_what_the_variables_set_and_the_environment_wins(tmp_path: Path) -> None:
    config = _file(
        tmp_path,
        'ocpp_port = 9100\nhttp_port = 8100\ndatabase_url = "sqlite:///srv/csms.db"\ncall_timeout = 12\n',
    )
    env = {"OPENCSMS_CONFIG_FILE": config, "OPENCSMS_HTTP_PORT": "8200"}
    settings = Settings.from_env(env)
    assert (settings.ocpp_port, settings.http_port) == (9100, 8200)
    assert settings.database_url == "sqlite:///srv/csms.db" and settings.call_timeout == 12.0
    assert Settings.from_env(env, ocpp_port=9300).ocpp_port == 9300  # the command line wins over both
    sources = settings.sources(env)
    assert sources["ocpp_port"] == "file" and sources["http_port"] == "OPENCSMS_HTTP_PORT"
    assert sources["log_level"] == "default"


def test_unknown_keys_are_an_error_naming_each(tmp_path: Path) -> None:
    config = _file(tmp_path, "ocpp_port = 9100\nocpp_prot = 1\nhttp_hots = 'x'\n")
    with pytest.raises(ValueError, match="unknown setting\\(s\\) http_hots, ocpp_prot"):
        Settings.from_env({"OPENCSMS_CONFIG_FILE": config})


def test_a_value_of_the_wrong_type_or_a_broken_file_is_said_plainly(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="ocpp_port must be an integer, not '9000'"):
        Settings.from_env({"OPENCSMS_CONFIG_FILE": _file(tmp_path, 'ocpp_port = "9000"\n')})
    with pytest.raises(ValueError, match="not valid TOML"):
        Settings.from_env({"OPENCSMS_CONFIG_FILE": _file(tmp_path, "ocpp_port = \n")})
    with pytest.raises(ValueError, match="cannot read it"):
        Settings.from_env({"OPENCSMS_CONFIG_FILE": str(tmp_path / "missing.toml")})


def test_secrets_and_url_passwords_are_masked() -> None:
    assert masked("session_secret", "s3cret") == "***"
    assert masked("oidc_client_secret", "") == ""
    assert masked("database_url", "postgresql+asyncpg://csms:pw@db/opencsms") == (
        "postgresql+asyncpg://csms:***@db/opencsms"
    )
    assert masked("bus_url", "nats://127.0.0.1:4222") == "nats://127.0.0.1:4222"
