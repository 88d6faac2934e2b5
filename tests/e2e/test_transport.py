"""The HTTP transport against a real server: limits on request heads, deadlines on heads and bodies,
security headers on every response, JSON only as JSON, 405/426 answers, and a WebSocket that sends
bytes that are not UTF-8.

Most of it is about what a client does on the wire, so requests are written by hand on raw sockets.
The server here has short deadlines (set through its ordinary settings) so that the tests wait
seconds, not the defaults' half minute.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import json
import os
import re
import socket
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio
from backends import fresh_store, scale_out_env
from e2e.dbsnapshot import LogWatch, unchanged
from helpers import PASSWORD, Server, User, befriend, direct, register

pytestmark = pytest.mark.asyncio(loop_scope="module")

HEAD_TIMEOUT = 1.5
BODY_TIMEOUT = 1.5
MAX_BODY = 4096
ENV = {
    "KITH_HTTP_HEADER_TIMEOUT_SECONDS": str(HEAD_TIMEOUT),
    "KITH_HTTP_BODY_TIMEOUT_SECONDS": str(BODY_TIMEOUT),
    "KITH_MAX_BODY_BYTES": str(MAX_BODY),
}
SLACK = 5.0  # how much later than its deadline a close may come on a busy machine


@pytest.fixture(scope="module")
def quick(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """One server for the module, with short head and body deadlines and a 4 KiB body limit."""
    folder = tmp_path_factory.mktemp(f"transport-{backend}")
    with fresh_store(backend, folder / "data" / "kith.db") as store:
        env = {**(scale_out_env(str(store)) if backend == "postgres" else {}), **ENV}
        server = Server(folder / "data", env).start()
        yield server
        server.stop()


@dataclass
class Chat:
    alice: User
    conversation: int  # alice's direct conversation with a friend


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def chat(quick: Server) -> AsyncIterator[Chat]:
    alice, bob = await register(quick), await register(quick)
    await befriend(alice, bob)
    yield Chat(alice, await direct(alice, bob))
    await alice.aclose()
    await bob.aclose()


# -- raw HTTP ---------------------------------------------------------------------------------------


@dataclass
class Answer:
    status: int
    headers: dict[str, str]  # lower-case names; a repeated header's values joined with ", "
    body: bytes

    def error(self) -> dict[str, Any]:
        """The JSON error of this answer, checked to have the one error shape."""
        assert self.headers.get("content-type", "").startswith("application/json"), self
        body = json.loads(self.body)
        assert list(body) == ["error"], body
        assert isinstance(body["error"]["code"], str) and isinstance(body["error"]["message"], str), body
        return dict(body["error"])


async def read_answer(reader: asyncio.StreamReader, timeout: float = 10) -> Answer | None:
    """One HTTP response off the wire; None if the server closed the connection first."""
    try:
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), timeout)
    except (asyncio.IncompleteReadError, ConnectionError):
        return None
    lines = head.decode("latin-1").split("\r\n")
    headers: dict[str, str] = {}
    for line in lines[1:]:
        if line:
            name, _, value = line.partition(":")
            key = name.strip().lower()
            headers[key] = f"{headers[key]}, {value.strip()}" if key in headers else value.strip()
    length = int(headers.get("content-length", "0"))
    return Answer(int(lines[0].split(" ")[1]), headers, await reader.readexactly(length))


async def closed_by_server(reader: asyncio.StreamReader, timeout: float) -> bool:
    """Whether the server closes the connection (end of stream or reset) within ``timeout``; what it
    sends before that is dropped."""
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(timeout):
            try:
                while await reader.read(65536):
                    pass
            except ConnectionError:
                pass
            return True
    return False


@contextlib.asynccontextmanager
async def connection(server: Server) -> AsyncIterator[tuple[asyncio.StreamReader, asyncio.StreamWriter]]:
    reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
    try:
        yield reader, writer
    finally:
        writer.close()
        with contextlib.suppress(ConnectionError):
            await writer.wait_closed()


def crlf(text: str) -> bytes:
    return text.replace("\n", "\r\n").encode()


async def exchange(server: Server, raw: bytes) -> Answer | None:
    async with connection(server) as (reader, writer):
        writer.write(raw)
        await writer.drain()
        return await read_answer(reader)


async def get(server: Server, path: str, method: str = "GET", extra: str = "") -> Answer:
    answer = await exchange(server, crlf(f"{method} {path} HTTP/1.1\nHost: 127.0.0.1\nConnection: close\n{extra}\n"))
    assert answer is not None
    return answer


def peak_rss_kib(server: Server) -> int:
    assert server.proc is not None
    status = Path(f"/proc/{server.proc.pid}/status").read_text()
    return int(re.search(r"VmHWM:\s+(\d+) kB", status)[1])  # type: ignore[index]


# -- request heads: size, count, deadline -------------------------------------------------------------


async def test_a_50_mib_header_is_refused_and_never_buffered(quick: Server) -> None:
    """A 50 MiB header is refused early (431 or a close); the server's peak memory barely moves."""
    peak_before = peak_rss_kib(quick)
    sock = socket.create_connection(("127.0.0.1", quick.port))
    sock.settimeout(20)
    sent, chunk = 0, b"a" * 256 * 1024
    try:
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: ")
        while sent < 50 * 1024 * 1024:
            sock.sendall(chunk)
            sent += len(chunk)
        sock.sendall(b"\r\n\r\n")
    except OSError:  # reset or broken pipe: the server closed the connection on it
        pass
    received = b""
    with contextlib.suppress(OSError):
        while data := sock.recv(65536):
            received += data
    sock.close()
    assert not received.startswith(b"HTTP/1.1 200"), received[:200]
    if received:
        assert received.startswith(b"HTTP/1.1 431 "), received[:200]
    assert sent < 16 * 1024 * 1024, f"the server read {sent} bytes of one header before refusing it"
    assert peak_rss_kib(quick) - peak_before < 16 * 1024, "the server's peak memory grew by 16 MiB or more"


