"""Errors at the edge: one table from domain error kind to HTTP status, one JSON shape.

Every error response is ``{"error": {"code": str, "message": str, ...fields}}``.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from kith import errors
from kith.http.bodies import UnsupportedMediaType
from kith.jsonenc import encode

log = logging.getLogger(__name__)

STATUS: dict[type[errors.DomainError], int] = {
    errors.Invalid: 400,
    errors.Unauthenticated: 401,
    errors.Forbidden: 403,
    errors.NotFound: 404,
    errors.Conflict: 409,
    errors.TooLarge: 413,
    UnsupportedMediaType: 415,
    errors.Unsupported: 415,
    errors.RateLimited: 429,
}

_HTTP_CODES = {
    400: "invalid",
    401: "unauthenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    415: "unsupported_media_type",
    426: "upgrade_required",
    429: "rate_limited",
}


def error_body(code: str, message: str, fields: dict[str, Any] | None = None) -> bytes:
    return encode({"error": {"code": code, "message": message, **(fields or {})}})


def json_error(
    status: int,
    code: str,
    message: str,
    fields: dict[str, Any] | None = None,
    headers: Mapping[str, str] | None = None,
) -> Response:
    if status == 401:
        headers = {"WWW-Authenticate": "Bearer"}
    if status == 429 and fields and "retry_after" in fields:
        headers = {"Retry-After": str(fields["retry_after"])}
    return Response(error_body(code, message, fields), status, headers=headers, media_type="application/json")


def status_of(exc: errors.DomainError) -> int:
    for kind in type(exc).__mro__:
        if kind in STATUS:
            return STATUS[kind]  # type: ignore[index]
    return 400


def domain_error(exc: errors.DomainError) -> Response:
    return json_error(status_of(exc), exc.code, exc.message, exc.fields)


async def on_domain_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, errors.DomainError)
    return domain_error(exc)


async def on_http_exception(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    if exc.status_code == 404:
        return json_error(404, "not_found", "no such endpoint")
    code = _HTTP_CODES.get(exc.status_code, "error")
    message = exc.detail or code
    if exc.status_code == 405 and exc.headers and "Allow" in exc.headers:
        message = f"this path takes only {exc.headers['Allow']}"
    return json_error(exc.status_code, code, message, headers=exc.headers)


async def on_unexpected(request: Request, exc: Exception) -> Response:
    log.exception("unhandled error on %s %s", request.method, request.url.path)
    return json_error(500, "internal", "something went wrong on the server")
