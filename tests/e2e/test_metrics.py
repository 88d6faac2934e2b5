"""Operations against the real server: /metrics moves with real traffic, /readyz follows the store
and the bus, and nothing in the metrics names a user."""

from __future__ import annotations

import asyncio
import contextlib
import re
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx
import pytest
from backends import REDIS, bus_url, only_on, scale_out_env
from helpers import Server, Socket, befriend, direct, free_port, register
from prometheus_client import REGISTRY
from prometheus_client.parser import text_string_to_metric_families

from kith.app import create_app
from kith.settings import Settings

Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]

MESSAGES = "/api/v1/conversations/{conversation_id}/messages"
CONVERSATION = "/api/v1/conversations/{conversation_id}"


def scrape(server: Server, **headers: str) -> Samples:
    response = httpx.get(server.url + "/metrics", headers=headers, timeout=10)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain")
    samples: Samples = {}
    for family in text_string_to_metric_families(response.text):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def moved(before: Samples, after: Samples, name: str, **labels: str) -> float:
    return value(after, name, **labels) - value(before, name, **labels)


async def test_counters_move_with_sends_deliveries_syncs_and_errors(server: Server) -> None:
    alice, bob = await register(server), await register(server)
    await befriend(alice, bob)
    conversation = await direct(alice, bob)
    before = scrape(server)
    assert value(before, "kith_websocket_connections") == 0

    bob_socket, alice_socket = await Socket.connect(bob), await Socket.connect(alice)
    assert value(scrape(server), "kith_websocket_connections") == 2
    for n in range(3):
        ack = await alice_socket.send_text(conversation, f"over the socket {n}")
        assert ack["type"] == "ack", ack
    assert (await alice_socket.send_text(conversation, "again", client_id="ws-same"))["type"] == "ack"
    assert (await alice_socket.send_text(conversation, "again", client_id="ws-same"))["duplicate"] is True
    path = f"/conversations/{conversation}/messages"
    for n in range(2):
        await alice.ok("POST", path, json={"id": f"rest{n}", "text": f"over REST {n}"})
    resent = await alice.call("POST", path, json={"id": "rest0", "text": "over REST 0"})
    assert resent.status_code == 200  # a resent id: acknowledged again, not stored again
    await bob_socket.wait_for(lambda: len(bob_socket.messages()) == 6)
    await alice_socket.wait_for(lambda: len(alice_socket.messages()) == 6)

    page = await bob.ok("GET", "/sync", params={"since": 0})
    catch_up = await Socket.connect(bob, since=0)  # reads its backlog from the store
    await catch_up.wait_for(lambda: len(catch_up.events) == page["head"])
    missing = await alice.call("GET", "/conversations/999999")
    assert missing.status_code == 404
    after = scrape(server)

    # sends: new messages only, by transport
    assert moved(before, after, "kith_messages_sent_total", transport="ws") == 4
    assert moved(before, after, "kith_messages_sent_total", transport="rest") == 2
    # deliveries: 6 messages to 2 live sockets, and the whole log again to the catching-up one
    assert moved(before, after, "kith_deliveries_total", source="live") >= 12
    assert moved(before, after, "kith_deliveries_total", source="store") >= page["head"]
    latency = moved(before, after, "kith_delivery_latency_seconds_count")
    assert latency >= 12
    assert moved(before, after, "kith_delivery_latency_seconds_bucket", le="30.0") == latency  # times, not dates
    assert moved(before, after, "kith_delivery_latency_seconds_sum") > 0
    # the writer: every send was a job of some committed transaction
    assert moved(before, after, "kith_store_write_batch_jobs_sum") >= 8
    assert moved(before, after, "kith_store_write_seconds_count") >= 1
    assert moved(before, after, "kith_store_write_seconds_sum") > 0
    # sync reads: one REST page, at least one catch-up read by the WebSocket
    assert moved(before, after, "kith_sync_reads_total", source="rest") == 1
    assert moved(before, after, "kith_sync_reads_total", source="ws") >= 1
    # responses by route template and status class
    assert moved(before, after, "kith_http_responses_total", route=MESSAGES, method="POST", status="2xx") == 3
    assert moved(before, after, "kith_http_responses_total", route=CONVERSATION, method="GET", status="4xx") == 1
    assert moved(before, after, "kith_http_responses_total", route="/api/v1/sync", method="GET", status="2xx") == 1
    assert moved(before, after, "kith_http_request_seconds_count", route=MESSAGES) == 3
    assert value(after, "kith_websocket_connections") == 3

    for sock in (bob_socket, alice_socket, catch_up):
        await sock.close()
    deadline = time.monotonic() + 10
    while value(scrape(server), "kith_websocket_connections") != 0:
        assert time.monotonic() < deadline, "the connections gauge did not fall back to 0"
        await asyncio.sleep(0.05)
    for user in (alice, bob):
        await user.aclose()


