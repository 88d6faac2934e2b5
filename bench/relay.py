"""The yardstick for W1: a bare Python WebSocket relay with the same durable send path, and its load.

What it measures: how many direct messages per second the simplest possible Python server on this
machine can accept, make durable and deliver, with the same guarantees kith gives on SQLite. For
each incoming frame `{"to": <user>, "text": ..., "id": <client id>}` from a user (identified by the
`?user=` query parameter, no other auth), the relay hands the message to one writer thread, which
takes everything queued and writes it in one transaction (WAL, `synchronous=FULL`): the message row
and one event row per recipient (the sender's and the receiver's log, each with its own per-user
`seq`). Only after the commit does it ack the sender and push the event to the receiver's socket.
There is no routing, authorization, validation, bus or schema beyond that. WebSocket compression
is off on both sides, as in `kith serve`.

Why it exists: it is the ceiling for a Python server here. kith's W1 (`kith bench --only W1`) has
the same shape: pairs of friends, every receiver connected, each sender closed-loop with a few
messages in flight, acknowledged msgs/s and ack latency measured from the outside, server CPU per
message read from the server process. The gap between the two is what kith's own layers cost.

    .venv/bin/python bench/relay.py                          # 200 pairs, 10 s, 3 runs, medians
    .venv/bin/python bench/relay.py --pairs 200 --seconds 10 --runs 1

The server runs as a subprocess (127.0.0.1, a free port, the database in a temporary directory
that is deleted afterwards) and reports, on a control frame after the load, its own CPU time
(`os.times()`, user + system, all threads) from the first message it received to the end of its
last batch of pushes, so connection handshakes and teardown are not counted. Clients run in
`--procs` load-generator processes. Bounded: `--seconds` of sending, at most `--max-messages` in
total, then up to 10 s to collect outstanding acks.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import multiprocessing
import os
import queue
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from websockets.asyncio.client import connect
from websockets.asyncio.server import ServerConnection, serve
from websockets.exceptions import ConnectionClosed

SCHEMA = """
CREATE TABLE IF NOT EXISTS messages (
    id INTEGER PRIMARY KEY, sender TEXT NOT NULL, recipient TEXT NOT NULL, text TEXT NOT NULL,
    created REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS events (
    user TEXT NOT NULL, seq INTEGER NOT NULL, message_id INTEGER NOT NULL, PRIMARY KEY (user, seq)
) WITHOUT ROWID;
"""

# -- server -----------------------------------------------------------------------------------

Pending = tuple[str, str, str, Any]  # sender, recipient, text, client id


class Relay:
    """The sockets by user, and one writer thread that group-commits whatever is queued."""

    def __init__(self, db_path: str) -> None:
        self.sockets: dict[str, ServerConnection] = {}
        self.queue: queue.SimpleQueue[Pending] = queue.SimpleQueue()
        self.db_path = db_path
        self.loop = asyncio.get_running_loop()
        self.cpu_first = self.cpu_last = 0.0  # CPU time when the first message came, after the last push
        threading.Thread(target=self._writer, daemon=True).start()

    def _writer(self) -> None:
        db = sqlite3.connect(self.db_path, isolation_level=None, check_same_thread=False)
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=FULL")
        db.executescript(SCHEMA)
        seqs: dict[str, int] = {}
        while True:
            batch = [self.queue.get()]
            while True:
                try:
                    batch.append(self.queue.get_nowait())
                except queue.Empty:
                    break
            done = []
            now = time.time()
            db.execute("BEGIN IMMEDIATE")
            for sender, recipient, text, client_id in batch:
                cur = db.execute(
                    "INSERT INTO messages (sender, recipient, text, created) VALUES (?, ?, ?, ?)",
                    (sender, recipient, text, now),
                )
                message_id = cur.lastrowid
                events = []
                for user in (sender, recipient):
                    seqs[user] = seq = seqs.get(user, 0) + 1
                    events.append((user, seq, message_id))
                db.executemany("INSERT INTO events (user, seq, message_id) VALUES (?, ?, ?)", events)
                done.append((sender, recipient, text, client_id, message_id, events[1][1]))
            db.execute("COMMIT")
            self.loop.call_soon_threadsafe(self._deliver, done)

    def _deliver(self, done: list[tuple[str, str, str, Any, int | None, int]]) -> None:
        self.loop.create_task(self._push(done))  # one task per batch, not per frame

    async def _push(self, done: list[tuple[str, str, str, Any, int | None, int]]) -> None:
        """After the commit, in commit order: ack each sender, push the event to a connected receiver."""
        for sender, recipient, text, client_id, message_id, seq in done:
            ws = self.sockets.get(sender)
            if ws is not None:
                await _send(ws, json.dumps({"ack": client_id, "message_id": message_id}))
            ws = self.sockets.get(recipient)
            if ws is not None:
                await _send(ws, json.dumps({"seq": seq, "message_id": message_id, "from": sender, "text": text}))
        self.cpu_last = _cpu()

    async def handle(self, ws: ServerConnection) -> None:
        assert ws.request is not None
        user = parse_qs(urlsplit(ws.request.path).query).get("user", [""])[0]
        if not user:
            await ws.close(4401, "user required")
            return
        self.sockets[user] = ws
        try:
            async for raw in ws:
                frame = json.loads(raw)
                if "cpu" in frame:
                    await ws.send(json.dumps({"cpu": self.cpu_last - self.cpu_first}))
                    continue
                if not self.cpu_first:
                    self.cpu_first = _cpu()
                self.queue.put((user, str(frame["to"]), str(frame["text"]), frame.get("id")))
        except ConnectionClosed:
            pass
        finally:
            if self.sockets.get(user) is ws:
                del self.sockets[user]


def _cpu() -> float:
    t = os.times()
    return t.user + t.system


async def _send(ws: ServerConnection, text: str) -> None:
    with contextlib.suppress(ConnectionClosed):
        await ws.send(text)


async def run_server(db_path: str) -> None:
    relay = Relay(db_path)
    async with serve(relay.handle, "127.0.0.1", 0, max_queue=None, compression=None) as server:
        port = server.sockets[0].getsockname()[1]
        print(f"port {port}", flush=True)
        await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)  # until stdin closes


# -- load generator ---------------------------------------------------------------------------


@dataclass
class Part:
    """What one load-generator process saw."""

    first_send: float = float("inf")
    ack_times: list[float] = field(default_factory=list)
    ack_latencies: list[float] = field(default_factory=list)
    delivered: int = 0
    errors: int = 0
    cpu: float = 0.0  # this process's CPU time during the load, seconds


async def _pair(url: str, i: int, start: float, deadline: float, cap: int, window: int, part: Part) -> None:
    sender, receiver = f"a{i}", f"b{i}"
    async with (
        connect(f"{url}/?user={receiver}", max_queue=None, compression=None) as rx,
        connect(f"{url}/?user={sender}", max_queue=None, compression=None) as tx,
    ):
        sent_at: dict[int, float] = {}

        async def receive() -> None:
            async for _ in rx:
                part.delivered += 1

        async def send(n: int) -> None:
            sent_at[n] = t = time.perf_counter()
            part.first_send = min(part.first_send, t)
            await tx.send(json.dumps({"to": receiver, "text": f"message {n} from {sender}", "id": n}))

        rx_task = asyncio.create_task(receive())
        await asyncio.sleep(max(0.0, start - time.perf_counter()))  # every pair connected, all start together
        sent = 0
        while sent < min(window, cap):
            await send(sent)
            sent += 1
        try:
            async with asyncio.timeout(deadline - time.perf_counter() + 10):
                async for raw in tx:
                    now = time.perf_counter()
                    n = json.loads(raw)["ack"]
                    part.ack_times.append(now)
                    part.ack_latencies.append(now - sent_at.pop(n))
                    if sent < cap and now < deadline:
                        await send(sent)
                        sent += 1
                    elif not sent_at:
                        break
        except TimeoutError:
            part.errors += len(sent_at)
        await asyncio.sleep(0.5)  # let the last pushes arrive
        rx_task.cancel()


async def _load(url: str, pairs: range, start: float, seconds: float, cap: int, window: int) -> Part:
    part = Part()
    cpu = _cpu()
    await asyncio.gather(*(_pair(url, i, start, start + seconds, cap, window, part) for i in pairs))
    part.cpu = _cpu() - cpu
    return part


def _load_process(args: tuple[str, range, float, float, int, int]) -> Part:
    return asyncio.run(_load(*args))


async def _control_cpu(url: str) -> float:
    async with connect(f"{url}/?user=control", compression=None) as ws:
        await ws.send(json.dumps({"cpu": True}))
        return float(json.loads(await ws.recv())["cpu"])


def run_once(pairs: int, seconds: float, max_messages: int, window: int, procs: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory(prefix="relay-") as tmp:
        server = subprocess.Popen(
            [sys.executable, __file__, "--serve", str(Path(tmp) / "relay.db")],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        try:
            assert server.stdout is not None
            url = f"ws://127.0.0.1:{int(server.stdout.readline().split()[1])}"
            cap = max(1, max_messages // pairs)
            start = time.perf_counter() + 3.0  # time for every process to connect its pairs
            chunks = [range(p, pairs, procs) for p in range(procs)]
            with multiprocessing.get_context("fork").Pool(procs) as pool:
                parts = pool.map(_load_process, [(url, c, start, seconds, cap, window) for c in chunks])
            cpu = asyncio.run(_control_cpu(url))
        finally:
            assert server.stdin is not None
            server.stdin.close()
            try:
                server.wait(5)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()
    acks = sorted(t for p in parts for t in p.ack_times)
    latencies = sorted(x for p in parts for x in p.ack_latencies)
    first = min(p.first_send for p in parts)
    n = len(acks)
    wall = acks[-1] - first if n else 0.0
    return {
        "msgs_per_s": n / wall if wall else 0.0,
        "p50_ms": 1000 * latencies[n // 2] if n else 0.0,
        "p99_ms": 1000 * latencies[min(n - 1, int(n * 0.99))] if n else 0.0,
        "cpu_us_per_msg": 1e6 * cpu / n if n else 0.0,
        "server_pct": 100 * cpu / wall if wall else 0.0,
        "loadgen_pct": 100 * sum(p.cpu for p in parts) / wall if wall else 0.0,
        "acked": n,
        "delivered": sum(p.delivered for p in parts),
        "errors": sum(p.errors for p in parts),
    }


def _line(r: dict[str, float]) -> str:
    return (
        f"relay: {r['msgs_per_s']:,.0f} msgs/s p50 {r['p50_ms']:.0f} ms p99 {r['p99_ms']:.0f} ms "
        f"{r['cpu_us_per_msg']:.0f} µs CPU/msg"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pairs", type=int, default=200, help="sender/receiver pairs (default 200)")
    parser.add_argument("--seconds", type=float, default=10.0, help="how long senders send (default 10)")
    parser.add_argument("--window", type=int, default=4, help="messages in flight per sender (default 4)")
    parser.add_argument("--max-messages", type=int, default=300_000, help="cap on messages in total")
    parser.add_argument("--procs", type=int, default=2, help="load-generator processes (default 2)")
    parser.add_argument("--runs", type=int, default=3, help="runs; the medians are printed last")
    parser.add_argument("--json", action="store_true", help="print the runs as one JSON line last (kith bench --relay)")
    parser.add_argument("--serve", metavar="DB", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        asyncio.run(run_server(args.serve))
        return
    results = []
    for run in range(1, args.runs + 1):
        r = run_once(args.pairs, args.seconds, args.max_messages, args.window, args.procs)
        results.append(r)
        print(
            f"run {run}: {_line(r)} ({r['acked']:,.0f} acked, {r['delivered']:,.0f} delivered, "
            f"{r['errors']:.0f} unacked; server {r['server_pct']:.0f} %, load generator "
            f"{r['loadgen_pct']:.0f} % of a core)",
            file=sys.stderr if args.json else sys.stdout,
            flush=True,
        )
    if len(results) > 1 and not args.json:
        print(_line({k: statistics.median(r[k] for r in results) for k in results[0]}) + " (median)")
    if args.json:
        print(json.dumps(results))


if __name__ == "__main__":
    main()
