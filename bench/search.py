"""How long message search takes for a user with many messages.

Builds, in-process on a fresh SQLite store (or `--database` PostgreSQL), one user with MESSAGES text
messages (half Chinese, half English, made up from a fixed vocabulary) in 20 conversations, sent
through the real send path (so each is indexed as in production), then times the search service for
several kinds of query (a common word, a rare one, a two-character Chinese word, one Chinese
character, a prefix) and prints p50/p99 per kind:

    .venv/bin/python bench/search.py                    # 100,000 messages, 3 runs of 50 searches a kind
    .venv/bin/python bench/search.py --messages 20000 --runs 1
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import tempfile
import time
from pathlib import Path

from kith.accounts.models import Caller
from kith.bench.server import create_database, drop_database
from kith.bus.memory import MemoryBus
from kith.clock import SystemClock
from kith.services import build_services
from kith.settings import Settings
from kith.storage.postgres import PostgresDatabase
from kith.storage.sqlite import SqliteDatabase

HANZI = (
    "的一是不了人我在有他这中大来上国个到说们为子和你地出道也时年得就那要下以生会自着去之过家学对可她里后"
    "小么心多天而能好都然没日于起还发成事只作当想看文无开手十用主行方又如前所本见经头面公同三已老从动两长"
    "知民样现分将外但身些与高意进把法此实回二理美点月明其种声全工己话"
)


def _word(n: int) -> str:
    rng = random.Random(n)
    return "".join(rng.choice("abcdefghijklmnoprstuvwy") for _ in range(rng.randint(3, 9)))


LATIN = [_word(n) for n in range(3000)]
KEEP = False  # --keep-database: leave the PostgreSQL database for a look (EXPLAIN) afterwards
QUERIES = {
    "common English word": lambda: LATIN[1],
    "rare English word": lambda: LATIN[300],
    "prefix of a word": lambda: LATIN[40][:3],
    "two Chinese characters": lambda: HANZI[3:5],
    "one Chinese character": lambda: HANZI[7],
}


def sentence(rng: random.Random, n: int) -> str:
    if n % 2:
        return "".join(rng.choice(HANZI[: 20 + rng.randint(0, len(HANZI) - 20)]) for _ in range(rng.randint(6, 24)))
    # word frequencies fall off (Zipf-like): the first words are everywhere, the last ones rare
    return " ".join(LATIN[min(int(rng.paretovariate(0.6)) - 1, len(LATIN) - 1)] for _ in range(rng.randint(4, 14)))


async def measure(messages: int, searches: int, database: str | None) -> dict[str, list[float]]:
    folder = Path(tempfile.mkdtemp(prefix="kith-search-bench-"))
    settings = Settings(
        data_dir=folder, password_time_cost=1, password_memory_kib=8192, rate_send_user="off", rate_send_device="off"
    )
    url = create_database(database) if database else None  # a database of its own, dropped afterwards
    db = PostgresDatabase.from_url(url) if url else SqliteDatabase(folder / "kith.db")
    db.migrate()
    await db.start()
    bus = MemoryBus()
    await bus.start()
    services = build_services(settings, db, bus, SystemClock())
    try:
        me_session = await services.accounts.register(f"me{time.time_ns()}", "Me", "plum kettle ferry 41")
        me = Caller(me_session.user.id, me_session.device.id)
        chats = []
        for n in range(20):
            friend_session = await services.accounts.register(
                f"f{n}x{time.time_ns()}", "Friend", "plum kettle ferry 41"
            )
            friend = Caller(friend_session.user.id, friend_session.device.id)
            sent = await services.contacts.send_request(me, handle=friend_session.user.handle)
            await services.contacts.accept(friend, sent["request"].id)
            chats.append((friend, (await services.chats.open_direct(me, friend.user_id)).id))
        rng = random.Random(7)
        started = time.perf_counter()
        for start in range(0, messages, 2000):
            batch = []
            for n in range(start, min(start + 2000, messages)):
                friend, chat = chats[n % len(chats)]
                sender = me if n % 3 else friend
                batch.append(services.chats.send(sender, chat, f"m{n}", sentence(rng, n)))
            await asyncio.gather(*batch)
        print(f"  stored and indexed {messages:,} messages in {time.perf_counter() - started:.1f} s")
        if database:  # as autovacuum does after a bulk load: the planner needs the tables' statistics
            await db.write(lambda tx: tx.execute("ANALYZE"))
        times: dict[str, list[float]] = {}
        for kind, query in QUERIES.items():
            found = await services.chats.search(me, query(), None, 20)
            assert found["messages"], f"{kind}: nothing found"
            samples = []
            for _ in range(searches):
                t0 = time.perf_counter()
                await services.chats.search(me, query(), None, 20)
                samples.append(time.perf_counter() - t0)
            times[kind] = samples
        return times
    finally:
        await services.outbox.close()
        await bus.close()
        await db.close()
        if database and url:
            if KEEP:
                print(f"  kept {url}")
            else:
                drop_database(database, url)


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--messages", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--searches", type=int, default=50)
    parser.add_argument("--database", help="an admin postgresql://... URL: each run gets a fresh database there")
    parser.add_argument("--keep-database", action="store_true", help="do not drop the PostgreSQL database")
    args = parser.parse_args()
    global KEEP
    KEEP = args.keep_database
    runs = []
    for run in range(1, args.runs + 1):
        print(f"run {run}:")
        times = asyncio.run(measure(args.messages, args.searches, args.database))
        for kind, samples in times.items():
            p50, p99 = percentile(samples, 0.5) * 1000, percentile(samples, 0.99) * 1000
            print(f"  {kind:24} p50 {p50:6.1f} ms   p99 {p99:6.1f} ms")
        runs.append(times)
    print(f"medians of {args.runs} runs (a page of 20 results; target p99 <= 50 ms):")
    for kind in QUERIES:
        p50 = statistics.median(percentile(r[kind], 0.5) for r in runs)
        p99 = statistics.median(percentile(r[kind], 0.99) for r in runs)
        print(f"  {kind:24} p50 {p50 * 1000:6.1f} ms   p99 {p99 * 1000:6.1f} ms")


if __name__ == "__main__":
    main()
