"""Moments: how long a page of the timeline takes, and a post until all of the author's friends have it.

Each run builds a world directly in a fresh store (the same SQL kith's services use, in one
transaction, before the server starts: through the API it would take minutes), then starts its own
`kith serve` on it and measures through the real HTTP API only:

- the world: a reader and an author, both friends with the same FRIENDS people, each of whom has
  POSTS posts (FRIENDS x POSTS posts, interleaved in time, all fanned out into the reader's timeline,
  the author's and their own, as the fan-out would have done);
- timeline pages: the reader reads PAGES pages of 20 (`GET /api/v1/moments/timeline`, following
  `next`; from the top again at the end), one request at a time, each timed until its body is read.
  The default, 1,001, is one walk of the whole timeline: 1,000 full pages and the empty end;
- posting: the author posts POST_COUNT times (`POST /api/v1/moments/posts`), one at a time: the time
  until the 201 (the ack), and the time from sending it until every friend's timeline holds the post
  (this process polls the database, read-only, every POLL_MS ms), then a sample of friends'
  timelines is read through the API to check that it is on top. The next post waits until the
  outbox has no fan-out job left.

    .venv/bin/python bench/moments.py                        # 1,000 friends x 20 posts, 3 runs
    .venv/bin/python bench/moments.py --runs 1 --pages 100 --post-count 10
    .venv/bin/python bench/moments.py --profile /tmp/prof    # a py-spy profile of the server per run

Speed is printed against the targets, never asserted; the exit status is 1 only if a check of
correctness failed (a page out of order or short, a walk that missed or repeated a post, a post a
friend's timeline lacks, an error in the server's log, a wait that timed out).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import random
import shutil
import sqlite3
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from kith.accounts import store as accounts
from kith.accounts import tokens
from kith.accounts.passwords import Passwords
from kith.bench.report import hardware, hardware_line
from kith.bench.server import LocalServer
from kith.bench.setup import PASSWORD
from kith.bench.stats import percentile
from kith.contacts import store as contacts
from kith.moments import store as moments
from kith.moments.service import FANOUT
from kith.settings import Settings
from kith.storage.sqlite import SqliteDatabase, SqliteTx, connect

UNLIMITED_ENV = {"KITH_RATE_MOMENT_USER": "off"}  # 30 posts an hour by default
PAGE = 20
POSTED_EVERY_MS = 60_000  # the world's posts are a minute apart, the newest a minute ago
TARGETS = {"page_p99_ms": 20.0, "ack_p99_ms": 50.0, "complete_p99_s": 1.0}


@dataclass
class World:
    reader: str  # tokens
    author: str
    author_id: int
    friends: list[tuple[int, str]]  # (id, token), by id
    posts: int  # in the reader's timeline


def build_world(data_dir: Path, friends: int, posts_each: int) -> World:
    """The users, friendships, posts and timelines, written in one transaction with kith's own SQL."""
    url = Settings(data_dir=data_dir).database_url
    SqliteDatabase.from_url(url).migrate()
    password_hash = asyncio.run(Passwords(1, 8192).hash(PASSWORD))
    conn = connect(url.removeprefix("sqlite:///"))
    tx = SqliteTx(conn)
    now = int(time.time() * 1000)
    conn.execute("BEGIN IMMEDIATE")
    try:

        def user(handle: str) -> tuple[int, str]:
            user_id = accounts.insert_user(tx, handle, handle.title(), password_hash, now)
            assert user_id is not None
            token, digest = tokens.new_token()
            accounts.insert_device(tx, user_id, digest, "bench", now)
            return user_id, token

        reader_id, reader = user("reader")
        author_id, author = user("author")
        people = [user(f"friend{n}") for n in range(friends)]
        for friend_id, _ in people:
            contacts.add_friendship(tx, reader_id, friend_id, now)
            contacts.add_friendship(tx, author_id, friend_id, now)
        total = friends * posts_each
        n = 0
        for round_ in range(posts_each):
            for friend_id, _ in people:
                created = now - (total - n) * POSTED_EVERY_MS
                text = f"post {round_} of friend {friend_id}: " + "a day out by the sea, " * 3
                post_id = moments.insert_post(tx, friend_id, f"w{round_}", text, "", "[]", "friends", created)
                moments.add_to_timelines(tx, post_id, friend_id, [friend_id, reader_id, author_id])
                n += 1
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    finally:
        conn.close()
    return World(reader, author, author_id, people, total)


