"""Optional sampling profile of the server while a workload runs (py-spy), and a summary of it."""

from __future__ import annotations

import shutil
import signal
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path


def py_spy() -> str | None:
    beside = Path(sys.executable).with_name("py-spy")
    return str(beside) if beside.exists() else shutil.which("py-spy")


class Profiler:
    """``py-spy record`` of one process into a collapsed-stacks ("raw") file, from start() to stop()."""

    def __init__(self, pid: int, output: Path, rate: int = 200) -> None:
        self.pid = pid
        self.output = output
        self.rate = rate
        self.proc: subprocess.Popen[bytes] | None = None
        self.log = output.with_suffix(".log")

    def start(self) -> None:
        exe = py_spy()
        if exe is None:
            raise RuntimeError("py-spy is not installed (pip install py-spy)")
        self.output.parent.mkdir(parents=True, exist_ok=True)
        command = [exe, "record", "--pid", str(self.pid), "--format", "raw", "--output", str(self.output)]
        command += ["--rate", str(self.rate), "--threads", "--nolineno", "--nonblocking"]
        with open(self.log, "wb") as log:
            self.proc = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)

    def stop(self) -> None:
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)  # py-spy writes its output on SIGINT
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self.proc = None


@dataclass
class Line:
    function: str
    self_share: float  # of all samples (every thread)
    total_share: float


def _function(frame: str) -> str:
    """``name (path/file.py)`` -> ``file.py:name``, shorter in tables."""
    name, _, where = frame.partition(" (")
    where = where.rstrip(")")
    return f"{where.rsplit('/', 1)[-1]}:{name}" if where else name


def summarize(path: Path, top: int = 20) -> tuple[int, list[Line], dict[str, int]]:
    """Samples, the top functions by self time (with their total time), and samples per thread name.

    Reads py-spy's raw output recorded with ``--threads``: ``thread (tid): name;frame;...;frame count``.
    """
    self_count: Counter[str] = Counter()
    total_count: Counter[str] = Counter()
    threads: Counter[str] = Counter()
    samples = 0
    for raw in path.read_text(errors="replace").splitlines():
        stack, _, count_text = raw.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        frames = stack.split(";")
        thread = "?"
        if frames[0].startswith("thread ("):
            thread = frames.pop(0).partition("): ")[2] or "?"
        if not frames:
            continue
        samples += count
        threads[thread] += count
        functions = [_function(f) for f in frames]
        self_count[functions[-1]] += count
        for function in set(functions):
            total_count[function] += count
    lines = [Line(f, n / samples, total_count[f] / samples) for f, n in self_count.most_common(top)]
    return samples, lines, dict(threads.most_common())
