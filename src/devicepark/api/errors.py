"""The API's one JSON body encoder and its one error shape.

Bodies are ``devicepark.jsonout.dumps(obj) + "\\n"``: the very bytes ``--format json`` prints.
Every error, whatever raised it (a bad parameter, a missing token, an unknown path, a
``DeviceparkError``), is ``{"error": {"status": 400, "code": "bad_request", "message": "..."}}``.
No message names a file by its path on the server (:func:`scrub` keeps the file's name only).
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Mapping
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from devicepark.errors import DeviceparkError, StoreError
from devicepark.jsonout import dumps

CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    413: "too_large",
    422: "invalid_parameter",
    429: "rate_limited",
    500: "internal_error",
    501: "not_implemented",
    503: "unavailable",
}

# The error shape as a JSON schema, for the OpenAPI spec.
ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["status", "code", "message"],
            "properties": {
                "status": {"type": "integer"},
                "code": {"type": "string"},
                "message": {"type": "string"},
            },
            "additionalProperties": False,
        }
    },
    "additionalProperties": False,
}


log = logging.getLogger("devicepark.api")

# An absolute path (POSIX or Windows), not part of a word or a URL.
_PATH = re.compile(r"(?<![\w.:/])(?:[A-Za-z]:)?(?:[/\\][^\s/\\'\"`,;()<>]+)+[/\\]?")


def scrub(text: str) -> str:
    """``text`` with every absolute file path cut to its last part.

    >>> scrub("no devicepark store at /srv/data/store (run devicepark ingest)")
    'no devicepark store at store (run devicepark ingest)'
    >>> scrub("/home/me/campaigns/x.toml:3: column id: bad; see https://ex.org/a/b")
    'x.toml:3: column id: bad; see https://ex.org/a/b'
    """
    return _PATH.sub(lambda m: os.path.basename(m.group(0).rstrip("/\\")) or "/", text)


def body(obj: Any) -> bytes:
    """The bytes of a JSON answer: exactly what the CLI's ``--format json`` prints."""
    return (dumps(obj) + "\n").encode("utf-8")


class JSONBody(Response):
    """A JSON response encoded by devicepark's one encoder (so CLI and API bytes agree)."""

    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        if isinstance(content, bytes):  # already encoded (a cached answer)
            return content
        return body(content)


class ApiError(Exception):
    """An error the API answers with its status and the one error shape."""

    def __init__(
        self, status: int, message: str, code: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:  # fmt: skip
        super().__init__(message)
        self.status = status
        self.code = code or CODES.get(status, "error")
        self.message = message
        self.headers = headers


def error_response(
    status: int, message: str, code: str | None = None, headers: Mapping[str, str] | None = None
) -> JSONBody:
    """The one error shape: ``{"error": {"status", "code", "message"}}``."""
    content = {"error": {"status": status, "code": code or CODES.get(status, "error"),
                         "message": message}}  # fmt: skip
    return JSONBody(content, status_code=status, headers=headers)


def _validation_message(exc: RequestValidationError) -> str:
    parts = []
    for e in exc.errors():
        loc = [str(x) for x in e.get("loc", ()) if x not in ("query", "path", "header", "body")]
        where = ".".join(loc) or "request"
        parts.append(f"{where}: {e.get('msg', 'invalid')}")
    return "; ".join(parts) or "invalid request"


def install(app: FastAPI) -> None:
    """Route every error of ``app`` through the one shape."""

    @app.exception_handler(ApiError)
    async def _api(request: Request, exc: ApiError) -> Response:
        return error_response(exc.status, exc.message, exc.code, exc.headers)

    @app.exception_handler(DeviceparkError)
    async def _domain(request: Request, exc: DeviceparkError) -> Response:
        # The store missing or unreadable is the server's problem, not the request's: the log
        # has the details, the client the message without the server's paths.
        if isinstance(exc, StoreError):
            log.error("store unavailable: %s", exc)
            return error_response(503, scrub(str(exc)))
        return error_response(400, scrub(str(exc)))

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> Response:
        return error_response(422, _validation_message(exc))

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        message = exc.detail if isinstance(exc.detail, str) else CODES.get(exc.status_code, "")
        if exc.status_code == 404 and message == "Not Found":
            message = f"no such resource: {request.url.path}"
        return error_response(exc.status_code, str(message), headers=exc.headers)

    @app.exception_handler(Exception)
    async def _internal(request: Request, exc: Exception) -> Response:
        return error_response(500, f"internal error ({type(exc).__name__})")
