"""How one route turns a request into a service call and back.

A route declares its method, path, body and query types (msgspec Structs), its body kind and size
limit (``kith.http.bodies``) and whether it needs a signed-in caller; the same declaration feeds
the OpenAPI document. The handler receives a ``Call`` with everything parsed and authorized, calls
one service verb and returns what to encode.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import msgspec
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from kith import errors
from kith.accounts.models import Caller
from kith.http.bodies import JSON, BodyKind, declared_length, invalid
from kith.http.errors import domain_error
from kith.jsonenc import encode
from kith.settings import Settings

if TYPE_CHECKING:
    from kith.services import Services

MAX_ID = 2**63 - 1
ENVELOPE_BYTES = 64 * 1024  # a multipart body's boundaries, part headers and small fields


@dataclass
class Call:
    services: Services
    caller: Caller
    path: dict[str, Any]
    body: Any = None
    query: Any = None
    ip: str = ""  # the client's address (through trusted proxies: see the trusted_proxies setting)
    headers: Mapping[str, str] = field(default_factory=dict)  # the request's (conditional requests read them)
    base_url: str = ""  # where the client reached kith, without a final slash (the links kith hands out)


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
    media_type: str = "application/json"  # of the response; another one is answered as a file
    body_kind: BodyKind = JSON
    # bytes; None: the max_body_bytes setting; a setting's name: that setting (plus room for a
    # multipart body's headers and boundaries)
    max_body: int | str | None = None
    also: tuple[tuple[int, str], ...] = ()  # other success statuses the handler returns, each with its meaning

    def body_limit(self, default: int, settings: Settings | None = None) -> int:
        if isinstance(self.max_body, str):
            return int(getattr(settings or Settings(), self.max_body)) + ENVELOPE_BYTES
        return self.max_body if self.max_body is not None else default


def decode_query(request: Request, query_type: type) -> Any:
    try:
        return msgspec.convert(dict(request.query_params), type=query_type, strict=False)
    except msgspec.ValidationError as exc:
        raise invalid(exc, "invalid query") from None


def bearer_token(header: str | None) -> str:
    if not header:
        raise errors.Unauthenticated("sign in first: send Authorization: Bearer <token>")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise errors.Unauthenticated("the Authorization header must be: Bearer <token>")
    return token.strip()


def make_view(
    endpoint: Endpoint, services: Services, max_body: int, settings: Settings | None = None
) -> Callable[[Request], Awaitable[Response]]:
    anonymous = Caller(0, 0)
    limit = endpoint.body_limit(max_body, settings)
    kind = endpoint.body_kind if endpoint.body is not None else None

    async def view(request: Request) -> Response:
        try:
            declared_length(request, limit)  # refused before anything else, on every route
            if kind is not None:
                kind.check(request)
            path = {}
            for name, value in request.path_params.items():
                if isinstance(value, int) and not 0 < value <= MAX_ID:
                    raise errors.NotFound(f"no such {name.removesuffix('_id')}")
                path[name] = value
            caller = anonymous
            if endpoint.auth:
                caller = await services.accounts.authenticate(bearer_token(request.headers.get("authorization")))
            client = request.client
            ip = services.limits.client_ip(client.host if client else None, request.headers.get("x-forwarded-for"))
            base = str(request.base_url).rstrip("/")
            call = Call(services, caller, path, ip=ip, headers=request.headers, base_url=base)
            if kind is not None:
                call.body = await kind.read(request, endpoint.body, limit)  # type: ignore[arg-type]
            if endpoint.query is not None:
                call.query = decode_query(request, endpoint.query)
            result = await endpoint.handler(call)
        except errors.DomainError as exc:
            return domain_error(exc)
        if result is None:
            return Response(status_code=204)
        if isinstance(result, Response):  # a route that answers with something other than JSON
            return result
        status = endpoint.status
        if isinstance(result, tuple):
            result, status = result
        return Response(encode(result), status, media_type="application/json")

    return view


def make_routes(
    endpoints: tuple[Endpoint, ...], services: Services, max_body: int, settings: Settings | None = None
) -> list[Route]:
    """One Starlette route per path, so that a method the path lacks is answered 405 with all it has in Allow."""
    views: dict[str, dict[str, Callable[[Request], Awaitable[Response]]]] = {}
    for e in endpoints:
        views.setdefault(e.path, {})[e.method] = make_view(e, services, max_body, settings)
    return [Route(path, _by_method(by_method), methods=list(by_method)) for path, by_method in views.items()]


def _by_method(
    views: dict[str, Callable[[Request], Awaitable[Response]]],
) -> Callable[[Request], Awaitable[Response]]:
    if len(views) == 1:
        return next(iter(views.values()))  # HEAD (added to GET by Starlette) goes to the same view
    get = views.get("GET")

    async def view(request: Request) -> Response:
        return await views.get(request.method, get)(request)  # type: ignore[misc]  # HEAD: GET, no body

    return view