async def test_heads_over_the_size_or_count_limit_get_431(quick: Server) -> None:
    big = crlf("GET /healthz HTTP/1.1\nHost: 127.0.0.1\nX-Big: " + "a" * 40_000 + "\n\n")
    many = crlf("GET /healthz HTTP/1.1\nHost: 127.0.0.1\n" + "".join(f"X-{i}: 1\n" for i in range(101)) + "\n")
    long_target = crlf("GET /healthz?" + "q" * 40_000 + " HTTP/1.1\nHost: 127.0.0.1\n\n")
    watch = LogWatch(quick)
    for raw in (big, many, long_target):
        answer = await exchange(quick, raw)
        assert answer is not None and answer.status == 431, answer
        assert answer.error()["code"] == "headers_too_large"
        assert answer.headers["connection"] == "close"
    watch.assert_no_errors()


async def test_heads_within_the_limits_are_served(quick: Server) -> None:
    fine = "".join(f"X-{i}: 1\n" for i in range(90)) + "X-Big: " + "a" * 20_000 + "\n"
    assert (await get(quick, "/healthz", extra=fine)).status == 200


async def test_a_head_sent_slowly_but_in_time_is_served(quick: Server) -> None:
    raw = crlf("GET /healthz HTTP/1.1\nHost: 127.0.0.1\nConnection: close\n\n")
    async with connection(quick) as (reader, writer):
        for piece in (raw[:5], raw[5:20], raw[20:]):
            writer.write(piece)
            await writer.drain()
            await asyncio.sleep(HEAD_TIMEOUT / 5)
        answer = await read_answer(reader)
    assert answer is not None and answer.status == 200


async def test_hundreds_of_half_sent_requests_are_all_closed_after_the_head_deadline(quick: Server) -> None:
    count = 300
    halves = [
        b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Wait",  # headers, unfinished
        b"POST /api/v1/sessions HT",  # request line, unfinished
        b"",  # connected, nothing sent
    ]
    connections = [await asyncio.open_connection("127.0.0.1", quick.port) for _ in range(count)]
    started = time.monotonic()
    for i, (_, writer) in enumerate(connections):
        writer.write(halves[i % len(halves)])
    await asyncio.gather(*(writer.drain() for _, writer in connections))
    closed = await asyncio.gather(*(closed_by_server(reader, HEAD_TIMEOUT + SLACK) for reader, _ in connections))
    elapsed = time.monotonic() - started
    for _, writer in connections:
        writer.close()
    assert sum(closed) == count, f"{count - sum(closed)} of {count} half-sent requests are still open"
    assert elapsed >= HEAD_TIMEOUT * 0.9, "closed before the deadline"


async def test_a_head_dripping_a_byte_at_a_time_is_closed_at_its_deadline(quick: Server) -> None:
    """More bytes do not extend the head's deadline."""
    async with connection(quick) as (reader, writer):
        writer.write(b"GET /healthz HTTP/1.1\r\nX-Drip: ")
        started = time.monotonic()
        closed = asyncio.create_task(closed_by_server(reader, HEAD_TIMEOUT + SLACK))
        while not closed.done() and time.monotonic() - started < HEAD_TIMEOUT + SLACK:
            with contextlib.suppress(ConnectionError):
                writer.write(b"a")
                await writer.drain()
            await asyncio.sleep(0.1)
        assert await closed
    assert time.monotonic() - started < HEAD_TIMEOUT + SLACK


