"""create_app(settings): the one place that wires the store, the bus, the services and the routes."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware.gzip import GZipMiddleware
from starlette.requests import Request
from starlette.responses import FileResponse, Response
from starlette.routing import BaseRoute, Match, Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Receive, Scope, Send

from kith import bus as buses
from kith.clock import Clock, SystemClock
from kith.errors import DomainError
from kith.http import errors as http_errors
from kith.http import openapi, wechat
from kith.http.endpoint import ENVELOPE_BYTES, make_routes
from kith.http.routes import ENDPOINTS, V1
from kith.http.routes import C as CONVERSATION
from kith.jsonenc import encode
from kith.observe import Metrics, Observe, metrics_endpoint, readyz_endpoint
from kith.services import build_services
from kith.settings import Settings
from kith.storage.sqlite import SqliteDatabase
from kith.ws.gateway import PATH as WS_PATH
from kith.ws.gateway import Gateway

if TYPE_CHECKING:
    from kith.storage.postgres import PostgresDatabase

log = logging.getLogger(__name__)

UPGRADE = {"Upgrade": "websocket", "Connection": "Upgrade"}
WS_DOC = {
    "summary": "WebSocket: live events, sends and read marks (docs/websocket.md)",
    "tags": ["sync"],
    "responses": {
        "101": {"description": "Switching protocols"},
        "426": {
            "description": "Not a WebSocket upgrade",
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
        },
    },
}


def open_database(
    settings: Settings, observer: Callable[[int, float], None] | None = None
) -> SqliteDatabase | PostgresDatabase:
    """The store of ``settings``; ``observer(jobs, seconds)`` hears of each write transaction."""
    url = settings.database_url
    if url.startswith("sqlite:"):
        return SqliteDatabase.from_url(url, batch_max=settings.write_batch_max, observer=observer)
    if url.startswith(("postgresql://", "postgres://")):
        from kith.storage.postgres import PostgresDatabase  # needs the [postgres] extra

        return PostgresDatabase.from_url(
            url,
            writers=settings.database_writers,
            observer=observer,
            prepare=settings.database_prepared_statements,
            batch_max=settings.database_batch_max,
        )
    raise ValueError(f"unsupported database URL {url!r}: use sqlite:///path/to/kith.db or postgresql://...")


def web_root() -> Path:
    return Path(str(resources.files("kith") / "web"))


class WebClient(StaticFiles):
    """The web client's files, revalidated on every load (ETag), so an upgrade never mixes old and
    new modules in a browser's cache. The service worker is /sw.js, so its scope is the whole site;
    the app manifest gets its own media type."""

    def file_response(self, full_path: Any, *args: Any, **kwargs: Any) -> Response:
        response = super().file_response(full_path, *args, **kwargs)
        response.headers["Cache-Control"] = "no-cache"
        if str(full_path).endswith(".webmanifest"):
            response.headers["Content-Type"] = "application/manifest+json"
        return response


class WebMount(Mount):
    """The web client's files at /, but never under /api/: there a path no route matches gets the
    API's answer (404, or 405 for a known path), not the files' (405 to anything but GET)."""

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        if scope["type"] == "http" and scope["path"].startswith("/api/"):
            return Match.NONE, {}
        return super().matches(scope)


class Kith:
    """The ASGI app: the WebSocket gateway beside the HTTP app, not under its middleware (a socket
    lives for hours and each of its frames is on the hot path); everything else goes to HTTP."""

    def __init__(self, http: ASGIApp, gateway: Gateway) -> None:
        self.http = http
        self.gateway = gateway

    def __call__(self, scope: Scope, receive: Receive, send: Send) -> Awaitable[None]:
        # returns the chosen app's coroutine instead of awaiting it: no frame of ours stays on a
        # socket's stack for its lifetime
        if scope["type"] == "websocket" and scope["path"] == WS_PATH:
            return self.gateway(scope, receive, send)
        return self.http(scope, receive, send)


def create_app(settings: Settings, clock: Clock | None = None) -> Kith:
    clock = clock or SystemClock()
    metrics = Metrics(clock)
    db = open_database(settings, observer=metrics.committed)
    bus = buses.from_url(settings.bus)
    services = build_services(settings, db, bus, clock)
    gateway = Gateway(services.accounts, services.chats, services.sync, bus, settings, metrics)
    metrics.count_connections(lambda: len(gateway.connections))
    spec = encode(openapi.build(ENDPOINTS, {WS_PATH: {"get": WS_DOC}}, settings))
    web = web_root()

    async def openapi_json(request: Request) -> Response:
        return Response(spec, media_type="application/json")

    async def docs(request: Request) -> Response:
        return FileResponse(Path(str(resources.files("kith.http") / "docs.html")))

    async def health(request: Request) -> Response:
        return Response(b'{"ok":true}', media_type="application/json")

    async def upgrade_required(request: Request) -> Response:
        message = "this is the WebSocket endpoint: connect with a WebSocket client (docs/websocket.md)"
        return http_errors.json_error(426, "upgrade_required", message, headers=UPGRADE)

    routes: list[BaseRoute] = [*make_routes(ENDPOINTS, services, settings.max_body_bytes, settings)]
    routes += [
        Route(WS_PATH, upgrade_required),
        Route("/openapi.json", openapi_json),
        Route("/docs", docs),
        Mount("/cgi-bin", routes=wechat.routes(services, settings.media_file_max_bytes + ENVELOPE_BYTES)),
        Route("/healthz", health),
        Route("/readyz", readyz_endpoint(db, bus)),
        *([Route("/metrics", metrics_endpoint(metrics, settings.metrics_token))] if settings.metrics_enabled else []),
        WebMount("/", GZipMiddleware(WebClient(directory=web, html=True)), name="web"),
    ]

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await asyncio.to_thread(db.migrate)
        await db.start()
        await bus.start()
        await gateway.start()
        await services.media.start()
        await services.push.start()
        await services.outbox.start()
        try:
            yield
        finally:
            await services.outbox.close()
            await services.push.close()
            await services.platform.close()
            await services.limits.close()
            await gateway.close()
            await bus.close()
            await db.close()

    app = Starlette(
        routes=routes,
        lifespan=lifespan,
        exception_handlers={
            DomainError: http_errors.on_domain_error,
            HTTPException: http_errors.on_http_exception,
            Exception: http_errors.on_unexpected,
        },
    )
    # around the whole HTTP app, so that even a 500 from its error handler is counted and has an id
    observed = Observe(app, metrics, settings.log_format == "json", CONVERSATION + "/messages", V1 + "/sync")
    return Kith(observed, gateway)
