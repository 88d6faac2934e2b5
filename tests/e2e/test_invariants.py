"""The sync model's invariants, against the real server process: durability, idempotency, the log's tail."""

from __future__ import annotations

import asyncio
import json
import random
import time
from typing import Any

import websockets
from helpers import Server, Socket, User, befriend, direct, register


async def _sender(user: User, conversation: int, stop_at: float, in_flight: int = 4) -> dict[str, Any]:
    """Send messages with a few in flight until the connection dies; record what was acknowledged."""
    sent: list[str] = []  # client ids, in the order their frames were written
    acked: dict[str, int] = {}  # client id -> seq
    ws = await websockets.connect(user.server.ws_url)
    await ws.send(json.dumps({"type": "hello", "token": user.token}))
    assert json.loads(await ws.recv())["type"] == "ready"
    window = asyncio.Semaphore(in_flight)

    async def read() -> None:
        async for raw in ws:
            frame = json.loads(raw)
            if frame["type"] == "ack":
                acked[frame["ref"]] = frame["message"]["seq"]
                window.release()

    reader = asyncio.create_task(read())
    try:
        n = 0
        while time.monotonic() < stop_at + 5 and not reader.done():
            await asyncio.wait_for(window.acquire(), 5)
            client_id = f"u{user.id}-{n}"
            n += 1
            await ws.send(
                json.dumps({"type": "send", "id": client_id, "conversation_id": conversation, "text": client_id})
            )
            sent.append(client_id)
    except (websockets.ConnectionClosed, TimeoutError, OSError):
        pass
    finally:
        await asyncio.wait([reader], timeout=5)
        reader.cancel()
    return {"user": user, "conversation": conversation, "sent": sent, "acked": acked}


async def test_ack_means_durable_across_sigkill(server: Server) -> None:
    receiver = await register(server, "receiver")
    senders = [await register(server, f"sender{i}") for i in range(20)]
    conversations = []
    for s in senders:
        await befriend(s, receiver)
        conversations.append(await direct(s, receiver))

    kill_at = time.monotonic() + 1.5
    tasks = [asyncio.create_task(_sender(s, c, kill_at)) for s, c in zip(senders, conversations, strict=True)]
    await asyncio.sleep(1.5)
    server.kill()  # mid-traffic: acks in flight, a commit possibly half done
    results = await asyncio.gather(*tasks)
    total_acked = sum(len(r["acked"]) for r in results)
    assert total_acked > 100, "the senders should have been busy when the server died"

    server.start()
    for r in results:
        user, conversation = r["user"], r["conversation"]
        stored = await receiver.history(conversation)
        by_client = {}
        for m in stored:
            assert m["client_id"] not in by_client, f"{m['client_id']} stored twice"
            by_client[m["client_id"]] = m["seq"]
        # every acknowledged message survived, with the seq it was acknowledged with
        for client_id, seq in r["acked"].items():
            assert by_client.get(client_id) == seq, f"acknowledged {client_id} lost or changed"
        # nothing appears that was never sent, seqs are 1..n, and the sender's order is kept
        assert set(by_client) <= set(r["sent"])
        assert [m["seq"] for m in stored] == list(range(1, len(stored) + 1))
        sent_order = [c for c in r["sent"] if c in by_client]
        assert [by_client[c] for c in sent_order] == sorted(by_client[c] for c in sent_order)
        # resending after the crash returns the original acknowledgement
        if r["acked"]:
            client_id, seq = next(iter(r["acked"].items()))
            again = await user.call(
                "POST", f"/conversations/{conversation}/messages", json={"id": client_id, "text": client_id}
            )
            assert again.status_code == 200 and again.json()["duplicate"] and again.json()["message"]["seq"] == seq

    # the receiver's log is gapless and holds each stored message exactly once
    events = await receiver.sync_all()
    assert [e["seq"] for e in events] == list(range(1, len(events) + 1))
    message_ids = [e["data"]["id"] for e in events if e["type"] == "message"]
    assert len(message_ids) == len(set(message_ids))
    [(stored_total,)] = server.rows("SELECT COUNT(*) FROM messages")
    assert len(message_ids) == stored_total >= total_acked


async def test_resending_a_client_id_returns_the_original_ack(server: Server) -> None:
    alice, bob = await register(server), await register(server)
    await befriend(alice, bob)
    conversation = await direct(alice, bob)
    ws = await Socket.connect(alice)
    first = await ws.send_text(conversation, "only once", client_id="same-id")
    assert first["type"] == "ack" and not first["duplicate"]
    again = await ws.send_text(conversation, "only once", client_id="same-id")
    assert again["duplicate"] and again["message"] == first["message"]
    # the same id over REST, from another device of the same user
    laptop = await alice.new_device()
    rest = await laptop.call(
        "POST", f"/conversations/{conversation}/messages", json={"id": "same-id", "text": "only once"}
    )
    assert rest.status_code == 200 and rest.json() == {"message": first["message"], "duplicate": True}
    # reusing the id for something else is a conflict, not a silent overwrite
    clash = await ws.send_text(conversation, "different text", client_id="same-id")
    assert clash["type"] == "error" and clash["error"]["code"] == "client_id_conflict"
    # many concurrent resends store exactly one message
    results = await asyncio.gather(
        *(
            laptop.call("POST", f"/conversations/{conversation}/messages", json={"id": "burst", "text": "x"})
            for _ in range(20)
        )
    )
    assert sorted(r.status_code for r in results) == [200] * 19 + [201]
    assert len({r.json()["message"]["id"] for r in results}) == 1
    history = await bob.ok("GET", f"/conversations/{conversation}/messages")
    assert [m["client_id"] for m in history["messages"]] == ["same-id", "burst"]
    bob_messages = [e for e in await bob.sync_all() if e["type"] == "message"]
    assert len(bob_messages) == 2
    await ws.close()


async def test_sync_from_any_n_returns_exactly_the_tail(server: Server) -> None:
    alice, bob, carol = await register(server), await register(server), await register(server)
    await befriend(alice, bob)
    await befriend(alice, carol)
    one = await direct(alice, bob)
    group = (await alice.ok("POST", "/conversations/groups", json={"user_ids": [bob.id, carol.id]}))["id"]
    for n in range(40):
        who, where = random.Random(n).choice([(alice, one), (bob, one), (carol, group), (bob, group)])
        await who.ok("POST", f"/conversations/{where}/messages", json={"id": f"t{n}", "text": f"text {n}"})
    await alice.ok("POST", f"/conversations/{group}/read", json={"seq": 5})
    await alice.ok("PATCH", "/me", json={"status": "busy"})
    log = await alice.sync_all()
    head = len(log)
    assert [e["seq"] for e in log] == list(range(1, head + 1))
    rng = random.Random(7)
    for since in sorted({0, head, *(rng.randrange(head + 1) for _ in range(8))}):
        # REST, in small pages
        page_events, cursor = [], since
        while True:
            page = await alice.ok("GET", "/sync", params={"since": cursor, "limit": 7})
            assert page["head"] == head
            page_events += page["events"]
            cursor = page["next_since"]
            if not page["has_more"]:
                break
        assert page_events == log[since:]
        # the WebSocket resumes from the same place and pushes the same tail
        ws = await Socket.connect(alice, since=since)
        await ws.wait_for(lambda ws=ws, since=since: len(ws.events) >= head - since)
        await asyncio.sleep(0.05)
        assert ws.events == log[since:]
        await ws.close()
    ahead = await alice.call("GET", "/sync", params={"since": head + 1})
    assert ahead.status_code == 400 and ahead.json()["error"]["code"] == "since_ahead"