# -- request bodies: deadline, per-route limit ------------------------------------------------------------


def _post_head(path: str, extra: str, token: str | None = None) -> bytes:
    auth = f"Authorization: Bearer {token}\n" if token else ""
    return crlf(f"POST /api/v1{path} HTTP/1.1\nHost: 127.0.0.1\n{auth}Content-Type: application/json\n{extra}\n")


@pytest.mark.parametrize(
    "raw",
    [
        _post_head("/sessions", "Content-Length: 200\n") + b'{"handle": "some',
        _post_head("/sessions", "Transfer-Encoding: chunked\n") + b'11\r\n{"handle": "some"\r\n',
        _post_head("/sessions", "Content-Length: 200\n"),  # not a byte of the body
    ],
    ids=["declared_length", "chunked", "nothing_of_it"],
)
async def test_a_body_that_stops_arriving_is_answered_408(quick: Server, raw: bytes) -> None:
    async with unchanged(quick), connection(quick) as (reader, writer):
        writer.write(raw)
        await writer.drain()
        started = time.monotonic()
        answer = await read_answer(reader, BODY_TIMEOUT + SLACK)
        waited = time.monotonic() - started
        assert answer is not None, "closed without an answer"
        assert answer.status == 408 and answer.error()["code"] == "request_timeout", answer
        assert await closed_by_server(reader, SLACK)
    assert waited >= BODY_TIMEOUT * 0.9


