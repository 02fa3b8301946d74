"""Id tokens over HTTP: create, replace, block, expiry, groups, delete."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx

from opencsms.runtime import Runtime


async def test_token_lifecycle(server: Runtime, client: httpx.AsyncClient) -> None:
    created = await client.post("/api/v1/id-tokens", json={"id_token": "RFID-1", "parent_id_token": "FLEET"})
    assert created.status_code == 201 and created.json()["status"] == "Accepted"
    assert (await client.post("/api/v1/id-tokens", json={"id_token": "RFID-1"})).status_code == 409
    expiry = (datetime.now(UTC) - timedelta(days=1)).isoformat()
    put = await client.put(
        "/api/v1/id-tokens/RFID-2", json={"expiry_date": expiry, "parent_id_token": "FLEET"}
    )
    assert put.status_code == 200
    info = await server.domain.tokens.authorize("RFID-2", datetime.now(UTC))
    assert str(info.status) == "Expired"
    blocked = await client.post("/api/v1/id-tokens/RFID-1/block")
    assert blocked.json()["status"] == "Blocked"
    assert (await client.post("/api/v1/id-tokens/NOPE/block")).status_code == 404
    group = (await client.get("/api/v1/id-tokens", params={"parent_id_token": "FLEET"})).json()
    assert group["total"] == 2
    only_blocked = (await client.get("/api/v1/id-tokens", params={"status": "Blocked"})).json()
    assert [t["id_token"] for t in only_blocked["items"]] == ["RFID-1"]
    assert (await client.get("/api/v1/id-token-groups")).json() == {
        "items": [{"parent_id_token": "FLEET", "members": 2}],
        "total": 1,
        "limit": 50,
        "offset": 0,
    }
    assert (await client.get("/api/v1/id-tokens/RFID-2")).json()["parent_id_token"] == "FLEET"
    assert (await client.delete("/api/v1/id-tokens/RFID-2")).status_code == 204
    assert (await client.get("/api/v1/id-tokens/RFID-2")).status_code == 404
    assert (await client.delete("/api/v1/id-tokens/RFID-2")).status_code == 404
    bad = await client.put("/api/v1/id-tokens/X", json={"status": "ConcurrentTx"})
    assert bad.status_code == 422 and bad.headers["content-type"] == "application/problem+json"