@dataclass
class Run:
    page_ms: list[float] = field(default_factory=list)
    ack_ms: list[float] = field(default_factory=list)
    complete_s: list[float] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    walks: int = 0  # walks of the whole timeline completed, each checked to hold every post exactly once
    timed_out: int = 0
    server_cpu_per_page_ms: float = math.nan
    server_cpu_per_post_ms: float = math.nan
    setup_s: float = 0.0

    def problem(self, text: str) -> None:
        if len(self.problems) < 20:
            self.problems.append(text)


def read_pages(http: httpx.Client, token: str, world: World, pages: int, run: Run, timed: bool) -> None:
    """``pages`` timeline reads following ``next``, from the top again at the end of the timeline."""
    headers = {"Authorization": f"Bearer {token}"}
    friend_ids = {f for f, _ in world.friends}
    cursor: int | None = None
    seen: set[int] = set()
    for _ in range(pages):
        params = {"limit": PAGE} if cursor is None else {"limit": PAGE, "before": cursor}
        start = time.perf_counter()
        response = http.get("/api/v1/moments/timeline", params=params, headers=headers)
        body = response.content
        elapsed = time.perf_counter() - start
        if response.status_code != 200:
            run.problem(f"timeline page -> {response.status_code} {body[:200]!r}")
            return
        if timed:
            run.page_ms.append(elapsed * 1000)
        page = json.loads(body)
        ids = [p["id"] for p in page["posts"]]
        below = cursor is None or not ids or ids[0] < cursor
        if ids != sorted(ids, reverse=True) or len(set(ids)) != len(ids) or not below:
            run.problem(f"page before {cursor} is not newest first, below its cursor: {ids}")
        if any(p["author"]["id"] not in friend_ids for p in page["posts"]):
            run.problem(f"page before {cursor} shows a post of someone not a friend")
        if seen & set(ids):
            run.problem(f"page before {cursor} repeats posts")
        seen.update(ids)
        cursor = page.get("next")
        if cursor is not None and len(ids) != PAGE:
            run.problem(f"page before {cursor} holds {len(ids)} posts and has a next")
        if cursor is None:
            if len(seen) != world.posts:
                run.problem(f"a walk of the whole timeline saw {len(seen)} posts of {world.posts}")
            elif timed:
                run.walks += 1
            seen = set()


def wait_for(check: Any, timeout: float, poll: float) -> float | None:
    """The perf_counter time at which ``check()`` first held, or None after ``timeout`` seconds."""
    deadline = time.perf_counter() + timeout
    while True:
        if check():
            return time.perf_counter()
        if time.perf_counter() > deadline:
            return None
        time.sleep(poll)


def post_many(http: httpx.Client, db: sqlite3.Connection, world: World, count: int, args: Any, run: Run) -> None:
    headers = {"Authorization": f"Bearer {world.author}"}
    everyone = len(world.friends) + 1  # the author's own row too

    def rows(post_id: int) -> int:
        return int(db.execute("SELECT COUNT(*) FROM moment_timeline WHERE post_id = ?", (post_id,)).fetchone()[0])

    def outbox_idle() -> bool:
        return db.execute("SELECT 1 FROM outbox WHERE topic = ? LIMIT 1", (FANOUT,)).fetchone() is None

    sample = random.Random(1)
    for n in range(count):
        if wait_for(outbox_idle, args.timeout, 0.005) is None:
            run.timed_out += 1
            run.problem("the outbox still held a fan-out job before the next post")
            return
        body = {"id": f"bench{n}", "text": f"bench post {n}: " + "the harbour at dusk, " * 3}
        start = time.perf_counter()
        response = http.post("/api/v1/moments/posts", json=body, headers=headers)
        acked = time.perf_counter()
        if response.status_code != 201:
            run.problem(f"post -> {response.status_code} {response.text[:200]}")
            return
        post_id = response.json()["id"]
        done = wait_for(lambda: rows(post_id) >= everyone, args.timeout, args.poll_ms / 1000)  # noqa: B023
        if done is None:
            run.timed_out += 1
            run.problem(f"post {post_id}: {rows(post_id)} of {everyone} timelines after {args.timeout} s")
            return
        run.ack_ms.append((acked - start) * 1000)
        run.complete_s.append(done - start)
        if rows(post_id) != everyone:
            run.problem(f"post {post_id} is in {rows(post_id)} timelines, not {everyone}")
        # through the API: the first friend, the last (the fan-out reaches them last) and a few others
        picks = {world.friends[0], world.friends[-1], *sample.sample(world.friends, min(3, len(world.friends)))}
        for _, token in picks:
            page = http.get(
                "/api/v1/moments/timeline", params={"limit": 1}, headers={"Authorization": f"Bearer {token}"}
            )
            top = page.json()["posts"]
            if page.status_code != 200 or not top or top[0]["id"] != post_id:
                run.problem(f"post {post_id} is not on top of a friend's timeline: {page.text[:200]}")


