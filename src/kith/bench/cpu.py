"""CPU use while a load runs: the server's (from /proc/<pid>/stat), the load generator's, everyone else's.

On a shared machine the third number says whether a run was disturbed.
"""

from __future__ import annotations

import os
import threading
import time

from kith.bench.loadgen import JobResult
from kith.bench.server import Target


def machine_busy_seconds() -> float | None:
    """CPU time all cores spent busy (not idle or waiting for I/O) since boot, from /proc/stat."""
    try:
        with open("/proc/stat") as fh:
            fields = [int(v) for v in fh.readline().split()[1:9]]
    except (OSError, ValueError):
        return None
    user, nice, system, _idle, _iowait, irq, softirq, steal = fields
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


class CpuSampler:
    """Samples the server's CPU time every few milliseconds while the load runs (when its pid is known)."""

    def __init__(self, target: Target, interval: float = 0.02) -> None:
        self.target = target
        self.interval = interval
        self.samples: list[tuple[float, float, float]] = []  # (time, server CPU, machine busy) in seconds
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)

    def start(self) -> None:
        if self.target.pid is not None:
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(5)

    def _loop(self) -> None:
        while True:
            cpu, busy = self.target.cpu_seconds(), machine_busy_seconds()
            if cpu is not None and busy is not None:
                self.samples.append((time.perf_counter(), cpu, busy))
            if self._stop.wait(self.interval):
                return

    def between(self, t0: float, t1: float) -> tuple[float, float] | None:
        """CPU use of the server and of the whole machine from t0 to t1, in % of one core."""
        inside = [s for s in self.samples if t0 - self.interval <= s[0] <= t1 + self.interval]
        if len(inside) < 2 or inside[-1][0] <= inside[0][0]:
            return None
        (a, server_a, busy_a), (b, server_b, busy_b) = inside[0], inside[-1]
        return 100 * (server_b - server_a) / (b - a), 100 * (busy_b - busy_a) / (b - a)


def cpu_use(results: list[JobResult], sampler: CpuSampler) -> dict[str, float]:
    """CPU used while the load ran by the server, the load generator and everything else, in % of one core."""
    t0 = min((r.t_go for r in results if r.t_go), default=0.0)
    t1 = max((r.t_done for r in results), default=0.0)
    if t1 <= t0:
        return {}
    out = {"loadgen_cpu_pct": 100 * sum(r.cpu_s for r in results) / (t1 - t0)}
    measured = sampler.between(t0, t1)
    if measured is not None:
        out["server_cpu_pct"], machine = measured
        out["other_cpu_pct"] = max(0.0, machine - out["server_cpu_pct"] - out["loadgen_cpu_pct"])
        out["server_cpu_s"] = out["server_cpu_pct"] / 100 * (t1 - t0)
    return out


def per_item_us(cpu: dict[str, float], count: int) -> float:
    """Server CPU time per message (or delivery) in microseconds: less sensitive to a busy machine than rates."""
    seconds = cpu.get("server_cpu_s")
    return seconds / count * 1e6 if seconds is not None and count else float("nan")
