"""Test helpers: a real kith server in a subprocess, and small HTTP and WebSocket clients for it."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import websockets
from backends import Reader, Store, is_postgres

# cheap password hashing keeps tests fast; it is an ordinary setting, not a test mode
# and local clients (the tests' own) exempt from the per-address limits, which are off for no one else
FAST_ENV = {
    "KITH_PASSWORD_TIME_COST": "1",
    "KITH_PASSWORD_MEMORY_KIB": "8192",
    "KITH_RATE_LIMIT_EXEMPT": "127.0.0.0/8,::1",
}
_ids = itertools.count(1)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    """`kith serve` as a separate process on a free port, with its own data directory.

    Its store is the SQLite file in the data directory, unless ``env`` names another one
    (``KITH_DATABASE``); the store and the bus are never taken from the test runner's environment.
    """

    def __init__(self, data_dir: Path, env: dict[str, str] | None = None) -> None:
        self.data_dir = data_dir
        inherited = {k: v for k, v in os.environ.items() if k not in ("KITH_DATABASE", "KITH_BUS")}
        self.env = {**inherited, **FAST_ENV, **(env or {})}
        self.port = 0
        self.proc: subprocess.Popen[bytes] | None = None
        self.log = data_dir / "server.log"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/api/v1/ws"

    @property
    def db_path(self) -> Path:
        return self.data_dir / "kith.db"

    @property
    def store(self) -> Store:
        """The server's database: its PostgreSQL URL, or the path of its SQLite file."""
        url = self.env.get("KITH_DATABASE") or str(self.db_path)
        return url if is_postgres(url) else Path(url.removeprefix("sqlite:///").removeprefix("sqlite://"))

    @property
    def backend(self) -> str:
        return "postgres" if is_postgres(self.store) else "sqlite"

    def rows(self, sql: str, *params: Any) -> list[tuple[Any, ...]]:
        """Rows of ``sql`` (``?`` placeholders) as plain tuples, read from the server's database by a
        connection of the test's own (the SQLite file read-only): only what has been committed."""
        with Reader(self.store) as reader:
            return reader.rows(sql, *params)

    def tables(self) -> list[str]:
        with Reader(self.store) as reader:
            return reader.tables()

    def dump(self) -> dict[str, list[tuple[Any, ...]]]:
        """Every row of every table of the server's database."""
        with Reader(self.store) as reader:
            return reader.dump()

    def start(self, timeout: float = 20) -> Server:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.port = self.port or free_port()  # a restart keeps the port, so clients can reconnect
        logfile = open(self.log, "ab")  # noqa: SIM115 - handed to the child process
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "kith", "serve", "--port", str(self.port), "--data-dir", str(self.data_dir)],
            env=self.env,
            stdout=logfile,
            stderr=subprocess.STDOUT,
        )
        logfile.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited early:\n{self.log.read_text()}")
            try:
                if httpx.get(self.url + "/healthz", timeout=1).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.05)
        raise RuntimeError(f"server did not start:\n{self.log.read_text()}")

    def kill(self) -> None:
        """SIGKILL: no shutdown, no flush, nothing graceful."""
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(10)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.kill()


