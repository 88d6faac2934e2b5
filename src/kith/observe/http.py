"""Per-request observation, around the whole HTTP app: a request id, metrics, and the access log.

Every response carries ``X-Request-Id``: the client's own if it sent a short, safe one (so a
reverse proxy's id can be followed through), otherwise a new random one. The request's route is
known after routing (Starlette leaves it in the scope), so responses are counted by route template
(``/api/v1/conversations/{conversation_id}``), never by path.
"""

from __future__ import annotations

import logging
import os
import re
import time

from starlette.routing import Mount, Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from kith.observe import logs
from kith.observe.metrics import Metrics

access = logging.getLogger("kith.access")

HEADER = b"x-request-id"
_SAFE_ID = re.compile(rb"[A-Za-z0-9._:\-]{1,64}")
_CONVERTER = re.compile(r":[a-z]+}")


def incoming_id(headers: list[tuple[bytes, bytes]]) -> str | None:
    """The client's request id, if it is 1 to 64 characters of letters, digits and ``._:-``."""
    for name, value in headers:
        if name == HEADER:
            return value.decode() if _SAFE_ID.fullmatch(value) else None
    return None


class Observe:
    """ASGI middleware for HTTP requests; anything else passes through untouched."""

    def __init__(self, app: ASGIApp, metrics: Metrics, log_requests: bool, rest_send: str, rest_sync: str) -> None:
        self.app = app
        self.metrics = metrics
        self.log_requests = log_requests
        self.rest_send = rest_send  # the route templates whose successes count as sends and sync reads
        self.rest_sync = rest_sync
        self._labels: dict[str, str] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        rid = incoming_id(scope["headers"]) or os.urandom(8).hex()
        header = (HEADER, rid.encode())
        status = 500  # what the server error handler answers if the app raises before responding

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", ()), header]
            await send(message)

        token = logs.request_id.set(rid)
        try:
            await self.app(scope, receive, send_with_id)
        finally:
            seconds = time.perf_counter() - start
            route = scope.get("route")
            template = route.path if isinstance(route, Route) else None
            label = self._label(template, route)
            method = scope["method"]
            self.metrics.responded(label, method, status, seconds)
            if template == self.rest_send:
                if status == 201 and method == "POST":  # 200 answers a resent id: nothing new stored
                    self.metrics.sent_rest += 1
            elif template == self.rest_sync and status == 200:
                self.metrics.sync_reads_rest += 1
            if self.log_requests:
                access.info(
                    "%s %s %d",
                    method,
                    label,
                    status,
                    extra={
                        "fields": {
                            "method": method,
                            "route": label,
                            "path": scope["path"],
                            "status": status,
                            "duration_ms": round(seconds * 1000, 3),
                        }
                    },
                )
            logs.request_id.reset(token)

    def _label(self, template: str | None, route: object) -> str:
        if template is None:
            return "web" if isinstance(route, Mount) else "unrouted"  # e.g. refused by a middleware first
        label = self._labels.get(template)
        if label is None:
            label = self._labels[template] = _CONVERTER.sub("}", template)
        return label
