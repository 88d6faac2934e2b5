"""Runs the chosen workloads the chosen number of times, each run against a fresh server."""

from __future__ import annotations

import json
import math
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from kith.bench.context import Context, Skipped, Workload
from kith.bench.loadgen import LoadError
from kith.bench.profile import Profiler
from kith.bench.server import Cluster, LocalServer, Target, wait_healthy
from kith.bench.setup import SetupError, run_tag
from kith.bench.sizes import Sizes
from kith.bench.stats import combine
from kith.bench.workloads import WORKLOADS

Progress = Callable[[str], None]


@dataclass
class Options:
    sizes: Sizes
    workloads: list[str]
    runs: int = 3
    procs: int = 2
    timeout: float = 120.0
    url: str | None = None  # a running server instead of a fresh one per run
    server_pid: int | None = None  # its process id, for W3's memory readings
    profile_dir: Path | None = None
    keep_data: bool = False
    database: str | None = None  # PostgreSQL admin URL: each run gets a fresh database there
    bus: str | None = None
    nodes: int = 1
    relay: Path | None = None  # bench/relay.py: run it after each W1 run, and report kith's share of it


@dataclass
class WorkloadReport:
    workload: Workload
    runs: list[dict[str, Any]] = field(default_factory=list)

    @property
    def median(self) -> dict[str, Any]:
        """The median of every number and the conjunction of every boolean over the runs that worked."""
        good = [r for r in self.runs if r.get("ok")]
        keys = [k for k in (good[0] if good else {}) if isinstance(good[0][k], int | float | bool)]
        return {k: combine([r.get(k) for r in good]) for k in keys if k != "ok"}

    @property
    def correct(self) -> bool:
        """No run failed or logged a server error, and every correctness check passed (speed plays no part)."""
        for run in self.runs:
            if run.get("skipped"):
                continue
            if not run.get("ok") or run.get("errors") or run.get("timed_out") or run.get("server_log_errors"):
                return False
            if run.get("exactly_once") is False or run.get("in_order") is False:
                return False
            if self.workload.name == "W3" and run.get("connections") != run.get("expected_connections"):
                return False
        return True


def run_all(options: Options, progress: Progress) -> list[WorkloadReport]:
    reports = []
    for name in options.workloads:
        report = WorkloadReport(WORKLOADS[name])
        for index in range(options.runs):
            progress(f"{name} run {index + 1}/{options.runs} ...")
            started = time.perf_counter()
            run = run_once(report.workload, options, index)
            run["wall_s"] = time.perf_counter() - started
            if name == "W1" and options.relay is not None and run.get("ok"):
                progress(f"W1 run {index + 1}/{options.runs}: the bare relay ...")
                run.update(relay_run(options, run))
            report.runs.append(run)
            progress(f"{name} run {index + 1}/{options.runs}: {_brief(run)} ({run['wall_s']:.1f} s)")
            if run.get("skipped"):
                break
        reports.append(report)
    return reports


def run_once(workload: Workload, options: Options, index: int) -> dict[str, Any]:
    try:
        target = _target(options)
    except (RuntimeError, OSError) as exc:
        return {"ok": False, "error": f"the server did not start: {exc}"}
    ctx = Context(target, options.sizes, run_tag(), options.procs, options.timeout)
    if options.profile_dir is not None and target.pid is not None:
        profiler = Profiler(target.pid, options.profile_dir / f"{workload.name}-run{index + 1}.txt")
        ctx.on_ready, ctx.after = profiler.start, profiler.stop
    run: dict[str, Any]
    log_errors: list[str] = []
    try:
        run = {"ok": True, **workload.run(ctx)}
    except Skipped as exc:
        run = {"skipped": str(exc)}
    except (LoadError, SetupError, RuntimeError, OSError, httpx.HTTPError) as exc:
        run = {"ok": False, "error": f"{type(exc).__name__}: {exc}"}
    finally:
        log_errors = target.log_errors()
        target.stop()
    if log_errors:
        run["server_log_errors"] = log_errors[:20]
    if workload.name == "W3":
        run["expected_connections"] = options.sizes.idle
    return run


def relay_run(options: Options, w1: dict[str, Any]) -> dict[str, Any]:
    """bench/relay.py with W1's pairs, window and load processes, sending for as long as W1's load
    lasted, on the same machine right after it: kith's msgs/s as a share of the relay's."""
    sizes = options.sizes
    seconds = w1["delivered"] / w1["msgs_per_s"] if w1.get("msgs_per_s") else 5.0
    command = [sys.executable, str(options.relay), "--json", "--runs", "1", "--pairs", str(sizes.pairs),
               "--window", str(sizes.inflight), "--procs", str(options.procs),
               "--seconds", f"{max(2.0, min(seconds, options.timeout)):.1f}"]  # fmt: skip
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=options.timeout + 60, check=True)
        relay = json.loads(done.stdout.strip().splitlines()[-1])[0]
    except (subprocess.SubprocessError, OSError, ValueError, IndexError) as exc:
        return {"relay_error": f"{type(exc).__name__}: {exc}"}
    rate = relay["msgs_per_s"]
    return {
        "relay_msgs_per_s": rate,
        "relay_us_per_msg": relay["cpu_us_per_msg"],
        "relay_ack_p99_ms": relay["p99_ms"],
        "relay_ratio_pct": 100 * w1["msgs_per_s"] / rate if rate else float("nan"),
    }


def _target(options: Options) -> Target:
    if options.url:
        target = Target(options.url, options.server_pid)
        wait_healthy(target.url, 10)
        return target
    if options.nodes > 1 or options.database or options.bus:
        return Cluster(options.nodes, options.database, options.bus, options.keep_data).start()
    return LocalServer(keep_data=options.keep_data).start()


def _brief(run: dict[str, Any]) -> str:
    if run.get("skipped"):
        return "skipped: " + run["skipped"]
    if not run.get("ok"):
        return "FAILED: " + str(run.get("error"))
    shown = []
    for key in ("msgs_per_s", "deliveries_per_s", "latency_p99_ms", "kib_per_connection", "catchup_s"):
        value = run.get(key)
        if isinstance(value, float) and not math.isnan(value):
            shown.append(f"{key}={value:.4g}")
    for key in ("exactly_once", "in_order"):
        if key in run:
            shown.append(f"{key}={'yes' if run[key] else 'NO'}")
    return " ".join(shown)
