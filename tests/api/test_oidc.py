"""OpenID Connect login for the dashboard, against a real OpenID Connect provider run on
127.0.0.1 (the oidc-provider-mock package: discovery, signed ID tokens, published keys, one-use
authorization codes), driven as a browser would: redirect, the provider's login form, callback."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from authlib.oauth2.rfc7636 import create_s256_code_challenge

from opencsms.auth import Role
from opencsms.auth.oidc import OidcConfig, OidcError, OidcLogin
from opencsms.runtime import Runtime
from tests.conftest import admin_key, auth

CLIENT_ID = "opencsms-dashboard"
USERS = [
    {"sub": "alice-sub", "preferred_username": "alice", "opencsms_role": "operator"},
    {"sub": "grace-sub", "preferred_username": "grace", "opencsms_role": ["staff", "admin"]},
    {"sub": "nobody-sub", "preferred_username": "nobody"},
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def provider() -> Iterator[str]:
    """The provider's issuer URL; the process is stopped after the module's tests."""
    port = _free_port()
    command = [sys.executable, "-m", "oidc_provider_mock", "--host", "127.0.0.1", "--port", str(port)]
    for user in USERS:
        command += ["--user-claims", json.dumps(user)]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    issuer = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    try:
        while True:
            try:
                if httpx.get(issuer + "/.well-known/openid-configuration", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the OIDC provider did not start: {process.stderr.read()!r}")  # type: ignore[union-attr]
            time.sleep(0.1)
        yield issuer
    finally:
        process.terminate()
        process.wait(10)
        if process.stderr is not None:
            process.stderr.close()


@pytest.fixture
async def server(provider: str, server_factory: Callable[..., Any]) -> Any:
    # This provider's token endpoint wants client authentication (client_secret_basic): a
    # confidential client, as a dashboard served by a server is.
    rt: Runtime = await server_factory(
        oidc_issuer=provider, oidc_client_id=CLIENT_ID, oidc_client_secret="dashboard-secret"
    )
    try:
        yield rt
    finally:
        await rt.stop()


async def _log_in(browser: httpx.AsyncClient, subject: str, next_path: str = "/stations") -> httpx.Response:
    """Start at the dashboard, log in at the provider as ``subject``, come back: the last answer."""
    start = await browser.get("/auth/oidc/login", params={"next": next_path})
    assert start.status_code == 302
    # The provider's login page is a form that posts the subject to the same address.
    async with httpx.AsyncClient() as at_provider:
        answer = await at_provider.post(start.headers["location"], data={"sub": subject})
    assert answer.status_code == 302, answer.text
    callback = answer.headers["location"]
    assert callback.startswith(str(browser.base_url) + "/auth/oidc/callback?")
    return await browser.get(callback)


async def test_a_user_logs_in_at_the_provider_and_gets_the_role_of_their_claim(
    server: Runtime, provider: str
) -> None:
    async with httpx.AsyncClient(base_url=server.http_url) as browser:
        start = await browser.get("/auth/oidc/login", params={"next": "/stations"})
        sent = parse_qs(urlsplit(start.headers["location"]).query)
        assert start.headers["location"].startswith(provider + "/")
        assert sent["response_type"] == ["code"] and sent["client_id"] == [CLIENT_ID]
        assert sent["code_challenge_method"] == ["S256"] and len(sent["code_challenge"][0]) == 43
        assert sent["redirect_uri"] == [server.http_url + "/auth/oidc/callback"]
        assert "openid" in sent["scope"][0].split() and sent["state"] and sent["nonce"]
        assert "httponly" in start.headers["set-cookie"].lower()

        back = await _log_in(browser, "alice-sub")
        assert back.status_code == 302 and back.headers["location"] == "/stations"
        me = (await browser.get("/api/v1/session")).json()
        assert me == {"name": "alice", "role": "operator", "key": None, "auth": "session"}
        assert (await browser.post("/api/v1/stations/CP-X/commands/reset")).status_code == 404
        assert (await browser.get("/api/v1/users")).status_code == 403

    async with httpx.AsyncClient(base_url=server.http_url, headers=auth(admin_key(server))) as admin:
        users = {u["name"]: u for u in (await admin.get("/api/v1/users")).json()["items"]}
        assert users["alice"]["oidc"] is True and users["alice"]["has_password"] is False
        entry = (await admin.get("/api/v1/audit", params={"action": "login oidc"})).json()["items"][0]
        assert (entry["user_name"], entry["status"], entry["client_address"]) == ("alice", 200, "127.0.0.1")
        sessions = (await admin.get("/api/v1/login-sessions")).json()["items"]
        assert [(s["user_name"], s["method"]) for s in sessions] == [("alice", "oidc")]


async def test_the_highest_role_among_the_claims_values_wins(server: Runtime) -> None:
    async with httpx.AsyncClient(base_url=server.http_url) as browser:
        await _log_in(browser, "grace-sub")
        assert (await browser.get("/api/v1/session")).json()["role"] == "admin"


async def test_an_identity_without_a_role_is_refused_and_recorded(server: Runtime) -> None:
    async with httpx.AsyncClient(base_url=server.http_url) as browser:
        back = await _log_in(browser, "nobody-sub")
        assert back.status_code == 302 and back.headers["location"].startswith("/login?error=")
        assert "no opencsms role" in parse_qs(urlsplit(back.headers["location"]).query)["error"][0]
        assert (await browser.get("/api/v1/session")).status_code == 401
    async with httpx.AsyncClient(base_url=server.http_url, headers=auth(admin_key(server))) as admin:
        entry = (await admin.get("/api/v1/audit", params={"action": "login oidc"})).json()["items"][0]
        assert (entry["status"], entry["auth"]) == (403, "none")


async def test_a_forged_state_a_replayed_code_or_a_missing_flow_is_refused(server: Runtime) -> None:
    async with httpx.AsyncClient(base_url=server.http_url) as browser:
        start = await browser.get("/auth/oidc/login")
        async with httpx.AsyncClient() as at_provider:
            answer = await at_provider.post(start.headers["location"], data={"sub": "alice-sub"})
        callback = urlsplit(answer.headers["location"])
        code = parse_qs(callback.query)["code"][0]
        forged = await browser.get("/auth/oidc/callback", params={"code": code, "state": "forged"})
        assert forged.headers["location"].startswith("/login?error=")
        assert (await browser.get("/api/v1/session")).status_code == 401

        # Without the flow cookie (another browser, or a login never started here).
        async with httpx.AsyncClient(base_url=server.http_url) as stranger:
            lost = await stranger.get(f"/auth/oidc/callback?{callback.query}")
            assert lost.headers["location"].startswith("/login?error=")

        await _log_in(browser, "alice-sub")
        assert (await browser.get("/api/v1/session")).status_code == 200
        # The same code again, with a fresh flow: the provider has spent it.
        browser.cookies.clear()
        again = await browser.get("/auth/oidc/login")
        assert again.status_code == 302
        state = parse_qs(urlsplit(again.headers["location"]).query)["state"][0]
        replay = await browser.get("/auth/oidc/callback", params={"code": code, "state": state})
        assert replay.headers["location"].startswith("/login?error=")
        assert (await browser.get("/api/v1/session")).status_code == 401


async def test_without_an_issuer_there_is_no_oidc_login(
    server_factory: Callable[..., Any], tmp_path: Any
) -> None:
    rt: Runtime = await server_factory()
    try:
        async with httpx.AsyncClient(base_url=rt.http_url) as browser:
            assert (await browser.get("/auth/oidc/login")).status_code == 404
            assert "single sign-on" not in (await browser.get("/login")).text
    finally:
        await rt.stop()


async def test_the_login_page_offers_single_sign_on(server: Runtime) -> None:
    async with httpx.AsyncClient(base_url=server.http_url) as browser:
        assert 'href="/auth/oidc/login"' in (await browser.get("/login")).text


async def test_the_pkce_challenge_is_the_s256_of_the_verifier_kept_for_the_callback(provider: str) -> None:
    login = OidcLogin(OidcConfig(issuer=provider, client_id=CLIENT_ID))
    url, flow = await login.begin("http://127.0.0.1:1/cb", "/")
    sent = parse_qs(urlsplit(url).query)
    assert sent["code_challenge"] == [create_s256_code_challenge(flow.code_verifier)]
    assert sent["state"] == [flow.state] and sent["nonce"] == [flow.nonce] and len(flow.code_verifier) >= 43


def test_claim_values_map_to_roles() -> None:
    mapped = OidcLogin(
        OidcConfig(
            issuer="x",
            client_id="y",
            role_claim="realm_access.roles",
            role_map=OidcConfig.parse_role_map("admin=csms-admins; operator=ops, field"),
        )
    )
    assert mapped.role_for({"realm_access": {"roles": ["field", "other"]}}) is Role.OPERATOR
    assert mapped.role_for({"realm_access": {"roles": ["ops", "csms-admins"]}}) is Role.ADMIN
    assert mapped.role_for({"realm_access": {"roles": ["operator"]}}) is None  # only the map counts
    assert mapped.role_for({}) is None
    fallback = OidcLogin(OidcConfig(issuer="x", client_id="y", default_role=Role.VIEWER))
    assert fallback.role_for({"opencsms_role": "operator"}) is Role.OPERATOR
    assert fallback.role_for({"opencsms_role": "superuser"}) is Role.VIEWER
    with pytest.raises(ValueError, match="role=value"):
        OidcConfig.parse_role_map("root=everyone")


async def test_a_provider_that_names_another_issuer_is_not_believed(provider: str) -> None:
    login = OidcLogin(OidcConfig(issuer=provider + "/", client_id=CLIENT_ID))
    with pytest.raises(OidcError, match="names itself"):
        await login.begin("http://127.0.0.1:1/cb", "/")
