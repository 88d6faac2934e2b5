"""The four workloads: each sets itself up through the REST API, runs its load and computes its metrics."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from kith.bench import client
from kith.bench.checks import Expectation, check
from kith.bench.context import (
    CPU_METRICS,
    Context,
    Metric,
    Skipped,
    Workload,
    all_peers,
    correctness,
    jobs_for,
    ms,
    send_errors,
    timed_out,
)
from kith.bench.cpu import per_item_us
from kith.bench.loadgen import PeerSpec
from kith.bench.setup import Api
from kith.bench.sizes import Sizes
from kith.bench.stats import percentile, rate

# -- W1 ---------------------------------------------------------------------------------------


class Direct(Workload):
    name = "W1"
    title = "direct: pairs of friends, closed-loop senders"
    metrics = (
        Metric("msgs_per_s", "acknowledged msgs/s", "msg/s", ">= 3000"),
        Metric("server_us_per_msg", "server CPU per message", "µs"),
        Metric("latency_p50_ms", "delivery latency p50", "ms", "", 1),
        Metric("latency_p95_ms", "delivery latency p95", "ms", "", 1),
        Metric("latency_p99_ms", "delivery latency p99", "ms", "<= 100", 1),
        Metric("ack_p50_ms", "ack latency p50", "ms", "", 1),
        Metric("ack_p99_ms", "ack latency p99", "ms", "", 1),
        Metric("delivered", "messages delivered", ""),
        Metric("exactly_once", "exactly once", "", "yes"),
        Metric("in_order", "in per-sender order", "", "yes"),
        *CPU_METRICS,
        # kith bench --relay: bench/relay.py with W1's shape, run right after each W1 run
        Metric("relay_msgs_per_s", "bare relay, same run", "msg/s", optional=True),
        Metric("relay_us_per_msg", "bare relay's CPU per message", "µs", optional=True),
        Metric("relay_ack_p99_ms", "bare relay's ack latency p99", "ms", "", 1, optional=True),
        Metric("relay_ratio_pct", "kith / bare relay", "%", ">= 65", optional=True),
    )

    def run(self, ctx: Context) -> dict[str, Any]:
        s = ctx.sizes
        started = time.perf_counter()
        conversations, senders, receivers = asyncio.run(self._setup(ctx))
        setup_s = time.perf_counter() - started
        peers = []
        for i, (conversation_id, a, b) in enumerate(zip(conversations, senders, receivers, strict=True)):
            peers.append(PeerSpec(a, key=i, conversation_id=conversation_id, messages=s.messages,
                                  inflight=s.inflight, record=False))  # fmt: skip
            peers.append(PeerSpec(b, label=i, expect=s.messages))
        results = ctx.run(jobs_for(ctx, peers, together=2))  # a sender and its receiver in the same process
        got = all_peers(results)
        sent = [p for p in got if p.key >= 0]
        expect = Expectation(ctx.tag, {i: s.messages for i in range(s.pairs)}, {i: [i] for i in range(s.pairs)})
        d = check(expect, sent, got)
        acks = [a for p in sent for a in p.t_ack if a > 0]
        ack_latencies = [a - t for p in sent for t, a in zip(p.t_send, p.t_ack, strict=True) if a > 0]
        return {
            "msgs_per_s": rate(len(acks), max(acks, default=0) - d.first_send),
            "server_us_per_msg": per_item_us(ctx.cpu, len(acks)),
            "latency_p50_ms": ms(percentile(d.latencies, 50)),
            "latency_p95_ms": ms(percentile(d.latencies, 95)),
            "latency_p99_ms": ms(percentile(d.latencies, 99)),
            "ack_p50_ms": ms(percentile(ack_latencies, 50)),
            "ack_p99_ms": ms(percentile(ack_latencies, 99)),
            "acked": len(acks),
            "sent": s.pairs * s.messages,
            "errors": send_errors(sent)[:10],
            "timed_out": timed_out(results),
            "setup_s": setup_s,
            **ctx.cpu,
            **correctness(d),
        }

    async def _setup(self, ctx: Context) -> tuple[list[int], list[str], list[str]]:
        async with Api(ctx.target.url) as api:
            a = await api.register_many(f"{ctx.tag}_a", ctx.sizes.pairs)
            b = await api.register_many(f"{ctx.tag}_b", ctx.sizes.pairs)
            await api.befriend_pairs(zip(a, b, strict=True))
            conversations = await api.directs(zip(a, b, strict=True))
        return conversations, [x.token for x in a], [x.token for x in b]


# -- W2 ---------------------------------------------------------------------------------------


class Group(Workload):
    name = "W2"
    title = "group: one group, every member connected"
    metrics = (
        Metric("deliveries_per_s", "deliveries/s", "/s", ">= 10000"),
        Metric("server_us_per_delivery", "server CPU per delivery", "µs"),
        Metric("latency_p50_ms", "delivery latency p50", "ms", "", 1),
        Metric("latency_p99_ms", "delivery latency p99", "ms", "<= 100", 1),
        Metric("ack_p50_ms", "ack latency p50", "ms", "", 1),
        Metric("delivered", "deliveries", ""),
        Metric("exactly_once", "exactly once", "", "yes"),
        Metric("in_order", "in order (one order for all)", "", "yes"),
        *CPU_METRICS,
    )

    def run(self, ctx: Context) -> dict[str, Any]:
        s = ctx.sizes
        started = time.perf_counter()
        conversation_id, tokens = asyncio.run(self._setup(ctx))
        setup_s = time.perf_counter() - started
        senders = self.senders(s)
        total = len(senders) * s.group_messages
        peers = [
            PeerSpec(token, label=i, key=i if i in senders else -1, conversation_id=conversation_id,
                     messages=s.group_messages if i in senders else 0, inflight=1, expect=total)
            for i, token in enumerate(tokens)
        ]  # fmt: skip
        results = ctx.run(jobs_for(ctx, peers))
        got = all_peers(results)
        sent = [p for p in got if p.key >= 0]
        expect = Expectation(
            ctx.tag,
            {k: s.group_messages for k in senders},
            {i: list(senders) for i in range(len(tokens))},
            own_key={k: k for k in senders},
        )
        d = check(expect, sent, got)
        ack_latencies = [a - t for p in sent for t, a in zip(p.t_send, p.t_ack, strict=True) if a > 0]
        return {
            "deliveries_per_s": rate(d.delivered, d.last_arrival - d.first_send),
            "server_us_per_delivery": per_item_us(ctx.cpu, d.delivered),
            "latency_p50_ms": ms(percentile(d.latencies, 50)),
            "latency_p99_ms": ms(percentile(d.latencies, 99)),
            "ack_p50_ms": ms(percentile(ack_latencies, 50)),
            "acked": len(ack_latencies),
            "sent": total,
            "members": len(tokens),
            "errors": send_errors(sent)[:10],
            "timed_out": timed_out(results),
            "setup_s": setup_s,
            **ctx.cpu,
            **correctness(d),
        }

    @staticmethod
    def senders(s: Sizes) -> list[int]:
        """Member numbers of the senders, spread over the group (and so over the worker processes)."""
        count = min(s.group_senders, s.group_size)
        return sorted({i * s.group_size // count for i in range(count)})

    async def _setup(self, ctx: Context) -> tuple[int, list[str]]:
        async with Api(ctx.target.url) as api:
            members = await api.register_many(f"{ctx.tag}_m", ctx.sizes.group_size)
            owner, others = members[0], members[1:]
            await api.befriend_pairs((owner, m) for m in others)
            conversation_id = await api.group(owner, others, "bench")
        return conversation_id, [m.token for m in members]


# -- W3 ---------------------------------------------------------------------------------------


class Idle(Workload):
    name = "W3"
    title = "idle: authenticated WebSocket connections"
    metrics = (
        Metric("kib_per_connection", "server memory per connection", "KiB", "<= 20", 1),
        Metric("connections", "connections held", ""),
        Metric("rss_before_mib", "server RSS before", "MiB", "", 1),
        Metric("rss_after_mib", "server RSS with all connected", "MiB", "", 1),
    )
    settle_s = 1.0

    def run(self, ctx: Context) -> dict[str, Any]:
        if ctx.target.pid is None:
            raise Skipped("W3 needs the server's process id to read its memory: pass --server-pid")
        started = time.perf_counter()
        tokens = asyncio.run(self._setup(ctx))
        setup_s = time.perf_counter() - started
        asyncio.run(_warm_up(ctx.target.ws_url, tokens[:5]))  # one-time costs (imports, caches) are not per connection
        time.sleep(self.settle_s)
        before = ctx.target.rss_kib() or 0
        after = [0]

        def sample() -> None:
            time.sleep(self.settle_s)
            after[0] = ctx.target.rss_kib() or 0

        results = ctx.run(jobs_for(ctx, [PeerSpec(t) for t in tokens]), on_ready=sample)
        connected = sum(r.connected for r in results)
        return {
            "kib_per_connection": (after[0] - before) / connected if connected else float("nan"),
            "connections": connected,
            "rss_before_mib": before / 1024,
            "rss_after_mib": after[0] / 1024,
            "setup_s": setup_s,
        }

    async def _setup(self, ctx: Context) -> list[str]:
        async with Api(ctx.target.url) as api:
            return [u.token for u in await api.register_many(f"{ctx.tag}_i", ctx.sizes.idle)]


async def _warm_up(ws_url: str, tokens: list[str]) -> None:
    connections = [await client.connect(ws_url, t) for t in tokens]
    for c in connections:
        c.close()
    await asyncio.sleep(0.1)


# -- W4 ---------------------------------------------------------------------------------------


class Catchup(Workload):
    name = "W4"
    title = "catch-up: an offline user's backlog"
    metrics = (
        Metric("catchup_s", "connect -> holding all", "s", "<= 0.2", 3),
        Metric("ready_s", "connect -> ready", "s", "", 3),
        Metric("delivered", "messages caught up", ""),
        Metric("exactly_once", "exactly once", "", "yes"),
        Metric("in_order", "in order", "", "yes"),
    )

    def run(self, ctx: Context) -> dict[str, Any]:
        s = ctx.sizes
        started = time.perf_counter()
        conversations, tokens, me_token, head = asyncio.run(self._setup(ctx))
        setup_s = time.perf_counter() - started
        friends = len(tokens)
        per_friend = [s.catchup_messages // friends + (1 if i < s.catchup_messages % friends else 0)
                      for i in range(friends)]  # fmt: skip
        peers = [
            PeerSpec(t, key=i, conversation_id=c, messages=n, inflight=s.inflight, record=False)
            for i, (t, c, n) in enumerate(zip(tokens, conversations, per_friend, strict=True))
        ]
        me = PeerSpec(me_token, label=0, expect=sum(per_friend), since=head)
        results = ctx.run(jobs_for(ctx, peers, catchup=me))
        result = results[0]
        sent = result.peers
        expect = Expectation(ctx.tag, dict(enumerate(per_friend)), {0: list(range(friends))}, first_seq={0: head + 1})
        d = check(expect, sent, [result.catchup] if result.catchup else [])
        last = max((r[4] for r in result.catchup.received), default=0.0) if result.catchup else 0.0
        return {
            "catchup_s": last - result.catchup_started if last and d.missing == 0 else float("nan"),
            "ready_s": result.catchup_ready - result.catchup_started if result.catchup_ready else float("nan"),
            "send_phase_s": max((a for p in sent for a in p.t_ack), default=0.0) - d.first_send,
            "sent": sum(per_friend),
            "errors": (send_errors(sent) + result.connect_errors)[:10],
            "timed_out": timed_out(results),
            "setup_s": setup_s,
            **ctx.cpu,
            **correctness(d),
        }

    async def _setup(self, ctx: Context) -> tuple[list[int], list[str], str, int]:
        async with Api(ctx.target.url) as api:
            me = (await api.register_many(f"{ctx.tag}_me", 1))[0]
            friends = await api.register_many(f"{ctx.tag}_f", ctx.sizes.catchup_friends)
            await api.befriend_pairs((f, me) for f in friends)
            conversations = await api.directs((f, me) for f in friends)
            head = await api.head(me)
        return conversations, [f.token for f in friends], me.token, head


WORKLOADS: dict[str, Workload] = {w.name: w for w in (Direct(), Group(), Idle(), Catchup())}