@dataclass
class User:
    """A signed-in user (one device) of a running server."""

    server: Server
    id: int
    handle: str
    token: str
    device_id: int
    http: httpx.AsyncClient = field(repr=False)

    async def call(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        return await self.http.request(method, "/api/v1" + path, **kwargs)

    async def ok(self, method: str, path: str, **kwargs: Any) -> Any:
        response = await self.call(method, path, **kwargs)
        assert response.status_code < 300, f"{method} {path} -> {response.status_code} {response.text}"
        return response.json() if response.content else None

    async def new_device(self, name: str = "another device") -> User:
        return await sign_in(self.server, self.handle, name)

    async def sync_all(self, since: int = 0) -> list[dict[str, Any]]:
        events: list[dict[str, Any]] = []
        while True:
            page = await self.ok("GET", "/sync", params={"since": since})
            events += page["events"]
            since = page["next_since"]
            if not page["has_more"]:
                return events

    async def history(self, conversation_id: int) -> list[dict[str, Any]]:
        """Every message the user can see in the conversation, by the history API, oldest first."""
        messages: list[dict[str, Any]] = []
        while True:
            after = messages[-1]["seq"] if messages else 0
            page = await self.ok(
                "GET", f"/conversations/{conversation_id}/messages", params={"after": after, "limit": 200}
            )
            messages += page["messages"]
            if not page["has_more"]:
                return messages

    async def aclose(self) -> None:
        await self.http.aclose()


PASSWORD = "plum kettle ferry 41"


def _client(server: Server, token: str | None = None) -> httpx.AsyncClient:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return httpx.AsyncClient(base_url=server.url, headers=headers, timeout=30)


async def register(server: Server, handle: str | None = None, display_name: str | None = None) -> User:
    handle = handle or f"user{next(_ids)}_{os.getpid()}"
    async with _client(server) as anon:
        response = await anon.post(
            "/api/v1/accounts",
            json={"handle": handle, "display_name": display_name or handle.title(), "password": PASSWORD},
        )
    assert response.status_code == 201, response.text
    body = response.json()
    return User(server, body["user"]["id"], handle, body["token"], body["device"]["id"], _client(server, body["token"]))


async def sign_in(server: Server, handle: str, device_name: str = "device") -> User:
    async with _client(server) as anon:
        response = await anon.post(
            "/api/v1/sessions", json={"handle": handle, "password": PASSWORD, "device_name": device_name}
        )
    assert response.status_code == 201, response.text
    body = response.json()
    return User(server, body["user"]["id"], handle, body["token"], body["device"]["id"], _client(server, body["token"]))


async def befriend(a: User, b: User, greeting: str = "") -> None:
    """Make a and b friends (which opens their chat: empty, unless a greeting starts it)."""
    sent = await a.ok("POST", "/friend-requests", json={"handle": b.handle, "greeting": greeting})
    await b.ok("POST", f"/friend-requests/{sent['request']['id']}/accept")


async def direct(a: User, b: User) -> int:
    return int((await a.ok("POST", "/conversations/direct", json={"user_id": b.id}))["id"])


class Socket:
    """A WebSocket client speaking kith's protocol, collecting pushed events by seq."""

    def __init__(self, ws: Any) -> None:
        self.ws = ws
        self.events: list[dict[str, Any]] = []
        self.frames: list[dict[str, Any]] = []
        self.ready: dict[str, Any] = {}
        self._changed = asyncio.Event()
        self._reader: asyncio.Task[None] | None = None
        self.close_code: int | None = None

    @classmethod
    async def connect(cls, user: User, since: int | None = None, token: str | None = None) -> Socket:
        ws = await websockets.connect(user.server.ws_url, max_size=2**22)
        sock = cls(ws)
        await ws.send(json.dumps({"type": "hello", "token": token or user.token, "since": since}))
        sock.ready = json.loads(await asyncio.wait_for(ws.recv(), 10))
        assert sock.ready["type"] == "ready", sock.ready
        sock._reader = asyncio.create_task(sock._read())
        return sock

    async def _read(self) -> None:
        try:
            async for raw in self.ws:
                frame = json.loads(raw)
                self.frames.append(frame)
                if frame["type"] == "events":
                    self.events += frame["events"]
                self._changed.set()
        except websockets.ConnectionClosed:
            pass
        finally:
            self.close_code = self.ws.close_code
            self._changed.set()

    async def wait_for(self, predicate: Callable[[], Any], timeout: float = 10) -> Any:
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            result = predicate()
            if result:
                return result
            remaining = deadline - asyncio.get_running_loop().time()
            if remaining <= 0:
                raise AssertionError("timed out waiting for a condition on the socket")
            self._changed.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), remaining)

    def messages(self, conversation_id: int | None = None) -> list[dict[str, Any]]:
        return [
            e["data"]
            for e in self.events
            if e["type"] == "message" and (conversation_id is None or e["data"]["conversation_id"] == conversation_id)
        ]

    async def send_json(self, frame: dict[str, Any]) -> None:
        await self.ws.send(json.dumps(frame))

    async def request(self, frame: dict[str, Any], ref: str, timeout: float = 10) -> dict[str, Any]:
        """Send a frame and wait for the ack or error that carries ``ref``."""
        start = len(self.frames)
        await self.send_json(frame)
        return await self.wait_for(
            lambda: next(
                (f for f in self.frames[start:] if f["type"] in ("ack", "error") and f.get("ref") == ref), None
            ),
            timeout,
        )

    async def send_text(self, conversation_id: int, text: str, client_id: str | None = None, **extra: Any) -> Any:
        client_id = client_id or f"m{next(_ids)}"
        frame = {"type": "send", "id": client_id, "conversation_id": conversation_id, "text": text, **extra}
        return await self.request(frame, client_id)

    async def close(self) -> None:
        await self.ws.close()
        if self._reader:
            await self._reader


