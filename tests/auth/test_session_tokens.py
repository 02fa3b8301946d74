from __future__ import annotations

from opencsms.auth import Role, SessionSigner


def test_a_token_names_its_key_until_it_expires() -> None:
    signer = SessionSigner("secret")
    token = signer.issue(7, expires_at=1000)
    assert signer.verify(token, now=999) == 7
    assert signer.verify(token, now=1000) is None


def test_tampered_or_foreign_tokens_are_refused() -> None:
    signer = SessionSigner("secret")
    key_id, expiry, mac = signer.issue(7, expires_at=1000).split(".")
    assert signer.verify(f"8.{expiry}.{mac}", now=0) is None
    assert signer.verify(f"{key_id}.9999.{mac}", now=0) is None
    assert SessionSigner("other").verify(f"{key_id}.{expiry}.{mac}", now=0) is None
    for junk in ("", "a.b.c", "1.2", "1.2.3.4", "-1.5.x"):
        assert signer.verify(junk, now=0) is None


def test_without_a_secret_each_signer_has_its_own() -> None:
    assert SessionSigner().verify(SessionSigner().issue(1, 10**10), now=0) is None


def test_roles_are_ordered() -> None:
    assert Role.ADMIN.allows(Role.OPERATOR) and Role.OPERATOR.allows(Role.VIEWER)
    assert not Role.VIEWER.allows(Role.OPERATOR) and not Role.OPERATOR.allows(Role.ADMIN)


def test_a_sealed_token_comes_back_only_unaltered_and_in_time() -> None:
    signer = SessionSigner("secret")
    token = signer.seal({"state": "abc", "next": "/stations"}, expires_at=1000)
    assert signer.unseal(token, now=999) == {"state": "abc", "next": "/stations"}
    assert signer.unseal(token, now=1000) is None
    mac = token.rsplit(".", 1)[1]
    other = SessionSigner("secret").seal({"state": "xyz", "next": "/"}, expires_at=1000)
    assert signer.unseal(other.rsplit(".", 1)[0] + "." + mac, now=0) is None
    assert SessionSigner("another").unseal(token, now=0) is None
    for junk in ("", ".", "abc", "a.b", "!!!." + mac):
        assert signer.unseal(junk, now=0) is None
