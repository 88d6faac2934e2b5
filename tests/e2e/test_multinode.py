"""Many stateless nodes on one PostgreSQL and one Redis: one order, failover, nothing lost.

PostgreSQL and Redis only, by nature (several nodes cannot share a SQLite file); these run
whatever `KITH_TEST_BACKENDS` says, so the scale-out services must be there.
"""

from __future__ import annotations

import asyncio
import json
import random
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import redis.asyncio as aioredis
import websockets
from backends import REDIS, only_on, scale_out_env
from helpers import Server, Socket, User, befriend, register, sign_in

from kith.bus.base import Wakeup
from kith.bus.redis import RedisBus

pytestmark = only_on("postgres")


@pytest.fixture
def nodes(new_store: Callable[[], str], tmp_path: Path) -> Iterator[list[Server]]:
    env = {**scale_out_env(new_store()), "KITH_WS_HEARTBEAT_SECONDS": "2"}
    servers = [Server(tmp_path / f"node{n}", env).start() for n in range(3)]
    yield servers
    for s in servers:
        s.stop()


async def _on(node: Server, user: User) -> User:
    """The same user, signed in as a new device through another node."""
    return await sign_in(node, user.handle, f"device on {node.port}")


async def test_a_group_across_three_nodes_sees_one_order(nodes: list[Server]) -> None:
    people = [await register(nodes[0], f"member{i}") for i in range(6)]
    for other in people[1:]:
        await befriend(people[0], other)
    group = (await people[0].ok("POST", "/conversations/groups", json={"user_ids": [p.id for p in people[1:]]}))["id"]
    # each person connects through a different node
    sockets = [await Socket.connect(await _on(nodes[i % 3], p)) for i, p in enumerate(people)]
    await asyncio.gather(*(s.send_text(group, f"{i}-{n}") for i, s in enumerate(sockets) for n in range(8)))
    orders = []
    for s in sockets:
        msgs = await s.wait_for(lambda s=s: len(s.messages(group)) >= 48 and s.messages(group))
        orders.append([(m["seq"], m["text"]) for m in msgs])
    assert all(order == orders[0] for order in orders)
    assert [seq for seq, _ in orders[0]] == list(range(2, 50))
    for i in range(6):
        assert [t for _, t in orders[0] if t.startswith(f"{i}-")] == [f"{i}-{n}" for n in range(8)]
    for s in sockets:
        await s.close()


async def _sender(ws_url: str, token: str, conversation: int, prefix: str, count: int) -> dict[str, int]:
    """Send `count` messages, 4 in flight; returns client id -> acked seq (stops when the node dies)."""
    acked: dict[str, int] = {}
    try:
        async with websockets.connect(ws_url) as ws:
            await ws.send(json.dumps({"type": "hello", "token": token}))
            await ws.recv()
            window = asyncio.Semaphore(4)
            finished = asyncio.Event()

            async def read() -> None:
                try:
                    async for raw in ws:
                        frame = json.loads(raw)
                        if frame["type"] == "ack":
                            acked[frame["ref"]] = frame["message"]["seq"]
                            window.release()
                            if len(acked) == count:
                                finished.set()
                finally:
                    finished.set()

            reader = asyncio.create_task(read())
            for n in range(count):
                await asyncio.wait_for(window.acquire(), 10)
                cid = f"{prefix}-{n}"
                await ws.send(json.dumps({"type": "send", "id": cid, "conversation_id": conversation, "text": cid}))
            await asyncio.wait_for(finished.wait(), 20)
            reader.cancel()
    except (websockets.ConnectionClosed, OSError, TimeoutError):
        pass
    return acked


async def test_typing_crosses_nodes_and_stays_out_of_the_log(nodes: list[Server]) -> None:
    alice, bob = await register(nodes[0]), await register(nodes[0])
    await befriend(alice, bob)
    chat = (await alice.ok("POST", "/conversations/direct", json={"user_id": bob.id}))["id"]
    writer = await Socket.connect(await _on(nodes[1], alice))
    reader = await Socket.connect(await _on(nodes[2], bob))
    head = reader.ready["head"]
    await writer.send_json({"type": "typing", "conversation_id": chat})
    frames = await reader.wait_for(lambda: [f for f in reader.frames if f["type"] == "typing"])
    assert frames == [{"type": "typing", "conversation_id": chat, "user_id": alice.id}]
    assert (await bob.ok("GET", "/sync", params={"since": 0}))["head"] == head
    await writer.close()
    await reader.close()