class Profiler:
    """py-spy on the server while it is measured (``--profile DIR``)."""

    def __init__(self, folder: str | None, pid: int | None, name: str) -> None:
        self.proc: subprocess.Popen[bytes] | None = None
        if folder and pid:
            spy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
            Path(folder).mkdir(parents=True, exist_ok=True)
            out = Path(folder, name)
            command = [spy, "record", "--pid", str(pid), "--threads", "--nonblocking", "--rate", "200"]
            command += ["--format", "raw", "--output", str(out)]
            self.proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            time.sleep(1.0)  # py-spy attaches

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.send_signal(2)  # SIGINT: py-spy writes its file and exits
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()


def one_run(args: argparse.Namespace, number: int) -> Run:
    run = Run()
    built: list[World] = []
    start = time.perf_counter()
    server = LocalServer(
        keep_data=args.keep_data,
        extra_env=UNLIMITED_ENV,
        prepare=lambda data_dir: built.append(build_world(data_dir, args.friends, args.posts)),
    ).start()
    world = built[0]
    run.setup_s = time.perf_counter() - start
    try:
        with httpx.Client(base_url=server.url, timeout=args.timeout) as http:
            read_pages(http, world.reader, world, args.warmup, run, timed=False)
            profile = Profiler(args.profile, server.pid, f"run{number}-pages.txt")
            cpu = server.cpu_seconds()
            read_pages(http, world.reader, world, args.pages, run, timed=True)
            used = server.cpu_seconds()
            profile.stop()
            if cpu is not None and used is not None and run.page_ms:
                run.server_cpu_per_page_ms = (used - cpu) / len(run.page_ms) * 1000
            path = Settings(data_dir=server.data_dir / "data").database_url.removeprefix("sqlite:///")
            db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
            try:
                profile = Profiler(args.profile, server.pid, f"run{number}-posts.txt")
                cpu = server.cpu_seconds()
                post_many(http, db, world, args.post_count, args, run)
                used = server.cpu_seconds()
                profile.stop()
                if cpu is not None and used is not None and run.ack_ms:
                    run.server_cpu_per_post_ms = (used - cpu) / len(run.ack_ms) * 1000
            finally:
                db.close()
    finally:
        for line in server.log_errors()[:5]:
            run.problem(f"server log: {line}")
        server.stop()
    return run


def summary(run: Run) -> dict[str, Any]:
    def p(values: list[float], q: float) -> float:
        return percentile(values, q)

    return {
        "page_p50_ms": p(run.page_ms, 50),
        "page_p99_ms": p(run.page_ms, 99),
        "page_max_ms": max(run.page_ms, default=math.nan),
        "ack_p50_ms": p(run.ack_ms, 50),
        "ack_p99_ms": p(run.ack_ms, 99),
        "complete_p50_s": p(run.complete_s, 50),
        "complete_p99_s": p(run.complete_s, 99),
        "complete_max_s": max(run.complete_s, default=math.nan),
        "server_cpu_per_page_ms": run.server_cpu_per_page_ms,
        "server_cpu_per_post_ms": run.server_cpu_per_post_ms,
        "pages_read": len(run.page_ms),
        "whole_walks": run.walks,
        "posts_made": len(run.ack_ms),
        "setup_s": run.setup_s,
        "correct": not run.problems and not run.timed_out,
    }


ROWS = [  # key, label, digits, target key
    ("page_p50_ms", "timeline page p50 (ms)", 1, None),
    ("page_p99_ms", "timeline page p99 (ms)", 1, "page_p99_ms"),
    ("page_max_ms", "timeline page max (ms)", 1, None),
    ("server_cpu_per_page_ms", "server CPU per page (ms)", 2, None),
    ("ack_p50_ms", "post ack p50 (ms)", 1, None),
    ("ack_p99_ms", "post ack p99 (ms)", 1, "ack_p99_ms"),
    ("complete_p50_s", "post -> all friends p50 (s)", 3, None),
    ("complete_p99_s", "post -> all friends p99 (s)", 3, "complete_p99_s"),
    ("complete_max_s", "post -> all friends max (s)", 3, None),
    ("server_cpu_per_post_ms", "server CPU per post (ms)", 1, None),
    ("pages_read", "pages read", 0, None),
    ("whole_walks", "whole timeline walks checked", 0, None),
    ("posts_made", "posts made", 0, None),
    ("setup_s", "world built + server up (s)", 1, None),
]