async def test_refusals_are_counted_and_labels_name_no_user(server: Server) -> None:
    carol = await register(server)
    before = scrape(server)
    statuses = []
    async with httpx.AsyncClient(base_url=server.url) as anon:
        for _ in range(30):  # wrong passwords until sign-in throttling refuses
            response = await anon.post(
                "/api/v1/sessions", json={"handle": carol.handle, "password": "not the password at all"}
            )
            statuses.append(response.status_code)
            if response.status_code == 429:
                break
        assert statuses[-1] == 429, statuses
        unknown = await anon.get("/api/v1/no-such-endpoint")
        assert unknown.status_code == 404
    blocked = await carol.call("PUT", f"/blocks/{carol.id}")  # a path with a user id in it
    assert 400 <= blocked.status_code < 500
    after = scrape(server)

    sessions = "/api/v1/sessions"
    assert moved(before, after, "kith_rate_limited_total", route=sessions) == 1
    assert moved(before, after, "kith_http_responses_total", route=sessions, method="POST", status="4xx") == len(
        statuses
    )
    assert moved(before, after, "kith_http_responses_total", route="unrouted", method="GET", status="4xx") == 1
    blocks = "/api/v1/blocks/{user_id}"
    assert moved(before, after, "kith_http_responses_total", route=blocks, method="PUT", status="4xx") == 1
    # no label carries an id or a handle: routes are templates, every other label a word of a fixed set
    words = {"ws", "rest", "live", "store", "GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "other"}
    words |= {f"{n}xx" for n in range(1, 6)}
    for name, labels in after:
        for label, text in labels:
            if not name.startswith("kith_") or label == "le":
                continue
            if label == "route":
                assert not re.search(r"\d", text.replace("/api/v1/", "/")), (name, text)
            else:
                assert text in words, (name, label, text)
    await carol.aclose()


def test_metrics_token_and_disabling(make_server: Callable[..., Server]) -> None:
    guarded = make_server({"KITH_METRICS_TOKEN": "scrape-secret"})
    refused = httpx.get(guarded.url + "/metrics")
    assert refused.status_code == 401
    assert refused.json()["error"]["code"] == "unauthenticated"
    assert httpx.get(guarded.url + "/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 401
    assert value(scrape(guarded, Authorization="Bearer scrape-secret"), "kith_websocket_connections") == 0
    guarded.stop()

    off = make_server({"KITH_METRICS_ENABLED": "false"})
    gone = httpx.get(off.url + "/metrics")
    assert gone.status_code == 404
    assert gone.json()["error"]["code"] == "not_found"


def test_request_ids_and_readiness(server: Server) -> None:
    ready = httpx.get(server.url + "/readyz")
    assert ready.status_code == 200
    assert ready.json() == {"ok": True, "checks": {"store": "ok", "bus": "ok"}}
    assert httpx.get(server.url + "/healthz").status_code == 200

    first, second = httpx.get(server.url + "/healthz"), httpx.get(server.url + "/healthz")
    assert re.fullmatch(r"[0-9a-f]{16}", first.headers["x-request-id"])
    assert first.headers["x-request-id"] != second.headers["x-request-id"]
    kept = httpx.get(server.url + "/api/v1/me", headers={"X-Request-Id": "edge-7f3a:01.b"})
    assert kept.status_code == 401 and kept.headers["x-request-id"] == "edge-7f3a:01.b"
    for unsafe in ("x" * 65, "has space", "semi;colon", 'quote"d'):
        replaced = httpx.get(server.url + "/healthz", headers={"X-Request-Id": unsafe})
        assert re.fullmatch(r"[0-9a-f]{16}", replaced.headers["x-request-id"]), unsafe


def test_each_app_has_a_registry_of_its_own(tmp_path: Path) -> None:
    first, second = (create_app(Settings(data_dir=tmp_path / name)) for name in ("one", "two"))
    one, two = first.gateway.metrics, second.gateway.metrics
    assert one.registry is not two.registry
    one.sent_rest += 1
    assert one.registry.get_sample_value("kith_messages_sent_total", {"transport": "rest"}) == 1
    assert two.registry.get_sample_value("kith_messages_sent_total", {"transport": "rest"}) == 0
    assert REGISTRY.get_sample_value("kith_messages_sent_total", {"transport": "rest"}) is None


# -- readiness while a dependency is away --------------------------------------------------------


class Proxy:
    """A TCP forwarder on 127.0.0.1 to a local service, in a thread of its own: ``cut()`` drops every
    connection and stops listening (the service is gone for the server), ``restore()`` listens again."""

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.port = free_port()
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.listener: asyncio.Server | None = None
        self.writers: set[asyncio.StreamWriter] = set()

    def __enter__(self) -> Proxy:
        self.thread.start()
        self.restore()
        return self

    def __exit__(self, *exc: object) -> None:
        self.cut()
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)

    def _run(self, coro: Any) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(10)

    def restore(self) -> None:
        async def listen() -> asyncio.Server:
            return await asyncio.start_server(self._accept, "127.0.0.1", self.port, reuse_address=True)

        self.listener = self._run(listen())

    def cut(self) -> None:
        async def close() -> None:
            if self.listener is not None:
                self.listener.close()
                self.listener = None
            for writer in list(self.writers):
                writer.transport.abort()
            self.writers.clear()

        self._run(close())

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.target_port)
        except OSError:
            writer.transport.abort()
            return
        self.writers |= {writer, up_writer}

        async def pipe(source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
            with contextlib.suppress(OSError):
                while data := await source.read(65536):
                    sink.write(data)
                    await sink.drain()
            sink.transport.abort()

        await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))