def kith_client(url: str, app_id: str, secret: str) -> Any:
    """wechatpy's API client pointed at a kith server: the developer's few lines (docs/platform.md)."""
    from wechatpy import WeChatClient

    class KithClient(WeChatClient):  # type: ignore[misc]
        API_BASE_URL = url + "/cgi-bin/"

        def fetch_access_token(self) -> Any:
            return self._fetch_access_token(
                url=self.API_BASE_URL + "token",
                params={"grant_type": "client_credential", "appid": self.appid, "secret": self.secret},
            )

    client = KithClient(app_id, secret)
    if getattr(type(client.template), "API_BASE_URL", None):  # wechatpy 2.x: template/* has a base URL of its own
        client.template.API_BASE_URL = url + "/"
    return client


def kith_robot(url: str, app_id: str, secret: str) -> Any:
    """werobot's API client pointed at a kith server: its one ``request()`` override."""
    from werobot.client import Client

    base = url

    class KithRobot(Client):  # type: ignore[misc]
        def request(self, method: str, url: str, **kwargs: Any) -> Any:  # werobot passes url= by name
            return super().request(method, url.replace("https://api.weixin.qq.com", base), **kwargs)

    return KithRobot({"APP_ID": app_id, "APP_SECRET": secret})


def serve_wsgi(app: Any, port: int, *, threaded: bool = False) -> Any:
    """A WSGI app (a publisher's webhook, say) as a real HTTP server on 127.0.0.1, in a thread; call
    ``shutdown()`` and ``server_close()`` on what it returns. ``threaded``: a thread per request, so
    that a request the app holds open does not keep the others waiting."""
    import socketserver
    import threading
    from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

    class Quiet(WSGIRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

    class Threaded(socketserver.ThreadingMixIn, WSGIServer):
        daemon_threads = True

    httpd = make_server("127.0.0.1", port, app, server_class=Threaded if threaded else WSGIServer, handler_class=Quiet)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    return httpd


async def wait_for(check: Callable[[], Awaitable[Any]], timeout: float = 10.0) -> Any:
    """Await ``check()`` until it returns something true (and return that), for at most ``timeout`` s."""
    deadline = time.monotonic() + timeout
    while True:
        value = await check()
        if value:
            return value
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.05)


async def account_messages(user: User, conversation_id: int, kind: str | None = None) -> list[dict[str, Any]]:
    """The messages an official account sent in ``user``'s conversation with it (of ``kind``, if given)."""
    history = await user.ok("GET", f"/conversations/{conversation_id}/messages")
    return [
        m for m in history["messages"]
        if m["sender_id"] is None and m["kind"] != "system" and (kind is None or m["kind"] == kind)
    ]  # fmt: skip


def add_articles(client: Any, articles: list[dict[str, Any]]) -> Any:
    """A permanent article set through wechatpy: ``material.add_articles`` (material/add_news) in 1.8,
    ``draft.add`` (draft/add) in 2.x, which dropped the former as WeChat did."""
    if hasattr(client.material, "add_articles"):
        return client.material.add_articles(articles)
    return client.draft.add(articles)
