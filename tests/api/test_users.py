"""Users over HTTP: admins manage them; a browser logs in with a name and password; sessions end at
once on logout, an admin's revoke or disabling the user, on every node sharing the database."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx

from opencsms.runtime import Runtime
from tests.api.conftest import Keys
from tests.conftest import admin_key, auth

PASSWORD = "a long enough password"


async def test_only_admins_manage_users(
    client: httpx.AsyncClient, anonymous: httpx.AsyncClient, keys: Keys
) -> None:
    for role in ("viewer", "operator"):
        headers = auth(keys.of(role))
        assert (await anonymous.get("/api/v1/users", headers=headers)).status_code == 403
        made = await anonymous.post("/api/v1/users", json={"name": "x", "role": "admin"}, headers=headers)
        assert made.status_code == 403
    created = await client.post(
        "/api/v1/users", json={"name": "erin", "role": "operator", "password": PASSWORD}
    )
    assert created.status_code == 201
    body = created.json()
    assert (body["name"], body["role"], body["has_password"], body["disabled_at"]) == (
        "erin",
        "operator",
        True,
        None,
    )
    assert "password" not in body and "password_hash" not in body
    assert (await client.post("/api/v1/users", json={"name": "erin"})).status_code == 409
    short = await client.post("/api/v1/users", json={"name": "fred", "password": "short"})
    assert short.status_code == 422 and "password" in short.json()["detail"]
    bad_name = await client.post("/api/v1/users", json={"name": "no spaces please"})
    assert bad_name.status_code == 422 and "name" in bad_name.json()["detail"]
    names = [u["name"] for u in (await client.get("/api/v1/users")).json()["items"]]
    assert names == ["admin", "erin"]  # the first start's admin owns the first key
    assert (await client.get("/api/v1/users/999")).status_code == 404


async def test_a_browser_logs_in_with_a_name_and_password(server: Runtime, client: httpx.AsyncClient) -> None:
    await client.post("/api/v1/users", json={"name": "erin", "role": "operator", "password": PASSWORD})
    async with httpx.AsyncClient(base_url=server.http_url) as browser:
        assert (
            await browser.post("/api/v1/session", json={"user": "erin", "password": "nope" * 4})
        ).status_code == 401
        assert (
            await browser.post("/api/v1/session", json={"user": "nobody", "password": PASSWORD})
        ).status_code == 401
        missing = await browser.post("/api/v1/session", json={"user": "erin"})
        assert missing.status_code == 422 and "password" in missing.json()["detail"]
        login = await browser.post("/api/v1/session", json={"user": "erin", "password": PASSWORD})
        assert login.json() == {"name": "erin", "role": "operator", "key": None, "auth": "session"}
        assert "httponly" in login.headers["set-cookie"].lower()
        assert (await browser.post("/api/v1/stations/CP-X/commands/reset")).status_code == 404
        assert (await browser.get("/api/v1/users")).status_code == 403  # an operator, not an admin
    users = (await client.get("/api/v1/users")).json()["items"]
    assert [u["last_login_at"] is not None for u in users] == [False, True]


async def test_logging_out_ends_the_session_on_the_server(server: Runtime, client: httpx.AsyncClient) -> None:
    await client.post("/api/v1/users", json={"name": "erin", "role": "viewer", "password": PASSWORD})
    async with httpx.AsyncClient(base_url=server.http_url) as browser:
        await browser.post("/api/v1/session", json={"user": "erin", "password": PASSWORD})
        stolen = browser.cookies["opencsms_session"]
        assert (await browser.delete("/api/v1/session")).status_code == 204
    async with httpx.AsyncClient(base_url=server.http_url, cookies={"opencsms_session": stolen}) as replay:
        assert (await replay.get("/api/v1/stations")).status_code == 401


async def test_an_admin_revokes_a_session_and_disables_a_user(
    server: Runtime, client: httpx.AsyncClient
) -> None:
    erin = (await client.post("/api/v1/users", json={"name": "erin", "password": PASSWORD})).json()
    async with (
        httpx.AsyncClient(base_url=server.http_url) as first,
        httpx.AsyncClient(base_url=server.http_url) as second,
    ):
        await first.post("/api/v1/session", json={"user": "erin", "password": PASSWORD})
        await second.post("/api/v1/session", json={"user": "erin", "password": PASSWORD})
        sessions = (await client.get("/api/v1/login-sessions", params={"user_id": erin["id"]})).json()
        assert sessions["total"] == 2 and {s["client_address"] for s in sessions["items"]} == {"127.0.0.1"}
        newest = sessions["items"][0]
        assert newest["method"] == "password" and newest["user_name"] == "erin"
        revoked = await client.delete(f"/api/v1/login-sessions/{newest['id']}")
        assert revoked.status_code == 200 and revoked.json()["revoked_at"] is not None
        assert (await second.get("/api/v1/stations")).status_code == 401
        assert (await first.get("/api/v1/stations")).status_code == 200
        assert (await client.delete("/api/v1/login-sessions/99999")).status_code == 404

        disabled = await client.patch(f"/api/v1/users/{erin['id']}", json={"disabled": True})
        assert disabled.json()["disabled_at"] is not None
        assert (await first.get("/api/v1/stations")).status_code == 401
        again = await first.post("/api/v1/session", json={"user": "erin", "password": PASSWORD})
        assert again.status_code == 401
        await client.patch(f"/api/v1/users/{erin['id']}", json={"disabled": False})
        assert (
            await first.post("/api/v1/session", json={"user": "erin", "password": PASSWORD})
        ).status_code == 200
        await client.put(f"/api/v1/users/{erin['id']}/password", json={"password": PASSWORD + "!"})
        assert (await first.get("/api/v1/stations")).status_code == 401


async def test_keys_belong_to_users_and_never_exceed_their_role(
    client: httpx.AsyncClient, anonymous: httpx.AsyncClient
) -> None:
    erin = (await client.post("/api/v1/users", json={"name": "erin", "role": "operator"})).json()
    too_high = await client.post(
        "/api/v1/api-keys", json={"name": "e", "role": "admin", "user_id": erin["id"]}
    )
    assert too_high.status_code == 422 and "role" in too_high.json()["detail"]
    ghost = await client.post("/api/v1/api-keys", json={"name": "g", "user_id": 4242})
    assert ghost.status_code == 422 and "user_id" in ghost.json()["detail"]
    key = (
        await client.post("/api/v1/api-keys", json={"name": "e", "role": "operator", "user_id": erin["id"]})
    ).json()
    assert key["user_name"] == "erin"
    me = (await anonymous.get("/api/v1/session", headers=auth(key["key"]))).json()
    assert (me["name"], me["key"], me["role"]) == ("erin", "e", "operator")
    await client.patch(f"/api/v1/users/{erin['id']}", json={"role": "viewer"})
    assert (await anonymous.get("/api/v1/session", headers=auth(key["key"]))).json()["role"] == "viewer"
    await client.patch(f"/api/v1/users/{erin['id']}", json={"disabled": True})
    assert (await anonymous.get("/api/v1/session", headers=auth(key["key"]))).status_code == 401


async def test_a_logout_on_one_node_ends_the_session_on_another(
    server_factory: Callable[..., Any],
) -> None:
    node_a: Runtime = await server_factory()
    node_b: Runtime = await server_factory()
    try:
        async with httpx.AsyncClient(base_url=node_a.http_url, headers=auth(admin_key(node_a))) as admin:
            await admin.post("/api/v1/users", json={"name": "erin", "password": PASSWORD})
        async with httpx.AsyncClient(base_url=node_a.http_url) as on_a:
            await on_a.post("/api/v1/session", json={"user": "erin", "password": PASSWORD})
            cookie = on_a.cookies["opencsms_session"]
            async with httpx.AsyncClient(
                base_url=node_b.http_url, cookies={"opencsms_session": cookie}
            ) as on_b:
                assert (await on_b.get("/api/v1/stations")).status_code == 200
                assert (await on_a.delete("/api/v1/session")).status_code == 204
                assert (await on_b.get("/api/v1/stations")).status_code == 401
    finally:
        await node_b.stop()
        await node_a.stop()
