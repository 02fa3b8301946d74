"""RFC 9457 problem+json responses: every API error has a status, a title and a clear detail."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from opencsms.domain.commands import (
    CommandError,
    CommandRejected,
    CommandTimeout,
    SentNoAnswer,
    StationOffline,
    UnknownCommand,
)

PROBLEM_JSON = "application/problem+json"

#: Problem types a client may act on (RFC 9457 ``type``); other problems are ``about:blank``.
#: Not sent: the station is not connected (``?queue=true`` keeps the command for its next boot).
STATION_OFFLINE = "urn:opencsms:problem:station-offline"
#: Sent, no answer: the station got the call and disconnected or stayed silent; it may have
#: carried it out, so the command is not queued (unless ``resend=true``).
SENT_NO_ANSWER = "urn:opencsms:problem:sent-no-answer"
#: No station of that id has ever connected or been registered (a typo?).
UNKNOWN_STATION = "urn:opencsms:problem:unknown-station"
#: The station answered the call with a CALLERROR.
STATION_REFUSED = "urn:opencsms:problem:station-refused"


class Problem(Exception):
    def __init__(self, status: int, title: str, detail: str, type_: str = "about:blank") -> None:
        super().__init__(detail)
        self.status = status
        self.title = title
        self.detail = detail
        self.type = type_


def command_problem(exc: CommandError) -> Problem:
    """The problem for a command that failed at or on the way to the station."""
    if isinstance(exc, StationOffline):
        return Problem(409, "Station offline", str(exc), STATION_OFFLINE)
    if isinstance(exc, SentNoAnswer):
        return Problem(504, "Station disconnected before answering", str(exc), SENT_NO_ANSWER)
    if isinstance(exc, CommandTimeout):
        return Problem(504, "Station did not answer", str(exc), SENT_NO_ANSWER)
    if isinstance(exc, CommandRejected):
        return Problem(502, "Station refused the call", str(exc), STATION_REFUSED)
    if isinstance(exc, UnknownCommand):
        return Problem(404, "Unknown command", str(exc))
    return Problem(422, "Invalid command", str(exc))


def problem_response(
    status: int, title: str, detail: str, instance: str, type_: str = "about:blank"
) -> JSONResponse:
    return JSONResponse(
        {"type": type_, "title": title, "status": status, "detail": detail, "instance": instance},
        status_code=status,
        media_type=PROBLEM_JSON,
    )


def install(app: FastAPI) -> None:
    """Turn every error the app raises into problem+json."""

    @app.exception_handler(Problem)
    async def _problem(request: Request, exc: Problem) -> JSONResponse:
        return problem_response(exc.status, exc.title, exc.detail, request.url.path, exc.type)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        return problem_response(exc.status_code, str(exc.detail), str(exc.detail), request.url.path)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        parts = [f"{'.'.join(str(p) for p in err['loc'])}: {_message(err)}" for err in exc.errors()]
        return problem_response(422, "Invalid request", "; ".join(parts), request.url.path)


# Pydantic's words for a field the body's schema does not have (models; dataclasses).
_UNKNOWN_FIELD_ERRORS = frozenset({"extra_forbidden", "unexpected_keyword_argument"})


def _message(error: Any) -> str:
    if error.get("type") in _UNKNOWN_FIELD_ERRORS:
        return "unknown field"
    return str(error["msg"])
