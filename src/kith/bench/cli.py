"""`kith bench`: its flags, and the command itself (run, print the table, write the JSON)."""

from __future__ import annotations

import argparse
import dataclasses
import sys
from pathlib import Path
from typing import Any

from kith.bench.sizes import QUICK, Sizes

WORKLOAD_NAMES = ("W1", "W2", "W3", "W4")
RELAY = Path(__file__).resolve().parents[3] / "bench" / "relay.py"  # in a checkout of the repository

_SIZE_FLAGS = {
    "pairs": "W1: pairs of friends",
    "messages": "W1: messages per sender",
    "inflight": "W1/W4: sends in flight per sender",
    "group_size": "W2: members of the group",
    "group_senders": "W2: members who send",
    "group_messages": "W2: messages per sender",
    "idle": "W3: idle connections",
    "catchup_friends": "W4: friends who send",
    "catchup_messages": "W4: messages in total",
}


def add_bench_parser(commands: Any) -> argparse.ArgumentParser:
    bench = commands.add_parser(
        "bench",
        help="benchmark a server: throughput, latency, memory per connection, catch-up",
        description="Start a server on a temporary data directory (or use --url), set it up through the API and "
        "drive it with WebSocket clients in separate processes. See bench/README.md.",
    )
    bench.add_argument("--url", help="benchmark this running server (e.g. http://127.0.0.1:8080) instead")
    bench.add_argument("--server-pid", type=int, help="with --url: the server's process id, for W3's memory")
    bench.add_argument("--runs", type=int, default=3, help="runs of each workload; the table shows medians [3]")
    bench.add_argument("--only", help="comma-separated workloads to run, e.g. W1,W3 [all]")
    bench.add_argument("--procs", type=int, default=2, help="load-generator processes [2]")
    bench.add_argument("--timeout", type=float, default=120.0, help="seconds a run's load may take at most [120]")
    bench.add_argument("--json", type=Path, help="where to write all runs [bench/results/<timestamp>.json]")
    bench.add_argument("--quick", action="store_true", help="tiny sizes (a smoke test of the benchmark itself)")
    bench.add_argument("--profile", type=Path, metavar="DIR", help="record a py-spy profile of the server per run")
    bench.add_argument("--keep-data", action="store_true", help="keep the servers' temporary data directories")
    bench.add_argument(
        "--database",
        metavar="URL",
        help="run on PostgreSQL: an admin URL (e.g. postgresql://postgres@127.0.0.1/test); each run gets a fresh "
        "database there",
    )
    bench.add_argument("--bus", metavar="URL", help="the nodes' bus, e.g. redis://127.0.0.1:6379/0 [memory://]")
    bench.add_argument("--nodes", type=int, default=1, help="servers sharing the database; needs --database and --bus")
    bench.add_argument(
        "--relay",
        type=Path,
        nargs="?",
        const=RELAY,
        metavar="SCRIPT",
        help="after each W1 run, run the bare relay (bench/relay.py) with W1's shape and report kith's share of it",
    )
    defaults = Sizes()
    for name, help_text in _SIZE_FLAGS.items():
        bench.add_argument("--" + name.replace("_", "-"), type=int, help=f"{help_text} [{getattr(defaults, name)}]")
    return bench


def _options(args: argparse.Namespace) -> Any:
    from kith.bench.runner import Options

    sizes = QUICK if args.quick else Sizes()
    overrides = {n: getattr(args, n) for n in _SIZE_FLAGS if getattr(args, n) is not None}
    sizes = dataclasses.replace(sizes, **overrides)
    if any(v < 1 for v in dataclasses.asdict(sizes).values()):
        raise ValueError("sizes must be at least 1")
    if sizes.group_size < 2 or sizes.catchup_messages < sizes.catchup_friends:
        raise ValueError("a group needs 2 members, and every catch-up friend at least one message")
    names = [w.strip().upper() for w in args.only.split(",")] if args.only else list(WORKLOAD_NAMES)
    unknown = [n for n in names if n not in WORKLOAD_NAMES]
    if unknown:
        raise ValueError(f"unknown workload {', '.join(unknown)}: choose from {', '.join(WORKLOAD_NAMES)}")
    if args.runs < 1 or args.procs < 1 or args.nodes < 1:
        raise ValueError("--runs, --procs and --nodes must be at least 1")
    if args.nodes > 1 and not (args.database and args.bus):
        raise ValueError("several nodes need a shared --database (PostgreSQL) and --bus (Redis)")
    if args.url and (args.database or args.nodes > 1):
        raise ValueError("--url targets a running server; --database and --nodes start servers")
    if args.relay is not None and not args.relay.is_file():
        raise ValueError(f"no relay script at {args.relay}: give its path (bench/relay.py in the repository)")
    return Options(
        sizes, names, args.runs, args.procs, args.timeout, args.url, args.server_pid, args.profile, args.keep_data,
        args.database, args.bus, args.nodes, args.relay,
    )  # fmt: skip


def run_bench(args: argparse.Namespace) -> int:
    from kith.bench import report
    from kith.bench.runner import run_all

    try:
        options = _options(args)
    except ValueError as exc:
        print(f"kith bench: {exc}", file=sys.stderr)
        return 2

    def progress(line: str) -> None:
        print(line, file=sys.stderr, flush=True)

    hw = report.hardware()
    reports = run_all(options, progress)
    where = f" against {options.url}" if options.url else ""
    if options.database:
        where += f" on PostgreSQL, {options.nodes} node(s), bus {options.bus or 'memory://'}"
    print(f"\nkith bench{where}: {options.runs} run(s) of each workload, medians; load from {options.procs} processes")
    print(report.hardware_line(hw) + "\n")
    print(report.table(reports, options.runs))
    if options.profile_dir is not None:
        _print_profiles(options.profile_dir)
    path = args.json or report.default_json_path()
    report.write_json(path, report.document(options, reports, hw, sys.argv))
    print(f"\nall runs: {path}")
    return 0 if all(r.correct for r in reports) else 1


def _print_profiles(directory: Path) -> None:
    from kith.bench.profile import summarize

    for path in sorted(directory.glob("*.txt")):
        samples, lines, threads = summarize(path, top=15)
        if not samples:
            continue
        print(f"\nprofile {path} ({samples} samples; " + ", ".join(f"{k} {v}" for k, v in threads.items()) + ")")
        print(f"{'self':>6} {'total':>6}  function")
        for line in lines:
            print(f"{line.self_share:6.1%} {line.total_share:6.1%}  {line.function}")
