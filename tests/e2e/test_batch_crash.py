"""Group commit under SIGKILL: many senders whose jobs share transactions (SQLite's writer, and each
of PostgreSQL's writer threads, commits what is queued to it together), the server killed mid-batch
and restarted. Acknowledged means stored once, with the seq it was acknowledged with; unacknowledged
is safe to resend."""

from __future__ import annotations

import asyncio
import time

from e2e.test_invariants import _sender
from e2e.test_metrics import scrape, value
from helpers import Server, befriend, direct, register


async def test_batched_sends_survive_sigkill_exactly_once(server: Server) -> None:
    # 12 senders in 3 groups of 4 (each group's counters and conversation row shared by its senders),
    # 12 more writing to one hub in direct chats (the hub's counter shared by all of them)
    hub = await register(server, "hub")
    people = [await register(server, f"batch{i}") for i in range(24)]
    groups = []
    for g in range(3):
        members = people[g * 4 : g * 4 + 4]
        for other in members[1:]:
            await befriend(members[0], other)
        created = await members[0].ok("POST", "/conversations/groups", json={"user_ids": [m.id for m in members[1:]]})
        groups += [(m, created["id"]) for m in members]
    directs = []
    for p in people[12:]:
        await befriend(p, hub)
        directs.append((p, await direct(p, hub)))
    plan = groups + directs

    kill_at = time.monotonic() + 2.0
    tasks = [asyncio.create_task(_sender(user, conversation, kill_at)) for user, conversation in plan]
    await asyncio.sleep(1.8)
    samples = await asyncio.to_thread(scrape, server)
    jobs, transactions = (value(samples, f"kith_store_write_batch_jobs_{s}") for s in ("sum", "count"))
    assert jobs > 1.5 * transactions, "the sends should have been sharing transactions"
    await asyncio.sleep(0.2)
    server.kill()  # batches in flight: some committed and acknowledged, some committed and not, some not
    results = await asyncio.gather(*tasks)
    acked_total = sum(len(r["acked"]) for r in results)
    assert acked_total > 100, "the senders should have been busy when the server died"

    server.start()
    for r in results:
        user, conversation = r["user"], r["conversation"]
        mine = [m for m in await user.history(conversation) if m["sender_id"] == user.id]
        by_client: dict[str, int] = {}
        for m in mine:
            assert m["client_id"] not in by_client, f"{m['client_id']} stored twice"
            by_client[m["client_id"]] = m["seq"]
        # every acknowledged message is there, with the seq it was acknowledged with
        for client_id, seq in r["acked"].items():
            assert by_client.get(client_id) == seq, f"acknowledged {client_id} lost or changed"
        assert set(by_client) <= set(r["sent"]), "a message that was never sent"
        # every unacknowledged send, sent again, ends up stored exactly once: either it had committed
        # (the resend is a duplicate, answered with the stored message) or it had not (stored now)
        for client_id in (c for c in r["sent"] if c not in r["acked"]):
            again = await user.call(
                "POST", f"/conversations/{conversation}/messages", json={"id": client_id, "text": client_id}
            )
            assert again.status_code == (200 if client_id in by_client else 201), again.text
            if client_id in by_client:
                assert again.json()["duplicate"] and again.json()["message"]["seq"] == by_client[client_id]
        after = [m for m in await user.history(conversation) if m["sender_id"] == user.id]
        assert sorted(m["client_id"] for m in after) == sorted(r["sent"])

    # one order per conversation, seqs 1..n; every user's log gapless, each message in it once
    for conversation in {c for _, c in plan}:
        owner = next(u for u, c in plan if c == conversation)
        seqs = [m["seq"] for m in await owner.history(conversation)]
        assert seqs == list(range(1, len(seqs) + 1)), f"conversation {conversation} has a gap"
    for user in [hub, *people]:
        events = await user.sync_all()
        assert [e["seq"] for e in events] == list(range(1, len(events) + 1)), f"user {user.id}'s log has a gap"
        message_ids = [e["data"]["id"] for e in events if e["type"] == "message"]
        assert len(message_ids) == len(set(message_ids)), f"user {user.id} got a message twice"
    [(stored_total,)] = server.rows("SELECT COUNT(*) FROM messages WHERE client_id IS NOT NULL")
    assert stored_total == sum(len(r["sent"]) for r in results)