def show(value: Any, digits: int) -> str:
    if isinstance(value, float) and math.isnan(value):
        return "n/a"
    return f"{value:,.{digits}f}"


def table(summaries: list[dict[str, Any]]) -> tuple[str, dict[str, Any]]:
    medians: dict[str, Any] = {}
    head = f"{'metric':32} {'median':>8}" + "".join(f" {'run ' + str(i + 1):>8}" for i in range(len(summaries)))
    lines = [head + "  target", "-" * (len(head) + 20)]
    for key, label, digits, target in ROWS:
        values = [s[key] for s in summaries]
        numbers = [v for v in values if not (isinstance(v, float) and math.isnan(v))]
        median = statistics.median(numbers) if numbers else math.nan
        medians[key] = median
        line = f"{label:32} {show(median, digits):>8}" + "".join(f" {show(v, digits):>8}" for v in values)
        if target is not None:
            goal = TARGETS[target]
            verdict = "met" if median <= goal else "MISSED"
            line += f"  <= {goal:g} {'ms' if target.endswith('ms') else 's':3} {verdict}"
        lines.append(line)
    medians["correct"] = all(s["correct"] for s in summaries)
    lines.append(f"{'correct (every check, every run)':32} {'yes' if medians['correct'] else 'NO':>8}")
    return "\n".join(lines), medians


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--friends", type=int, default=1000, help="friends of the reader (and of the author)")
    parser.add_argument("--posts", type=int, default=20, help="posts of each friend")
    parser.add_argument("--pages", type=int, default=1001, help="timed page reads per run (default: one whole walk)")
    parser.add_argument("--warmup", type=int, default=10, help="page reads before the timed ones")
    parser.add_argument("--post-count", type=int, default=30, help="posts the author makes per run")
    parser.add_argument("--poll-ms", type=float, default=2.0, help="how often the fan-out is polled")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--timeout", type=float, default=30.0, help="seconds any one request or wait may take")
    parser.add_argument("--profile", metavar="DIR", help="record py-spy profiles of the server there")
    parser.add_argument("--json", metavar="PATH", help="write every run's figures and problems there")
    parser.add_argument("--keep-data", action="store_true")
    args = parser.parse_args()
    for name in ("friends", "posts", "pages", "post_count", "runs"):
        if not 1 <= getattr(args, name) <= 100_000:
            parser.error(f"--{name.replace('_', '-')} must be 1 to 100000")
    hw = hardware()
    print(f"kith Moments bench: {args.runs} run(s); {args.friends:,} friends x {args.posts} posts;"
          f" {args.pages} pages of {PAGE}; {args.post_count} posts to {args.friends:,} friends")  # fmt: skip
    print(hardware_line(hw))
    runs, summaries = [], []
    for number in range(1, args.runs + 1):
        run = one_run(args, number)
        runs.append(run)
        summaries.append(summary(run))
        s = summaries[-1]
        print(
            f"run {number}: page p50 {s['page_p50_ms']:.1f} ms p99 {s['page_p99_ms']:.1f} ms;"
            f" post ack p50 {s['ack_p50_ms']:.1f} ms p99 {s['ack_p99_ms']:.1f} ms;"
            f" all friends p50 {s['complete_p50_s']:.3f} s p99 {s['complete_p99_s']:.3f} s"
            + ("" if s["correct"] else f"; PROBLEMS: {run.problems}"),
            flush=True,
        )
    text, medians = table(summaries)
    print()
    print(text)
    if args.json:
        doc = {
            "hardware": hw,
            "options": vars(args),
            "targets": TARGETS,
            "medians": medians,
            "runs": [
                {**s, "problems": r.problems, "timed_out": r.timed_out} for s, r in zip(summaries, runs, strict=True)
            ],
        }
        Path(args.json).write_text(json.dumps(doc, indent=1))
    sys.exit(0 if medians["correct"] else 1)


if __name__ == "__main__":
    main()
