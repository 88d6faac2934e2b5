"""`kith bench` keeps working: a run at tiny sizes whose correctness outputs are checked (never its speed)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from kith.bench.checks import Expectation, check
from kith.bench.loadgen import PeerResult, client_id
from kith.bench.server import fresh_namespace
from kith.bench.stats import combine, percentile
from kith.bus.redis import channel_prefix


def test_quick_bench_delivers_everything_exactly_once_in_order(tmp_path: Path) -> None:
    out = tmp_path / "bench.json"
    command = [sys.executable, "-m", "kith", "bench", "--quick", "--runs", "1", "--procs", "2"]
    command += ["--json", str(out), "--timeout", "30", "--relay"]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, env={**os.environ}, cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "W1" in done.stdout and "exactly once" in done.stdout  # the table was printed
    doc = json.loads(out.read_text())
    sizes = doc["options"]["sizes"]
    workloads = doc["workloads"]
    assert set(workloads) == {"W1", "W2", "W3", "W4"}

    expected = {
        "W1": sizes["pairs"] * sizes["messages"],
        "W2": sizes["group_senders"] * sizes["group_messages"] * (sizes["group_size"] - 1),
        "W4": sizes["catchup_messages"],
    }
    for name, count in expected.items():
        (run,) = workloads[name]["runs"]
        assert run["ok"], run
        assert run["exactly_once"] and run["in_order"], run["problems"]
        assert run["expected"] == run["delivered"] == count, run
        assert run["duplicates"] == run["missing"] == run["out_of_order"] == 0
        assert not run["errors"] and not run["timed_out"]
        assert "server_log_errors" not in run, run["server_log_errors"]
        assert workloads[name]["correct"]
    (direct,) = workloads["W1"]["runs"]  # --relay: the bare relay ran after it, with its shape
    assert direct["relay_msgs_per_s"] > 0 and direct["relay_us_per_msg"] > 0, direct.get("relay_error")
    assert direct["relay_ratio_pct"] == 100 * direct["msgs_per_s"] / direct["relay_msgs_per_s"]
    assert "kith / bare relay" in done.stdout
    (idle,) = workloads["W3"]["runs"]
    assert idle["ok"] and idle["connections"] == sizes["idle"]
    assert idle["rss_after_mib"] > 0


def _peer(key: int, label: int, received: list[tuple[int, int]], sent: int = 0) -> PeerResult:
    """A peer's result; ``received`` lists (sender key, message number) in arrival order."""
    events = [(client_id("t", k, n), 1, i + 1, i + 1, 10.0 + i) for i, (k, n) in enumerate(received)]
    return PeerResult(key, label, [1.0] * sent, [2.0] * sent, [], events, len(events))


def test_the_checks_catch_duplicates_gaps_and_disorder() -> None:
    expect = Expectation("t", {0: 3}, {0: [0]})
    sender = _peer(0, -1, [], sent=3)
    good = check(expect, [sender], [_peer(-1, 0, [(0, 0), (0, 1), (0, 2)])])
    assert good.exactly_once and good.in_order and good.delivered == good.expected == 3
    assert good.latencies == [9.0, 10.0, 11.0]

    duplicated = check(expect, [sender], [_peer(-1, 0, [(0, 0), (0, 1), (0, 1), (0, 2)])])
    assert duplicated.duplicates == 1 and not duplicated.exactly_once

    missing = check(expect, [sender], [_peer(-1, 0, [(0, 0), (0, 2)])])
    assert missing.missing == 1 and not missing.exactly_once

    swapped = check(expect, [sender], [_peer(-1, 0, [(0, 1), (0, 0), (0, 2)])])
    assert swapped.out_of_order == 1 and not swapped.in_order

    gap = _peer(-1, 0, [(0, 0), (0, 1), (0, 2)])
    gap.received[2] = (*gap.received[2][:3], 7, gap.received[2][4])  # event seq 3 skipped
    assert not check(expect, [sender], [gap]).gapless


def test_stats() -> None:
    assert percentile([1, 2, 3, 4, 5], 50) == 3
    assert percentile([0, 10], 99) == 9.9
    assert combine([3.0, 1.0, 2.0]) == 2.0
    assert combine([True, False]) is False


def test_moments_bench_reads_every_post_once_and_fans_out_to_every_friend(tmp_path: Path) -> None:
    out = tmp_path / "moments.json"
    script = Path(__file__).resolve().parents[1] / "bench" / "moments.py"
    command = [sys.executable, str(script), "--friends", "12", "--posts", "3", "--pages", "6", "--warmup", "1"]
    command += ["--post-count", "2", "--runs", "1", "--timeout", "20", "--json", str(out)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, env={**os.environ}, cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "timeline page p99" in done.stdout and "post ack p99" in done.stdout  # the table was printed
    (run,) = json.loads(out.read_text())["runs"]
    assert run["correct"] and not run["problems"] and not run["timed_out"], run
    # 36 posts: a page of 20, then one of 16 without a next, so 6 reads are three whole walks, each checked
    assert run["pages_read"] == 6 and run["whole_walks"] == 3
    assert run["posts_made"] == 2
    assert run["page_p99_ms"] > 0 and run["ack_p99_ms"] > 0 and run["complete_p99_s"] > 0


def test_each_cluster_gets_a_bus_namespace_of_its_own() -> None:
    """Fresh databases reuse user ids: two runs on one Redis must not share wake-ups or rate limits."""
    first, second = (
        fresh_namespace("redis://127.0.0.1:6379/3?namespace=mine"),
        fresh_namespace("redis://127.0.0.1:6379/3"),
    )
    assert channel_prefix(first)[0] == channel_prefix(second)[0] == "redis://127.0.0.1:6379/3"
    assert channel_prefix(first)[1] != channel_prefix(second)[1]
    assert "mine" not in first
    assert fresh_namespace("memory://") == "memory://"
