from __future__ import annotations

import pytest

from opencsms.security.passwords import (
    WeakPassword,
    authorization_key_v16,
    check_password_rules,
    generate_password,
    hash_password,
    verify_password,
)


def test_a_hash_verifies_its_password_only() -> None:
    stored = hash_password("sixteen-chars-ok")
    assert stored.startswith("scrypt$14$8$1$") and "sixteen-chars-ok" not in stored
    assert verify_password("sixteen-chars-ok", stored)
    assert not verify_password("sixteen-chars-oK", stored)


def test_the_same_password_hashes_differently_each_time() -> None:
    assert hash_password("sixteen-chars-ok") != hash_password("sixteen-chars-ok")


@pytest.mark.parametrize(
    "stored", ["", "plain", "bcrypt$1$2$3$AA==$AA==", "scrypt$x$8$1$AA==$AA==", "scrypt$14$8$1$!$!"]
)
def test_a_malformed_hash_verifies_nothing(stored: str) -> None:
    assert not verify_password("sixteen-chars-ok", stored)


@pytest.mark.parametrize(
    ("password", "version"),
    [
        ("short", None),
        ("x" * 41, None),
        ("x" * 21, "1.6"),
        ("sixteen chars ok", None),
        ("sixteen-chars-é!", None),
    ],
)
def test_passwords_breaking_the_ocpp_rules_are_refused(password: str, version: str | None) -> None:
    with pytest.raises(WeakPassword):
        check_password_rules(password, version)


def test_passwords_within_the_rules_pass() -> None:
    check_password_rules("x" * 40, "2.0.1")
    check_password_rules("x" * 20, "1.6")
    check_password_rules(generate_password(), "1.6")


def test_generated_passwords_are_random() -> None:
    assert len({generate_password() for _ in range(20)}) == 20


def test_the_16_authorization_key_is_the_hex_of_the_password() -> None:
    assert authorization_key_v16("dk2q0rfu2q0f-2f0rdg") == "646b327130726675327130662d326630726467"