async def test_a_body_that_keeps_arriving_slowly_is_read(quick: Server, chat: Chat) -> None:
    """The body deadline is for a body that stops: one that keeps coming, a piece at a time, is read."""
    body = json.dumps({"id": "slow-1", "text": "arrived slowly"}).encode()
    head = _post_head(
        f"/conversations/{chat.conversation}/messages", f"Content-Length: {len(body)}\n", chat.alice.token
    )
    async with connection(quick) as (reader, writer):
        writer.write(head)
        for i in range(0, len(body), len(body) // 4 + 1):
            await asyncio.sleep(BODY_TIMEOUT / 2)
            writer.write(body[i : i + len(body) // 4 + 1])
            await writer.drain()
        answer = await read_answer(reader)
    assert answer is not None and answer.status == 201, answer


async def test_the_rest_of_a_refused_body_is_not_drained_for_ever(quick: Server) -> None:
    """Answered before its body ended (here: not signed in), a request may not keep the connection by dripping."""
    async with connection(quick) as (reader, writer):
        writer.write(_post_head("/conversations/1/leave", "Transfer-Encoding: chunked\n") + b"1\r\na\r\n")
        await writer.drain()
        answer = await read_answer(reader)
        assert answer is not None and answer.status == 401
        started = time.monotonic()
        closed = asyncio.create_task(closed_by_server(reader, BODY_TIMEOUT + SLACK))
        while not closed.done() and time.monotonic() - started < BODY_TIMEOUT + SLACK:
            with contextlib.suppress(ConnectionError):
                writer.write(b"1\r\na\r\n")
                await writer.drain()
            await asyncio.sleep(0.2)
        assert await closed


async def test_the_body_limit_follows_the_setting_declared_or_chunked(quick: Server) -> None:
    over = json.dumps({"handle": "limit_" + "x" * MAX_BODY, "display_name": "x", "password": PASSWORD}).encode()
    async with unchanged(quick):
        declared = await exchange(quick, _post_head("/accounts", f"Content-Length: {len(over)}\n"))  # no body sent
        chunked = await exchange(
            quick,
            _post_head("/accounts", "Transfer-Encoding: chunked\n")
            + b"".join(
                b"%x\r\n%s\r\n" % (len(over[i : i + 1000]), over[i : i + 1000]) for i in range(0, len(over), 1000)
            )
            + b"0\r\n\r\n",
        )
    for answer in (declared, chunked):
        assert answer is not None and answer.status == 413, answer
        error = answer.error()
        assert (error["code"], error["limit"]) == ("too_large", MAX_BODY), error
    spec = json.loads((await get(quick, "/openapi.json")).body)
    assert f"At most {MAX_BODY} bytes" in spec["paths"]["/api/v1/accounts"]["post"]["requestBody"]["description"]


# -- security headers on every response -------------------------------------------------------------------


async def test_every_response_carries_the_security_headers(quick: Server) -> None:
    answers = {
        "web client": await get(quick, "/"),
        "web module": await get(quick, "/js/main.js"),
        "stylesheet": await get(quick, "/app.css"),
        "docs": await get(quick, "/docs"),
        "openapi": await get(quick, "/openapi.json"),
        "api 401": await get(quick, "/api/v1/me"),
        "api 404": await get(quick, "/api/v1/no-such-thing"),
        "page 404": await get(quick, "/no-such-page"),
        "405": await get(quick, "/docs", "DELETE"),
        "426": await get(quick, "/api/v1/ws"),
        "431": await get(quick, "/healthz", extra="".join(f"X-{i}: 1\n" for i in range(120))),
        "not HTTP": (await exchange(quick, b"\x16\x03\x01 not http at all\r\n\r\n")),  # type: ignore[dict-item]
    }
    for what, answer in answers.items():
        assert answer is not None, what
        headers = answer.headers
        assert headers.get("x-content-type-options") == "nosniff", (what, headers)
        assert headers.get("referrer-policy") in ("no-referrer", "same-origin"), (what, headers)
        csp = headers.get("content-security-policy", "")
        assert "frame-ancestors 'none'" in csp, (what, csp)
        directives = dict(d.strip().partition(" ")[::2] for d in csp.split(";"))
        for directive in ("script-src", "style-src", "default-src"):
            assert directive in directives, (what, csp)
            assert "unsafe-inline" not in directives[directive] and "unsafe-eval" not in directives[directive]
            assert "*" not in directives[directive].split() and "data:" not in directives[directive], (what, csp)
        assert "base-uri 'none'" in csp, (what, csp)


async def test_the_web_client_has_no_inline_script_or_style(quick: Server) -> None:
    page = (await get(quick, "/")).body.decode()
    assert re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", page) == [], "an inline script"
    assert "<style" not in page and " style=" not in page and "javascript:" not in page
    assert not re.search(r"\son[a-z]+=", page), "an inline event handler"


async def test_the_docs_page_runs_under_its_policy(quick: Server) -> None:
    """The docs page's inline script and stylesheet are allowed by their hashes, and nothing else inline is."""
    answer = await get(quick, "/docs")
    page = answer.body.decode()
    csp = answer.headers["content-security-policy"]
    blocks = re.findall(r"<(script|style)>(.*?)</\1>", page, re.DOTALL)
    assert {kind for kind, _ in blocks} == {"script", "style"}
    for kind, text in blocks:
        digest = base64.b64encode(hashlib.sha256(text.encode()).digest()).decode()
        directive = next(d for d in csp.split(";") if d.strip().startswith(f"{kind}-src"))
        assert f"'sha256-{digest}'" in directive, (kind, csp)
    assert "connect-src 'self'" in csp  # the page fetches /openapi.json


# -- what a body must be -----------------------------------------------------------------------------------


def _signup(handle: str) -> dict[str, str]:
    return {"handle": handle, "display_name": "Form", "password": PASSWORD}


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        ("text/plain", json.dumps(_signup("form_plain"))),
        ("text/plain;charset=UTF-8", json.dumps(_signup("form_plain2"))),
        ("application/x-www-form-urlencoded", "handle=form_urlenc&display_name=Form&password=" + PASSWORD),
        ("multipart/form-data; boundary=x", '--x\r\nContent-Disposition: form-data; name="handle"\r\n\r\nmp\r\n--x--'),
        ("application/json; charset=latin-1", json.dumps(_signup("form_latin1"))),
        (None, json.dumps(_signup("form_none"))),
    ],
    ids=["text_plain", "text_plain_charset", "urlencoded", "multipart", "json_other_charset", "no_type"],
)
async def test_a_body_that_is_not_declared_json_creates_nothing(
    quick: Server, content_type: str | None, body: str
) -> None:
    headers = {"Content-Type": content_type} if content_type else {}
    async with unchanged(quick), httpx.AsyncClient(base_url=quick.url) as client:
        if content_type is None:  # httpx would add a type of its own to a str: send bytes
            response = await client.post("/api/v1/accounts", content=body.encode())
            assert "content-type" not in response.request.headers
        else:
            response = await client.post("/api/v1/accounts", content=body, headers=headers)
    assert response.status_code == 415, response.text
    assert response.json()["error"]["code"] == "unsupported_media_type"


async def test_json_with_or_without_a_utf8_charset_is_accepted(quick: Server) -> None:
    async with httpx.AsyncClient(base_url=quick.url) as client:
        for n, content_type in enumerate(("application/json", "application/json; charset=utf-8", "Application/JSON")):
            body = json.dumps(_signup(f"json_ok_{n}_{os.getpid()}"))
            response = await client.post("/api/v1/accounts", content=body, headers={"Content-Type": content_type})
            assert response.status_code == 201, response.text


@pytest.mark.parametrize(
    "raw",
    [
        b'{"handle": "dup_one", "handle": "dup_two", "display_name": "D", "password": "%s"}',
        b'{"handle": "dup_one", "\\u0068andle": "dup_two", "display_name": "D", "password": "%s"}',
        b'{"handle": "dup_one", "display_name": "D", "password": "%s", "password": "%s"}',
    ],
    ids=["plain", "escaped", "last"],
)
async def test_duplicate_keys_are_refused(quick: Server, raw: bytes) -> None:
    body = raw.replace(b"%s", PASSWORD.encode())
    async with unchanged(quick), httpx.AsyncClient(base_url=quick.url) as client:
        response = await client.post("/api/v1/accounts", content=body, headers={"Content-Type": "application/json"})
    assert response.status_code == 400, response.text
    assert response.json()["error"]["code"] == "duplicate_key"


async def test_text_that_looks_like_repeated_keys_is_no_duplicate(chat: Chat) -> None:
    texts = ['"id": "id": "text":', 'say "text": x, "text": y', "\\ \" \\\" 'id': id:"]
    for n, text in enumerate(texts):
        sent = {"id": f"keys-{n}", "text": text}
        await chat.alice.ok("POST", f"/conversations/{chat.conversation}/messages", json=sent)
    history = await chat.alice.ok("GET", f"/conversations/{chat.conversation}/messages")
    assert [m["text"] for m in history["messages"]][-3:] == texts, history


# -- methods and the WebSocket path --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("GET", "/api/v1/friends/1", {"PATCH", "DELETE"}),
        ("PUT", "/api/v1/me", {"GET", "HEAD", "PATCH", "DELETE"}),
        ("DELETE", "/api/v1/conversations/1/messages", {"GET", "HEAD", "POST"}),
        ("POST", "/openapi.json", {"GET", "HEAD"}),
        ("POST", "/", {"GET", "HEAD"}),
    ],
)
async def test_a_method_the_path_lacks_gets_405_with_allow(
    quick: Server, method: str, path: str, allowed: set[str]
) -> None:
    answer = await get(quick, path, method)
    assert answer.status == 405, answer
    assert answer.error()["code"] == "method_not_allowed"
    assert {m.strip() for m in answer.headers["allow"].split(",")} == allowed


