"""The outputs: a hardware line, the table of medians and runs, and the JSON file with every run."""

from __future__ import annotations

import json
import math
import os
import platform
import subprocess
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from kith import __version__
from kith.bench.context import Metric
from kith.bench.runner import Options, WorkloadReport


def hardware() -> dict[str, Any]:
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as fh:
            cpu = next((line.split(":", 1)[1].strip() for line in fh if line.startswith("model name")), cpu)
    except OSError:
        pass
    try:
        with open("/proc/loadavg") as fh:
            load = " ".join(fh.read().split()[:3])
    except OSError:
        load = "?"
    return {
        "cpu": cpu,
        "loadavg_at_start": load,
        "cores": os.cpu_count(),
        "kernel": f"{platform.system()} {platform.release()}",
        "python": f"{platform.python_implementation()} {platform.python_version()}",
    }


def hardware_line(hw: dict[str, Any]) -> str:
    line = f"CPU: {hw['cpu']} · {hw['cores']} cores · {hw['kernel']} · {hw['python']}"
    return line + f" · load average at start {hw['loadavg_at_start']}"


def _show(value: Any, metric: Metric | None) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "NO"
    if isinstance(value, float) and math.isnan(value):
        return "n/a"
    if isinstance(value, int | float):
        digits = metric.digits if metric else 1
        return f"{value:,.{digits}f}"
    return str(value)


def _verdict(value: Any, target: str) -> str:
    """'met' or 'MISSED' for a numeric target like '>= 3000' or '<= 100'; '' when there is none."""
    if not target or value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if target == "yes":
        return "met" if value is True else "MISSED"
    op, _, bound = target.partition(" ")
    ok = value >= float(bound) if op == ">=" else value <= float(bound)
    return "met" if ok else "MISSED"


def table(reports: list[WorkloadReport], runs: int) -> str:
    header = ["workload", "metric", "median", *[f"run {i + 1}" for i in range(runs)], "target", ""]
    rows = [header]
    notes = []
    for report in reports:
        w = report.workload
        median = report.median
        skipped = next((r["skipped"] for r in report.runs if r.get("skipped")), None)
        if skipped:
            notes.append(f"{w.name} skipped: {skipped}")
            continue
        for metric in w.metrics:
            if metric.optional and all(r.get(metric.key) is None for r in report.runs):
                continue
            label = f"{metric.label} ({metric.unit})" if metric.unit else metric.label
            values = [r.get(metric.key) if r.get("ok") else None for r in report.runs]
            cells = [_show(v, metric) for v in values] + [""] * (runs - len(values))
            target = f"{metric.target} {metric.unit}".strip() if metric.target not in ("", "yes") else metric.target
            rows.append([w.name, label, _show(median.get(metric.key), metric), *cells, target,
                         _verdict(median.get(metric.key), metric.target)])  # fmt: skip
        for i, run in enumerate(report.runs):
            if not run.get("ok"):
                notes.append(f"{w.name} run {i + 1} failed: {run.get('error')}")
            for problem in run.get("problems", [])[:3]:
                notes.append(f"{w.name} run {i + 1}: {problem}")
            for error in run.get("errors", [])[:3]:
                notes.append(f"{w.name} run {i + 1}: send error {error}")
            if run.get("timed_out"):
                notes.append(f"{w.name} run {i + 1}: timed out before everything arrived")
            for line in run.get("server_log_errors", [])[:3]:
                notes.append(f"{w.name} run {i + 1}: server log: {line[:160]}")
    widths = [max(len(row[c]) for row in rows) for c in range(len(header))]
    lines = []
    for n, row in enumerate(rows):
        cells = [cell.ljust(widths[c]) if c < 2 else cell.rjust(widths[c]) for c, cell in enumerate(row[:-2])]
        cells += [row[-2].ljust(widths[-2]), row[-1]]
        lines.append("  ".join(cells).rstrip())
        if n == 0:
            lines.append("-" * len(lines[0]))
    return "\n".join(lines + (["", *notes] if notes else []))


def source() -> dict[str, Any]:
    """The commit of the code being measured, and whether the working tree had changes (when in git)."""
    here = Path(__file__).resolve().parent
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=here, capture_output=True, text=True, timeout=5, check=True
        ).stdout.strip()
        status = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=here,
            capture_output=True,
            text=True,
            timeout=5,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return {}
    return {"commit": commit, "dirty": bool(status.strip())}


def document(options: Options, reports: list[WorkloadReport], hw: dict[str, Any], argv: list[str]) -> dict[str, Any]:
    return {
        "kith_version": __version__,
        "finished_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "command": argv,
        "hardware": hw,
        "source": source(),
        "options": {
            "runs": options.runs,
            "procs": options.procs,
            "timeout_s": options.timeout,
            "url": options.url,
            "sizes": asdict(options.sizes),
        },
        "workloads": {
            r.workload.name: {
                "title": r.workload.title,
                "correct": r.correct,
                "metrics": [asdict(m) for m in r.workload.metrics],
                "median": r.median,
                "runs": r.runs,
            }
            for r in reports
        },
    }


def _finite(value: Any) -> Any:
    """NaN and infinities become null: the file stays strict JSON."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(v) for v in value]
    return value


def write_json(path: Path, doc: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(_finite(doc), indent=2, default=str, allow_nan=False) + "\n")


def default_json_path() -> Path:
    return Path("bench") / "results" / (datetime.now().strftime("%Y%m%d-%H%M%S") + ".json")
