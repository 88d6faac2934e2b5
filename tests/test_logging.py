"""Logs of a real server: readable text by default; with `log_format = "json"` every line is one JSON
object, one per HTTP request carrying the request id that the response's X-Request-Id shows.

SQLite only: what the logs look like does not depend on the store.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
from backends import only_on
from helpers import FAST_ENV, Server
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from kith.clock import SystemClock
from kith.http import errors as http_errors
from kith.observe import Metrics, Observe
from kith.observe.logs import JsonFormatter

pytestmark = only_on("sqlite")

RUNNING = "kith is running"  # the one line `kith serve` prints to stdout rather than logging


def _log_lines(server: Server) -> list[str]:
    return [line for line in server.log.read_text().splitlines() if line and not line.startswith(RUNNING)]


def _records(server: Server, count: int) -> list[dict[str, Any]]:
    """Every log line parsed as JSON, once at least ``count`` access lines are there."""
    deadline = time.monotonic() + 10
    while True:
        records = [json.loads(line) for line in _log_lines(server)]  # fails on any line that is not JSON
        if sum(r["logger"] == "kith.access" for r in records) >= count or time.monotonic() > deadline:
            return records
        time.sleep(0.05)


def test_json_lines_carry_the_request_id_of_the_response(tmp_path: Path) -> None:
    server = Server(tmp_path / "data", {"KITH_LOG_FORMAT": "json"}).start()
    try:
        healthy = httpx.get(server.url + "/healthz")
        given = httpx.get(server.url + "/api/v1/me", headers={"X-Request-Id": "proxy-42.a"})
        missing = httpx.get(server.url + "/api/v1/conversations/123")
        unsafe = httpx.get(server.url + "/healthz", headers={"X-Request-Id": "<script>"})
        records = _records(server, 5)  # the start-up probe's /healthz, then these four
    finally:
        server.stop()
    assert {"ts", "level", "logger", "message"} <= records[0].keys()
    assert any(r["logger"].startswith("uvicorn") for r in records)  # the server's own lines are JSON too
    access = {r["request_id"]: r for r in records if r["logger"] == "kith.access"}
    assert given.headers["x-request-id"] == "proxy-42.a"
    assert unsafe.headers["x-request-id"] != "<script>"
    for response in (healthy, given, missing, unsafe):
        line = access[response.headers["x-request-id"]]
        assert line["status"] == response.status_code
        assert line["method"] == "GET"
        assert line["path"] == response.request.url.path
        assert isinstance(line["duration_ms"], float) and line["duration_ms"] >= 0
        assert line["level"] == "info"
    assert access["proxy-42.a"]["route"] == "/api/v1/me"
    assert access[missing.headers["x-request-id"]]["route"] == "/api/v1/conversations/{conversation_id}"


def test_text_by_default_without_request_lines(tmp_path: Path) -> None:
    server = Server(tmp_path / "data").start()
    try:
        response = httpx.get(server.url + "/healthz")
        rid = response.headers["x-request-id"]
        time.sleep(0.3)
    finally:
        server.stop()
    lines = _log_lines(server)
    assert lines and all(not line.startswith("{") for line in lines)
    assert any("INFO" in line for line in lines)
    assert not any(rid in line for line in lines)  # no line per request at the info level


def test_an_unknown_log_format_is_refused(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "kith", "serve", "--data-dir", str(tmp_path), "--log-format", "xml"],
        env={**os.environ, **FAST_ENV},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert "log_format" in done.stderr and "text, json" in done.stderr


async def test_an_unexpected_error_is_counted_and_its_traceback_has_the_request_id() -> None:
    """The 500 of the server's error handler, which answers outside the app's own middleware."""

    async def boom(request: Request) -> Response:
        raise RuntimeError("a bug")

    lines: list[str] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            lines.append(self.format(record))  # formatted at once, as a stream handler does

    handler = Collect()
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.addHandler(handler)
    level = root.level
    root.setLevel(logging.INFO)
    metrics = Metrics(SystemClock())
    app = Starlette(routes=[Route("/boom", boom)], exception_handlers={Exception: http_errors.on_unexpected})
    observed = Observe(app, metrics, log_requests=True, rest_send="", rest_sync="")
    transport = httpx.ASGITransport(app=observed, raise_app_exceptions=False)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://kith.test") as client:
            response = await client.get("/boom")
    finally:
        root.removeHandler(handler)
        root.setLevel(level)
    assert response.status_code == 500
    assert response.json()["error"]["code"] == "internal"
    rid = response.headers["x-request-id"]
    records = [json.loads(line) for line in lines]
    failure = next(r for r in records if r["logger"] == "kith.http.errors")
    assert failure["request_id"] == rid and "RuntimeError: a bug" in failure["exception"]
    request = next(r for r in records if r["logger"] == "kith.access")
    assert request["request_id"] == rid and request["status"] == 500 and request["route"] == "/boom"
    sample = metrics.registry.get_sample_value
    assert sample("kith_http_responses_total", {"route": "/boom", "method": "GET", "status": "5xx"}) == 1
