"""Make the OpenAPI document say what errors really look like: RFC 9457 problem+json.

FastAPI documents validation errors as its own JSON shape; this API answers every error,
422 included, with a problem document. The document also lists 401 and 403 for /api/v1
operations, which the authentication middleware may answer.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from opencsms.api.problems import PROBLEM_JSON

PROBLEM_SCHEMA: dict[str, Any] = {
    "title": "Problem",
    "type": "object",
    "description": "RFC 9457 problem details",
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "instance": {"type": "string"},
    },
    "required": ["type", "title", "status", "detail"],
}
_PROBLEM_CONTENT = {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}}
_AUTH_ERRORS = {
    "401": "no valid API key or session",
    "403": "the caller's role may not do this",
}


def _document(schema: dict[str, Any]) -> dict[str, Any]:
    schema.setdefault("components", {}).setdefault("schemas", {})["Problem"] = PROBLEM_SCHEMA
    schemas = schema["components"]["schemas"]
    for name in ("HTTPValidationError", "ValidationError"):
        schemas.pop(name, None)
    for path, operations in schema.get("paths", {}).items():
        for operation in operations.values():
            responses = operation.setdefault("responses", {})
            if path.startswith("/api/v1") and path != "/api/v1/session":
                for status, description in _AUTH_ERRORS.items():
                    responses.setdefault(status, {"description": description})
            if operation.get("parameters") or operation.get("requestBody"):
                responses.setdefault("422", {"description": "invalid request"})
            for status, response in responses.items():
                if status[:1] in ("4", "5"):
                    response["content"] = _PROBLEM_CONTENT
                    if response.get("description") == "Validation Error":
                        response["description"] = "invalid request"
    return schema


def document_problems(app: FastAPI) -> None:
    """Replace ``app.openapi`` with one that documents problem+json errors."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = _document(
                get_openapi(
                    title=app.title,
                    version=app.version,
                    summary=app.summary,
                    description=app.description,
                    routes=app.routes,
                )
            )
        return app.openapi_schema

    generate: Callable[[], dict[str, Any]] = openapi
    app.openapi = generate  # type: ignore[method-assign]
