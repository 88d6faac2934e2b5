"""How long the chat list takes for a user in many conversations.

Starts its own `kith serve` (SQLite, or `--database`/`--bus` for PostgreSQL + Redis), makes one user
with CONVERSATIONS conversations through the public API (a tenth of them direct, the rest groups,
each with a message from someone else so that unread counts and previews are real), then times
`GET /api/v1/conversations` and prints the median of each run and the median of the runs:

    .venv/bin/python bench/chat_list.py                 # 1,000 conversations, 3 runs of 20 requests
    .venv/bin/python bench/chat_list.py --conversations 200 --runs 5
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import time

from kith.bench.server import Cluster, LocalServer, Target
from kith.bench.setup import Account, Api, run_tag

# setup creates users and groups far faster than a person would: no limits for this server
UNLIMITED_ENV = {
    f"KITH_RATE_{name}": "off" for name in ("FRIEND_REQUEST_USER", "GROUP_USER", "SEND_USER", "SEND_DEVICE")
}


async def populate(api: Api, conversations: int) -> Account:
    tag = run_tag()
    friends_n = max(2, conversations // 10)
    me, *friends = await api.register_many(tag, friends_n + 1)
    await api.befriend_pairs((me, f) for f in friends)
    directs = await api.directs((me, f) for f in friends)
    groups = [
        await api.group(me, [friends[n % friends_n], friends[(n + 1) % friends_n]], f"group {n}")
        for n in range(conversations - len(directs))
    ]
    ids = directs + groups

    async def greet(n: int, conversation_id: int) -> None:
        sender = friends[n % friends_n]
        await api._call(
            "POST",
            f"/conversations/{conversation_id}/messages",
            sender.token,
            json={"id": f"m{n}", "text": f"hello in {conversation_id}"},
        )

    await asyncio.gather(*(greet(n, c) for n, c in enumerate(ids)))
    return me


async def measure(target: Target, conversations: int, requests: int) -> float:
    async with Api(target.url) as api:
        me = await populate(api, conversations)
        listed = await api._call("GET", "/conversations", me.token)
        assert len(listed["conversations"]) == conversations, len(listed["conversations"])
        times = []
        for _ in range(requests):
            start = time.perf_counter()
            await api._call("GET", "/conversations", me.token)
            times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--conversations", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--requests", type=int, default=20)
    parser.add_argument("--database", help="postgresql://... (default: SQLite in a temporary directory)")
    parser.add_argument("--bus", help="redis://... (with --database)")
    args = parser.parse_args()
    os.environ.update(UNLIMITED_ENV)
    medians = []
    for run in range(1, args.runs + 1):
        target: Target = (
            Cluster(1, args.database, args.bus).start()
            if args.database
            else LocalServer(extra_env=UNLIMITED_ENV).start()
        )
        try:
            median = asyncio.run(measure(target, args.conversations, args.requests))
        finally:
            target.stop()
        medians.append(median)
        print(f"run {run}: GET /conversations with {args.conversations} conversations: {median * 1000:.1f} ms median")
    print(f"median of {args.runs} runs: {statistics.median(medians) * 1000:.1f} ms")


if __name__ == "__main__":
    main()
