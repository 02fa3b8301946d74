"""Every list the API answers pages the same way: ``{items, total, limit, offset}`` with
``limit``/``offset`` parameters (exports, which answer everything at once, aside). The routes come
from the server's /openapi.json, so a list added later is checked too."""

from __future__ import annotations

from typing import Any

import httpx

PAGE_FIELDS = {"items", "total", "limit", "offset"}
#: Never ends (server-sent events).
STREAMS = {"/api/v1/events"}
#: Exports (``.../export.csv``, ``.../export.json``) answer every matching row in one document.
EXPORT = "/export."
STATION = SITE = "CP-PAGE"  # also the tariff's id


def _resolve(spec: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
    return schema


def _url(path: str, operation: dict[str, Any]) -> str:
    for parameter in operation.get("parameters", []):
        if parameter["in"] == "path":
            value = "1" if parameter["schema"].get("type") == "integer" else STATION
            path = path.replace(f"{{{parameter['name']}}}", value)
    return path


def _get_operations(spec: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    return [
        (path, operations["get"])
        for path, operations in spec["paths"].items()
        if "get" in operations and path not in STREAMS and EXPORT not in path
    ]


def _is_list(schema: dict[str, Any]) -> bool:
    return schema.get("type") == "array" or "items" in schema.get("properties", {})


async def test_every_list_route_is_documented_as_a_page(client: httpx.AsyncClient) -> None:
    spec = (await client.get("/openapi.json")).json()
    lists, failures = 0, []
    for path, operation in _get_operations(spec):
        content = operation["responses"].get("200", {}).get("content", {})
        schema = _resolve(spec, content.get("application/json", {}).get("schema", {}))
        if not _is_list(schema):
            continue
        lists += 1
        query = {p["name"] for p in operation.get("parameters", []) if p["in"] == "query"}
        if not set(schema.get("properties", {})) >= PAGE_FIELDS or not {"limit", "offset"} <= query:
            failures.append(f"GET {path}: {sorted(schema.get('properties', {}))}, parameters {sorted(query)}")
    assert lists >= 17  # stations, connectors, history, transactions, tokens, groups, ...
    assert not failures, "\n".join(failures)


async def test_every_list_route_answers_a_page(client: httpx.AsyncClient) -> None:
    """What the routes really answer, lists that the document types loosely included."""
    assert (await client.post("/api/v1/stations", json={"id": STATION})).status_code == 201
    assert (await client.put(f"/api/v1/sites/{SITE}", json={"limit_kw": 50})).status_code == 200
    tariff = {
        "currency": "EUR",
        "elements": [{"price_components": [{"type": "ENERGY", "price": 0.1, "step_size": 1}]}],
    }
    assert (await client.put(f"/api/v1/tariffs/{STATION}", json=tariff)).status_code == 201
    hook = await client.post("/api/v1/webhooks", json={"url": "http://127.0.0.1:9/hook"})
    assert hook.status_code == 201 and hook.json()["id"] == 1
    spec = (await client.get("/openapi.json")).json()
    pages, failures = 0, []
    for path, operation in _get_operations(spec):
        answer = await client.get(_url(path, operation), params={"limit": 2, "offset": 0})
        if answer.status_code != 200 or not answer.headers["content-type"].startswith("application/json"):
            continue
        body = answer.json()
        if isinstance(body, list):
            failures.append(f"GET {path}: a bare list")
        elif isinstance(body, dict) and "items" in body:
            pages += 1
            if set(body) != PAGE_FIELDS or (body["limit"], body["offset"]) != (2, 0):
                failures.append(f"GET {path}: {sorted(body)} limit={body.get('limit')}")
    assert pages >= 17
    assert not failures, "\n".join(failures)