async def test_a_plain_get_on_the_websocket_path_gets_426(quick: Server) -> None:
    answer = await get(quick, "/api/v1/ws")
    assert answer.status == 426, answer
    assert answer.headers["upgrade"].lower() == "websocket"
    assert answer.error()["code"] == "upgrade_required"


async def _handshake(server: Server) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
    key = base64.b64encode(os.urandom(16)).decode()
    writer.write(
        crlf(
            "GET /api/v1/ws HTTP/1.1\nHost: 127.0.0.1\nUpgrade: websocket\nConnection: Upgrade\n"
            f"Sec-WebSocket-Key: {key}\nSec-WebSocket-Version: 13\n\n"
        )
    )
    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10)
    assert head.startswith(b"HTTP/1.1 101 "), head
    return reader, writer


def _client_frame(opcode: int, payload: bytes) -> bytes:
    assert len(payload) < 126
    mask = os.urandom(4)
    return bytes([0x80 | opcode, 0x80 | len(payload)]) + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload))


async def test_a_websocket_text_frame_that_is_not_utf8_is_closed_without_a_traceback(quick: Server) -> None:
    watch = LogWatch(quick)
    reader, writer = await _handshake(quick)
    writer.write(_client_frame(0x1, b'{"type": "hello", "token": "\xff\xfe\xc3"}'))
    await writer.drain()
    frame = await asyncio.wait_for(reader.read(2), 10)
    assert frame[0] == 0x88, frame  # a close frame
    length = frame[1] & 0x7F
    payload = await asyncio.wait_for(reader.readexactly(length), 10)
    assert int.from_bytes(payload[:2], "big") == 1007, payload
    assert await closed_by_server(reader, SLACK)
    writer.close()
    await asyncio.sleep(0.2)  # the server's log line, if any, is written by then
    watch.assert_no_errors()
    assert "UnicodeDecodeError" not in watch.new_text()