async def test_killing_a_node_loses_nothing(nodes: list[Server]) -> None:
    receiver = await register(nodes[0], "receiver")
    senders = [await register(nodes[0], f"sender{i}") for i in range(9)]
    conversations = {}
    for s in senders:
        await befriend(s, receiver)
        conversations[s.id] = (await s.ok("POST", "/conversations/direct", json={"user_id": receiver.id}))["id"]
    # the receiver listens on node 2; senders spread over all three nodes
    inbox = await Socket.connect(await _on(nodes[2], receiver), since=0)
    devices = [await _on(nodes[i % 3], s) for i, s in enumerate(senders)]
    first = [
        asyncio.create_task(_sender(d.server.ws_url, d.token, conversations[d.id], f"a{d.id}", 400)) for d in devices
    ]
    await asyncio.sleep(0.8)
    nodes[1].kill()  # mid-traffic
    acked_before = await asyncio.gather(*first)
    # the clients of the dead node reconnect to a living one and carry on with new ids
    moved = [d if d.server is not nodes[1] else await _on(nodes[0], d) for d in devices]
    acked_after = await asyncio.gather(
        *(_sender(d.server.ws_url, d.token, conversations[d.id], f"b{d.id}", 20) for d in moved)
    )
    acked: dict[str, int] = {}
    for part in (*acked_before, *acked_after):
        acked.update(part)
    assert len(acked) > 200
    # the receiver's socket (on a surviving node) ends up holding every acknowledged message once
    await inbox.wait_for(lambda: {m["client_id"] for m in inbox.messages()} >= set(acked), timeout=30)
    ids = [m["client_id"] for m in inbox.messages()]
    assert len(ids) == len(set(ids))
    # every user's log stays gapless, and the store agrees with the acks
    rows = nodes[0].rows("SELECT user_id, seq FROM events ORDER BY user_id, seq")
    stored = dict(nodes[0].rows("SELECT client_id, seq FROM messages WHERE client_id IS NOT NULL"))
    by_user: dict[int, list[int]] = {}
    for user_id, seq in rows:
        by_user.setdefault(user_id, []).append(seq)
    for user_id, seqs in by_user.items():
        assert seqs == list(range(1, len(seqs) + 1)), f"user {user_id} has a gap"
    for client_id, seq in acked.items():
        assert stored[client_id] == seq
    # a client of the killed node resumes on another node from its last seq and misses nothing
    late = await Socket.connect(await _on(nodes[0], receiver), since=0)
    expected = by_user[receiver.id]
    await late.wait_for(lambda: len(late.events) >= len(expected), timeout=20)
    assert [e["seq"] for e in late.events][: len(expected)] == expected
    assert [m["client_id"] for m in late.messages()] == ids
    await inbox.close()
    await late.close()


async def test_deployments_sharing_one_redis_never_hear_each_other() -> None:
    """Redis pub/sub channels are global to the server, whatever the db number in the URL: the bus
    names its channels after the db (or ``?namespace=``), so two deployments on one Redis stay apart."""
    user = 10**12 + random.randrange(10**6)  # an id no real deployment here has
    tag = uuid.uuid4().hex[:8]
    base = REDIS.partition("?")[0].rpartition("/")[0]
    pairs = [(f"{base}/14?namespace=a{tag}", f"{base}/14?namespace=b{tag}"), (f"{base}/14", f"{base}/15")]
    for url, other_url in pairs:
        sender, same, other = RedisBus(url), RedisBus(url), RedisBus(other_url)
        for bus in (sender, same, other):
            await bus.start()
        try:
            heard: dict[str, list[Wakeup]] = {"same": [], "other": []}
            same.subscribe(user, heard["same"].append)
            other.subscribe(user, heard["other"].append)
            await _subscribed(same, other, user=user)
            sender.publish([Wakeup(user, 1, [b"{}"])])
            for _ in range(100):
                if heard["same"]:
                    break
                await asyncio.sleep(0.05)
            await asyncio.sleep(0.3)
            assert [w.seq for w in heard["same"]] == [1], "a node of the same deployment hears it"
            assert heard["other"] == [], f"{other_url} heard a wake-up published on {url}"
        finally:
            for bus in (sender, same, other):
                await bus.close()


async def test_a_node_hears_its_own_wake_up_once_and_another_node_too() -> None:
    """A node dispatches its own wake-ups locally and drops their echo from Redis unread; a wake-up
    from another node is dispatched with its frames."""
    user = 10**12 + random.randrange(10**6)
    url = f"{REDIS.partition('?')[0]}?namespace=e{uuid.uuid4().hex[:8]}"
    one, two = RedisBus(url), RedisBus(url)
    for bus in (one, two):
        await bus.start()
    try:
        heard: dict[str, list[Wakeup]] = {"one": [], "two": []}
        one.subscribe(user, heard["one"].append)
        two.subscribe(user, heard["two"].append)
        await _subscribed(one, two, user=user)
        one.publish([Wakeup(user, 1, [b'{"n":1}'])])
        two.publish([Wakeup(user, 2, [b'{"n":2}'])])
        for _ in range(100):
            if len(heard["one"]) == 2 and len(heard["two"]) == 2:
                break
            await asyncio.sleep(0.05)
        await asyncio.sleep(0.3)  # any echo would have arrived by now
        for name, bus_heard in heard.items():
            assert sorted((w.seq, w.frames) for w in bus_heard) == [(1, [b'{"n":1}']), (2, [b'{"n":2}'])], name
    finally:
        for bus in (one, two):
            await bus.close()


async def _subscribed(*buses: RedisBus, user: int) -> None:
    client = aioredis.from_url(REDIS.partition("?")[0])
    try:
        for _ in range(100):
            counts = dict(await client.pubsub_numsub(*(bus.prefix + str(user) for bus in buses)))
            if all(counts.get((bus.prefix + str(user)).encode()) for bus in buses):
                return
            await asyncio.sleep(0.05)
        raise AssertionError("the buses did not subscribe")
    finally:
        await client.aclose()
