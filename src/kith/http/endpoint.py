"""How one route turns a request into a service call and back.

A route declares its method, path, body and query types (msgspec Structs) and whether it needs a
signed-in caller; the same declaration feeds the OpenAPI document. The handler receives a ``Call``
with everything parsed and authorized, calls one service verb and returns what to encode.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import msgspec
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response

from kith import errors
from kith.accounts.models import Caller
from kith.http.errors import domain_error
from kith.jsonenc import encode

MAX_ID = 2**63 - 1


@dataclass
class Call:
    services: Any
    caller: Caller
    path: dict[str, int]
    body: Any = None
    query: Any = None
    ip: str = ""  # the client's address (through trusted proxies: see the trusted_proxies setting)


Handler = Callable[[Call], Awaitable[Any]]


@dataclass(frozen=True)
class Endpoint:
    method: str
    path: str
    handler: Handler
    summary: str
    tag: str
    body: type | None = None
    query: type | None = None
    response: Any = None
    status: int = 200
    auth: bool = True
    errors: tuple[int, ...] = field(default=())


def _field_of(message: str) -> str | None:
    # msgspec ends its messages with "- at `$.field`" or "- at `$.field[0]`"
    if "- at `$." in message:
        return message.rsplit("- at `$.", 1)[1].rstrip("`").split("[")[0].split(".")[0]
    return None


def _invalid(exc: Exception, what: str) -> errors.Invalid:
    message = str(exc)
    field_name = _field_of(message)
    fields = {"field": field_name} if field_name else {}
    return errors.Invalid(f"{what}: {message}", **fields)


async def read_body(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None:
        if not declared.isdigit():
            raise errors.Invalid("content-length must be a number")
        if int(declared) > limit:
            raise errors.TooLarge(f"request body must be at most {limit} bytes", limit=limit)
    chunks, size = [], 0
    try:
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit:
                raise errors.TooLarge(f"request body must be at most {limit} bytes", limit=limit)
            chunks.append(chunk)
    except ClientDisconnect:  # the body ended before its declared length: nobody is left to answer
        raise errors.Invalid("the request body ended early", "incomplete_body") from None
    return b"".join(chunks)


def decode_body(raw: bytes, body_type: type) -> Any:
    if not raw.strip():
        raise errors.Invalid("a JSON body is required", "missing_body")
    try:
        return msgspec.json.decode(raw, type=body_type)
    except UnicodeDecodeError:
        raise errors.Invalid("the body is not valid UTF-8", "invalid_json") from None
    except msgspec.ValidationError as exc:
        raise _invalid(exc, "invalid body") from None
    except msgspec.DecodeError as exc:
        raise errors.Invalid(f"the body is not valid JSON: {exc}", "invalid_json") from None


def decode_query(request: Request, query_type: type) -> Any:
    try:
        return msgspec.convert(dict(request.query_params), type=query_type, strict=False)
    except msgspec.ValidationError as exc:
        raise _invalid(exc, "invalid query") from None


def bearer_token(header: str | None) -> str:
    if not header:
        raise errors.Unauthenticated("sign in first: send Authorization: Bearer <token>")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise errors.Unauthenticated("the Authorization header must be: Bearer <token>")
    return token.strip()


def make_view(endpoint: Endpoint, services: Any, max_body: int) -> Callable[[Request], Awaitable[Response]]:
    anonymous = Caller(0, 0)

    async def view(request: Request) -> Response:
        try:
            path = {}
            for name, value in request.path_params.items():
                if not 0 < value <= MAX_ID:
                    raise errors.NotFound(f"no such {name.removesuffix('_id')}")
                path[name] = value
            caller = anonymous
            if endpoint.auth:
                caller = await services.accounts.authenticate(bearer_token(request.headers.get("authorization")))
            client = request.client
            ip = services.limits.client_ip(client.host if client else None, request.headers.get("x-forwarded-for"))
            call = Call(services, caller, path, ip=ip)
            if endpoint.body is not None:
                call.body = decode_body(await read_body(request, max_body), endpoint.body)
            if endpoint.query is not None:
                call.query = decode_query(request, endpoint.query)
            result = await endpoint.handler(call)
        except errors.DomainError as exc:
            return domain_error(exc)
        if result is None:
            return Response(status_code=204)
        status = endpoint.status
        if isinstance(result, tuple):
            result, status = result
        return Response(encode(result), status, media_type="application/json")

    return view
