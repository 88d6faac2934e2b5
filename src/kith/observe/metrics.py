"""The app's Prometheus metrics, in a registry of its own (an app never touches the global one).

Labels never carry a user, a device, a conversation or a path with ids in it: only route
templates, methods, status classes and transports, so the number of series is fixed by the code.
The hot paths (a send, a push) cost an addition to a plain number, or a bisect per pushed
message, read by a collector at scrape time; elsewhere label children are bound once, never
looked up per call.
"""

from __future__ import annotations

import asyncio
import bisect
import hmac
import itertools
from collections.abc import Awaitable, Callable, Iterator, Sequence
from typing import Any

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    gc_collector,
    platform_collector,
    process_collector,
)
from prometheus_client.core import CounterMetricFamily, HistogramMetricFamily, Metric
from prometheus_client.exposition import choose_encoder
from prometheus_client.registry import Collector
from prometheus_client.utils import floatToGoString
from starlette.requests import Request
from starlette.responses import Response

from kith.clock import Clock
from kith.http import errors as http_errors

# what a message frame begins with, after its seq: {"seq":N,"type":"message","at":<created_at ms>,...
_MESSAGE_AT = b'"type":"message","at":'
_AT_SKIP = len(_MESSAGE_AT)
_LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
_BATCH_BUCKETS = (1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024)
_WRITE_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)
_REQUEST_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0)
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