def _port(url: str) -> int:
    return urlsplit(url).port or {"redis": 6379, "postgresql": 5432}[urlsplit(url).scheme]


def _through(url: str, proxy: Proxy) -> str:
    """``url`` with its host and port those of ``proxy``."""
    parts = urlsplit(url)
    user = parts.netloc.rpartition("@")[0]
    return urlunsplit(parts._replace(netloc=f"{user}@127.0.0.1:{proxy.port}" if user else f"127.0.0.1:{proxy.port}"))


@pytest.fixture
def redis_proxy() -> Iterator[Proxy]:
    with Proxy(_port(REDIS)) as proxy:
        yield proxy


def _readiness(server: Server) -> httpx.Response:
    return httpx.get(server.url + "/readyz", timeout=10)


def _wait_ready(server: Server, status: int) -> httpx.Response:
    deadline = time.monotonic() + 15
    while (response := _readiness(server)).status_code != status:
        assert time.monotonic() < deadline, f"/readyz stayed {response.status_code}: {response.text}"
        time.sleep(0.1)
    return response


def _on_postgres(test: Callable[..., Any]) -> Callable[..., Any]:
    """Run ``test`` on the postgres backend alone (the Redis bus is part of the scale-out pair)."""
    for mark in only_on("postgres"):
        test = mark(test)
    return test


@_on_postgres
def test_readiness_follows_the_redis_bus(make_server: Callable[..., Server], redis_proxy: Proxy) -> None:
    server = make_server({"KITH_BUS": _through(bus_url(f"readyz-{redis_proxy.port}"), redis_proxy)})
    assert _readiness(server).status_code == 200

    redis_proxy.cut()
    down = _wait_ready(server, 503)
    body = down.json()
    assert body["error"]["code"] == "not_ready"
    assert body["error"]["checks"] == {"store": "ok", "bus": "unreachable"}
    assert "bus" in body["error"]["message"]
    assert httpx.get(server.url + "/healthz").status_code == 200  # the process itself is fine

    redis_proxy.restore()
    assert _wait_ready(server, 200).json()["checks"] == {"store": "ok", "bus": "ok"}


@_on_postgres
def test_readiness_follows_the_store(make_server: Callable[..., Server], new_store: Callable[[], str]) -> None:
    database = new_store()
    with Proxy(_port(database)) as proxy:
        server = make_server({**scale_out_env(database), "KITH_DATABASE": _through(database, proxy)})
        assert _readiness(server).status_code == 200

        proxy.cut()
        down = _wait_ready(server, 503).json()
        assert down["error"]["code"] == "not_ready"
        assert down["error"]["checks"] == {"store": "unreachable", "bus": "ok"}

        proxy.restore()
        assert _wait_ready(server, 200).json()["checks"] == {"store": "ok", "bus": "ok"}
        server.stop()
