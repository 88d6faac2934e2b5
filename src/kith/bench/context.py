"""What every workload shares: the run context, metric declarations and helpers to split the load."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from kith.bench.checks import Deliveries
from kith.bench.cpu import CpuSampler, cpu_use
from kith.bench.loadgen import Job, JobResult, PeerResult, PeerSpec, run_jobs
from kith.bench.server import Target
from kith.bench.sizes import Sizes

TEXT = "a benchmark message, about as long as a short line of chat text."


@dataclass(frozen=True)
class Metric:
    key: str
    label: str
    unit: str = ""
    target: str = ""
    digits: int = 0
    optional: bool = False  # measured only when asked for (the relay's): no row when no run has it


@dataclass
class Context:
    """What a run of a workload needs: the server, the sizes and how to drive the load."""

    target: Target
    sizes: Sizes
    tag: str
    procs: int = 1
    timeout: float = 120.0
    on_ready: Callable[[], object] | None = None  # called when all clients are connected (profiler start)
    after: Callable[[], object] | None = None  # called when the load is over (profiler stop)
    cpu: dict[str, float] = field(default_factory=dict)  # CPU use during the last load, in % of one core

    def run(self, jobs: list[Job], on_ready: Callable[[], object] | None = None) -> list[JobResult]:
        sampler = CpuSampler(self.target)

        def ready() -> None:
            if on_ready is not None:
                on_ready()
            if self.on_ready is not None:
                self.on_ready()
            sampler.start()

        try:
            results = run_jobs(jobs, connect_timeout=60, on_ready=ready)
        finally:
            sampler.stop()
            if self.after is not None:
                self.after()
        self.cpu = cpu_use(results, sampler)
        return results


def split(items: list[PeerSpec], parts: int, together: int = 1) -> list[list[PeerSpec]]:
    """Deal the peers round-robin over at most ``parts`` worker processes, ``together`` consecutive ones as one."""
    units = [items[i : i + together] for i in range(0, len(items), together)]
    parts = max(1, min(parts, len(units)))
    return [[p for unit in units[i::parts] for p in unit] for i in range(parts)]


def jobs_for(ctx: Context, peers: list[PeerSpec], catchup: PeerSpec | None = None, together: int = 1) -> list[Job]:
    urls = ctx.target.ws_urls
    if len(urls) > 1:  # spread over the nodes: neighbours (a sender and its receiver) land on different ones
        for index, peer in enumerate(peers):
            peer.ws_url = urls[index % len(urls)]
    shares = [peers] if catchup is not None else split(peers, ctx.procs, together)
    return [Job(ctx.target.ws_url, ctx.tag, TEXT, share, ctx.timeout, catchup) for share in shares]


def all_peers(results: list[JobResult]) -> list[PeerResult]:
    return [p for r in results for p in r.peers]


def ms(seconds: float) -> float:
    return seconds * 1000


def correctness(d: Deliveries) -> dict[str, Any]:
    return {
        "exactly_once": d.exactly_once,
        "in_order": d.in_order,
        "delivered": d.delivered,
        "expected": d.expected,
        "duplicates": d.duplicates,
        "missing": d.missing,
        "out_of_order": d.out_of_order,
        "problems": d.problems,
    }


def send_errors(peers: list[PeerResult]) -> list[str]:
    return [e for p in peers for e in p.errors]


def timed_out(results: list[JobResult]) -> bool:
    return any(r.timed_out for r in results)


CPU_METRICS = (
    Metric("server_cpu_pct", "server CPU", "% of a core"),
    Metric("loadgen_cpu_pct", "load generator CPU", "% of a core"),
    Metric("other_cpu_pct", "other processes' CPU", "% of a core"),
)


class Workload:
    name = ""
    title = ""
    metrics: tuple[Metric, ...] = ()

    def run(self, ctx: Context) -> dict[str, Any]:
        raise NotImplementedError


class Skipped(Exception):
    """A workload that cannot run against this target (e.g. W3 without the server's pid)."""
