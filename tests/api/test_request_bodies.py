"""Every JSON request body refuses fields it does not know: a 422 problem naming them.

The routes come from the server's own /openapi.json, so a route added later is checked too.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from opencsms.domain import commands as c
from opencsms.runtime import Runtime
from tests.e2e.wsclient import RawStation

UNKNOWN = "zz_not_a_field"


def _resolve(spec: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    """The schema behind ``$ref`` and ``anyOf [X, null]``."""
    while True:
        if "$ref" in schema:
            name = schema["$ref"].rsplit("/", 1)[-1]
            schema = spec["components"]["schemas"][name]
        elif "anyOf" in schema:
            schema = next(s for s in schema["anyOf"] if s.get("type") != "null")
        else:
            return schema


def _path_value(parameter: dict[str, Any]) -> str:
    if parameter["name"] == "command":
        return "reset"
    return "1" if parameter["schema"].get("type") == "integer" else "CP-BODY"


def _routes_with_bodies(spec: dict[str, Any]) -> list[tuple[str, str, Any]]:
    routes = []
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            content = operation.get("requestBody", {}).get("content", {})
            if "application/json" not in content:
                continue
            url = path
            for parameter in operation.get("parameters", []):
                if parameter["in"] == "path":
                    url = url.replace(f"{{{parameter['name']}}}", _path_value(parameter))
            schema = _resolve(spec, content["application/json"]["schema"])
            body: Any = {UNKNOWN: 1}
            if schema.get("type") == "array":
                body = [body]
            routes.append((method.upper(), url, body))
    return routes


async def test_every_route_with_a_json_body_refuses_an_unknown_field(client: httpx.AsyncClient) -> None:
    spec = (await client.get("/openapi.json")).json()
    routes = _routes_with_bodies(spec)
    assert len(routes) > 45  # commands, stations, tokens, keys, webhooks, sites, security, ...
    failures = []
    for method, url, body in routes:
        answer = await client.request(method, url, json=body)
        problem = answer.json() if answer.content else {}
        if (
            answer.status_code != 422
            or answer.headers["content-type"] != "application/problem+json"
            or f"{UNKNOWN}: unknown field" not in problem.get("detail", "")
        ):
            failures.append(f"{method} {url}: {answer.status_code} {answer.text[:200]}")
    assert not failures, "\n".join(failures)


async def test_a_misspelt_reset_type_is_refused_and_nothing_is_sent(
    server: Runtime, client: httpx.AsyncClient
) -> None:
    station = await RawStation.open(server.ocpp_url, "CP-MISSPELT")
    try:
        answer = await client.post("/api/v1/stations/CP-MISSPELT/commands/reset", json={"type": "Hard"})
        assert answer.status_code == 422 and answer.headers["content-type"] == "application/problem+json"
        assert answer.json()["detail"] == "body.type: unknown field"
        with pytest.raises(TimeoutError):
            await station.recv(timeout=0.3)  # no Reset reached the station
    finally:
        await station.close()


def test_a_command_from_its_dict_form_names_unknown_arguments() -> None:
    with pytest.raises(c.InvalidCommand, match=r"unknown argument\(s\) type; it takes evse_id, kind"):
        c.command_from_dict({"command": "reset", "args": {"type": "Hard"}})


async def test_a_charging_profile_in_a_body_refuses_unknown_fields_at_every_level(
    client: httpx.AsyncClient,
) -> None:
    period = {"startPeriod": 0, "limit": 16}
    schedule = {"chargingRateUnit": "A", "chargingSchedulePeriod": [period]}
    profile = {
        "id": 1,
        "stackLevel": 0,
        "chargingProfilePurpose": "TxDefaultProfile",
        "chargingProfileKind": "Absolute",
        "chargingSchedule": [schedule],
    }
    typos = {
        "validTill": {**profile, "validTill": "2030-01-01T00:00:00Z"},
        "chargingSchedule[0].startScheduel": {
            **profile,
            "chargingSchedule": [{**schedule, "startScheduel": "2030-01-01T00:00:00Z"}],
        },
        "chargingSchedule[0].chargingSchedulePeriod[0].numberPhase": {
            **profile,
            "chargingSchedule": [{**schedule, "chargingSchedulePeriod": [{**period, "numberPhase": 1}]}],
        },
    }
    for field, body in typos.items():
        answer = await client.post("/api/v1/stations/CP-BODY/charging-profiles", json={"profile": body})
        assert answer.status_code == 422 and answer.json()["detail"] == f"{field}: unknown field"
    sent = await client.post("/api/v1/stations/CP-BODY/charging-profiles", json={"profile": profile})
    assert sent.status_code == 409  # well formed: it got as far as the station, which is offline