class Metrics:
    """Everything the app counts, with one small method per place that counts."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.registry = registry = CollectorRegistry()
        process_collector.ProcessCollector(registry=registry)
        platform_collector.PlatformCollector(registry=registry)
        gc_collector.GCCollector(registry=registry)

        self.connections = Gauge(
            "kith_websocket_connections", "Signed-in WebSocket connections open now.", registry=registry
        )
        # counted on the hot paths as plain numbers (see LoopCounts); only the event loop's thread
        # changes them, and scrapes read them on that thread too
        self.sent_ws = self.sent_rest = 0
        self.delivered_live = self.delivered_store = 0
        self.sync_reads_ws = self.sync_reads_rest = 0
        self.latency_counts = [0] * (len(_LATENCY_BUCKETS) + 1)  # per bucket (not cumulative), then +Inf
        self.latency_sum = 0.0
        registry.register(LoopCounts(self))
        self.write_batch = Histogram(
            "kith_store_write_batch_jobs",
            "Write jobs committed in one transaction (SQLite's group commit; always 1 on PostgreSQL).",
            buckets=_BATCH_BUCKETS,
            registry=registry,
        )
        self.write_seconds = Histogram(
            "kith_store_write_seconds",
            "Time of one write transaction, from BEGIN until its COMMIT returned.",
            buckets=_WRITE_BUCKETS,
            registry=registry,
        )
        self._rate_limited = Counter(
            "kith_rate_limited", "Requests refused with 429, by route template.", ["route"], registry=registry
        )
        self._responses = Counter(
            "kith_http_responses",
            "HTTP responses by route template, method and status class (2xx, 4xx, 5xx, ...).",
            ["route", "method", "status"],
            registry=registry,
        )
        self._durations = Histogram(
            "kith_http_request_seconds",
            "Time from a request's arrival until its response was sent, by route template.",
            ["route"],
            buckets=_REQUEST_BUCKETS,
            registry=registry,
        )
        # bound children, keyed by what labels them: a handful of tuples, filled on first use
        self._response_children: dict[tuple[str, str, int], Any] = {}
        self._duration_children: dict[str, Any] = {}

    # -- the WebSocket gateway ---------------------------------------------------------------

    def count_connections(self, count: Callable[[], int]) -> None:
        """The connections gauge reads ``count()`` at each scrape: nothing is counted per socket."""
        self.connections.set_function(count)

    def acked(self, sent: asyncio.Future[Any]) -> None:
        """A WebSocket send settled: count it if it stored a new message."""
        if not sent.cancelled() and sent.exception() is None and not sent.result().duplicate:
            self.sent_ws += 1

    def pushed(self, frames: Sequence[bytes], live: bool) -> None:
        """Event frames were written to a socket; live ones also time their messages."""
        if not live:
            self.delivered_store += len(frames)
            return
        self.delivered_live += len(frames)
        now = self.clock.now_ms()
        counts = self.latency_counts
        for frame in frames:
            start = frame.find(_MESSAGE_AT, 0, 64)
            if start >= 0:
                start += _AT_SKIP
                seconds = max(0, now - int(frame[start : frame.index(b",", start)])) / 1000
                counts[bisect.bisect_left(_LATENCY_BUCKETS, seconds)] += 1
                self.latency_sum += seconds

    # -- the store's writer (called from its threads) ----------------------------------------

    def committed(self, jobs: int, seconds: float) -> None:
        self.write_batch.observe(jobs)
        self.write_seconds.observe(seconds)

    # -- HTTP ----------------------------------------------------------------------------------

    def responded(self, route: str, method: str, status: int, seconds: float) -> None:
        key = (route, method, status)
        child = self._response_children.get(key)
        if child is None:
            method_label = method if method in METHODS else "other"
            child = self._response_children[key] = self._responses.labels(route, method_label, f"{status // 100}xx")
        child.inc()
        duration = self._duration_children.get(route)
        if duration is None:
            duration = self._duration_children[route] = self._durations.labels(route)
        duration.observe(seconds)
        if status == 429:
            self._rate_limited.labels(route).inc()

    def exposition(self, accept: str | None) -> tuple[bytes, str]:
        """The registry in the format the scraper asks for (OpenMetrics or Prometheus text)."""
        encode, content_type = choose_encoder(accept or "")
        return encode(self.registry), content_type


class LoopCounts(Collector):
    """The hot paths' counts, as metric families at scrape time: on the send and push paths a count
    costs an addition and a latency a bisect, where the library's own types take a lock per update."""

    def __init__(self, metrics: Metrics) -> None:
        self.metrics = metrics

    def collect(self) -> Iterator[Metric]:
        m = self.metrics
        sent = CounterMetricFamily(
            "kith_messages_sent",
            "Messages stored and acknowledged to their sender, by transport (a resent id is not counted again).",
            labels=["transport"],
        )
        sent.add_metric(["ws"], m.sent_ws)
        sent.add_metric(["rest"], m.sent_rest)
        yield sent
        deliveries = CounterMetricFamily(
            "kith_deliveries",
            "Event frames pushed to WebSockets: live from wake-ups, or read from the store to catch up.",
            labels=["source"],
        )
        deliveries.add_metric(["live"], m.delivered_live)
        deliveries.add_metric(["store"], m.delivered_store)
        yield deliveries
        latency = HistogramMetricFamily(
            "kith_delivery_latency_seconds",
            "From a message's created_at (its write job running) to its frame written to a WebSocket,"
            " for live pushes (catch-up after a reconnect is not counted: it would measure time offline).",
        )
        cumulative = list(itertools.accumulate(m.latency_counts))
        bounds = [*(floatToGoString(b) for b in _LATENCY_BUCKETS), "+Inf"]
        latency.add_metric([], list(zip(bounds, cumulative, strict=True)), m.latency_sum)
        yield latency
        reads = CounterMetricFamily(
            "kith_sync_reads",
            "Reads of a user's event log: REST sync pages, and the WebSocket's catch-up reads from the store.",
            labels=["source"],
        )
        reads.add_metric(["rest"], m.sync_reads_rest)
        reads.add_metric(["ws"], m.sync_reads_ws)
        yield reads


def metrics_endpoint(metrics: Metrics, token: str) -> Callable[[Request], Awaitable[Response]]:
    """``GET /metrics``: the text exposition; with a token set, only for ``Authorization: Bearer <token>``."""
    expected = f"Bearer {token}".encode()

    async def endpoint(request: Request) -> Response:
        if token:
            given = request.headers.get("authorization", "").encode()
            if not hmac.compare_digest(given, expected):
                return http_errors.json_error(401, "unauthenticated", "metrics need the configured bearer token")
        body, content_type = metrics.exposition(request.headers.get("accept"))
        return Response(body, headers={"Content-Type": content_type})

    return endpoint
