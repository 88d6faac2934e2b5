"""The per-user event log: gapless seqs, exactly-once in-order sync (invariant 3), post-commit wake-ups."""

from __future__ import annotations

import asyncio
import contextlib
import random
import tempfile
import threading
from pathlib import Path
from typing import Any

import msgspec
import pytest
from backends import Reader, Store, fresh_store
from chats.test_query_counts import CountingTx
from domain import Kit
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kith.accounts.models import PROFILE_UPDATED, Caller
from kith.bus.base import Wakeup
from kith.chats.models import MESSAGE
from kith.errors import Conflict, Invalid
from kith.events import EventLog
from kith.events import log as event_log
from kith.events.models import Emitted
from kith.jsonenc import encode
from kith.storage.database import Tx


def seqs_in_store(store: Store | Reader, user_id: int) -> tuple[list[int], int]:
    """The user's event seqs and counter, read straight from the store by another connection."""
    with contextlib.nullcontext(store) if isinstance(store, Reader) else Reader(store) as reader:
        seqs = [seq for (seq,) in reader.rows("SELECT seq FROM events WHERE user_id = ? ORDER BY seq", user_id)]
        [(head,)] = reader.rows("SELECT last_seq FROM event_heads WHERE user_id = ?", user_id)
        return seqs, head


async def whole_log(kit: Kit, user_id: int, limit: int | None = None, since: int = 0) -> list[bytes]:
    """Every frame of the user's log after ``since``, following pages to the end."""
    frames: list[bytes] = []
    while True:
        page = await kit.sync.sync(user_id, since, limit)
        frames += [bytes(e) for e in page.events]
        assert page.next_since == since + len(page.events)
        since = page.next_since
        if not page.has_more:
            assert since == page.head
            return frames


def seq_of(frame: bytes) -> int:
    return int(msgspec.json.decode(frame)["seq"])


async def busy_world(kit: Kit, n_users: int = 6, n_sends: int = 240, seed: int = 7) -> list[Caller]:
    """Friends, a group of everyone, direct pairs, then many concurrent writes touching many logs."""
    rng = random.Random(seed)
    users = [await kit.user(f"busy{i}") for i in range(n_users)]
    for i, a in enumerate(users):
        for b in users[i + 1 :]:
            await kit.friends(a, b)
    group = await kit.chats.create_group(users[0], "everyone", [u.user_id for u in users[1:]])
    pairs = [(users[i], users[(i + 1) % n_users]) for i in range(n_users)]
    directs = [((a, b), (await kit.chats.open_direct(a, b.user_id)).id) for a, b in pairs]

    jobs: list[Any] = []
    for n in range(n_sends):
        roll = rng.random()
        if roll < 0.45:
            sender = rng.choice(users)
            jobs.append(kit.chats.send(sender, group.id, f"g{n}", f"group {n}"))
        elif roll < 0.85:
            (a, b), conversation_id = rng.choice(directs)
            sender = rng.choice((a, b))
            jobs.append(kit.chats.send(sender, conversation_id, f"d{n}", f"direct {n}"))
        elif roll < 0.95:
            jobs.append(kit.accounts.update_profile(rng.choice(users), status=f"status {n}"))
        else:
            reader = rng.choice(users)
            jobs.append(kit.chats.mark_read(reader, group.id, n))
    await asyncio.gather(*jobs)
    return users


# -- gapless and ordered ---------------------------------------------------------------------


async def test_seqs_are_gapless_per_user_under_concurrent_writes(kit: Kit) -> None:
    users = await busy_world(kit)
    for user in users:
        seqs, head = seqs_in_store(kit.store, user.user_id)
        assert head > 100
        assert seqs == list(range(1, head + 1)), f"user {user.user_id}'s log has a gap or a repeat"
        frames = await whole_log(kit, user.user_id)
        assert [seq_of(f) for f in frames] == seqs


async def test_group_messages_are_in_every_members_log_in_the_same_order(kit: Kit) -> None:
    users = await busy_world(kit, n_users=4, n_sends=120, seed=11)
    orders = []
    for user in users:
        events = [msgspec.json.decode(f) for f in await whole_log(kit, user.user_id)]
        group_messages = [
            (e["data"]["seq"], e["data"]["text"])
            for e in events
            if e["type"] == "message" and e["data"]["text"].startswith("group ")
        ]
        orders.append(group_messages)
        assert [seq for seq, _ in group_messages] == sorted(seq for seq, _ in group_messages)
    assert all(order == orders[0] for order in orders)
    assert len(orders[0]) > 20


async def test_a_flush_appends_to_many_logs_in_a_few_statements(kit: Kit, monkeypatch: pytest.MonkeyPatch) -> None:
    users = [await kit.user(f"many{i}") for i in range(7)]
    monkeypatch.setattr(event_log, "_CHUNK_USERS", 3)  # 7 users: chunks of 3, 3 and 1
    monkeypatch.setattr(event_log, "_CHUNK_USERS_SQLITE", 2)
    before = {u.user_id: seqs_in_store(kit.store, u.user_id)[1] for u in users}
    wanted: dict[int, list[tuple[str, str | None]]] = {u.user_id: [] for u in users}
    statements: list[str] = []

    def job(tx: Tx) -> list[Emitted]:
        log = EventLog(CountingTx(tx, statements), kit.clock.now_ms())
        for n, u in enumerate(reversed(users)):  # appended out of id order, 1 to 3 events each
            for k in range(n % 3 + 1):
                log.append(u.user_id, PROFILE_UPDATED, encode({"note": f"{n}.{k}"}))
                wanted[u.user_id].append((PROFILE_UPDATED.name, f"{n}.{k}"))
        log.append_ref([u.user_id for u in users[:2]], MESSAGE, 10**9, encode({"id": 10**9}))
        for u in users[:2]:
            wanted[u.user_id].append((MESSAGE.name, None))
        return log.flush()

    emitted = await kit.db.write(job)
    # PostgreSQL: one statement per chunk of users. SQLite: one counter update per chunk of the users
    # who get as many events (1 event: 2 users, 2: 3 users in chunks of 2 and 1, 3: 1, 4: 1), one insert
    assert len(statements) == (3 if kit.backend == "postgres" else 5 + 1), statements
    assert [e.user_id for e in emitted] == sorted(u for u in wanted for _ in wanted[u])
    for user in users:
        seqs, head = seqs_in_store(kit.store, user.user_id)
        assert seqs == list(range(1, head + 1))
        assert head == before[user.user_id] + len(wanted[user.user_id])
        mine = [e for e in emitted if e.user_id == user.user_id]
        assert [e.seq for e in mine] == list(range(before[user.user_id] + 1, head + 1))
        stored = [msgspec.json.decode(f) for f in await whole_log(kit, user.user_id, since=before[user.user_id])]
        assert [(e["type"], e["data"].get("note")) for e in stored] == wanted[user.user_id]
        assert [e["seq"] for e in stored] == [e.seq for e in mine]
        # what was pushed is what the log holds (the message it names does not exist: shown as gone)
        for pushed, kept in zip(mine, stored, strict=True):
            if kept["type"] != MESSAGE.name:
                assert msgspec.json.decode(pushed.frame) == kept
        if user in users[:2]:
            assert stored[-1]["data"] == {"id": 10**9, "gone": True}


async def test_a_flush_for_a_user_without_a_log_changes_nothing(kit: Kit) -> None:
    alice = await kit.user("alice")
    before = seqs_in_store(kit.store, alice.user_id)

    def job(tx: Tx) -> list[Emitted]:
        log = EventLog(tx, kit.clock.now_ms())
        log.append(alice.user_id, PROFILE_UPDATED, encode({"note": "kept?"}))
        log.append(10**9, PROFILE_UPDATED, encode({"note": "nobody"}))
        return log.flush()

    with pytest.raises(LookupError, match=str(10**9)):
        await kit.db.write(job)
    assert seqs_in_store(kit.store, alice.user_id) == before


async def test_a_rolled_back_job_takes_its_seqs_with_it(kit: Kit) -> None:
    alice, bob = await kit.user("alice"), await kit.user("bob")
    writer = kit.chats.writer
    heads = {u.user_id: seqs_in_store(kit.store, u.user_id)[1] for u in (alice, bob)}
    woken: list[Wakeup] = []
    for u in (alice, bob):
        kit.bus.subscribe(u.user_id, woken.append)

    def note(tx: Tx, log: EventLog, text: str) -> None:
        for u in (alice, bob):
            log.append(u.user_id, PROFILE_UPDATED, encode({"note": text}))

    def doomed(tx: Tx, log: EventLog) -> None:
        note(tx, log, "never")
        raise Invalid("changed its mind after appending")

    # hold the writer so that all three jobs share one transaction
    entered, release = threading.Event(), threading.Event()

    def hold(tx: Tx) -> None:
        entered.set()
        release.wait(10)

    # (on SQLite; PostgreSQL runs each job in a transaction of its own, and the jobs of one order
    # key in call order)
    held = kit.db.write(hold, order_key=alice.user_id)
    assert await asyncio.to_thread(entered.wait, 10)
    first = writer.run(note, "first", order_key=alice.user_id)
    bad = writer.run(doomed, order_key=alice.user_id)
    last = writer.run(note, "last", order_key=alice.user_id)
    release.set()
    await held
    await first
    with pytest.raises(Invalid):
        await bad
    await last

    for u in (alice, bob):
        seqs, head = seqs_in_store(kit.store, u.user_id)
        assert head == heads[u.user_id] + 2
        assert seqs == list(range(1, head + 1))
        notes = [msgspec.json.decode(f)["data"].get("note") for f in await whole_log(kit, u.user_id)]
        assert [n for n in notes if n] == ["first", "last"]
    woken_notes = [msgspec.json.decode(f)["data"]["note"] for w in woken for f in w.frames or []]
    assert "never" not in woken_notes
    assert sorted(woken_notes) == ["first", "first", "last", "last"]


# -- exactly-once, in-order sync from any point (invariant 3) --------------------------------

OPS = st.lists(
    st.tuples(
        st.sampled_from(["direct", "group", "recall", "read", "profile", "remark", "prefs", "churn"]),
        st.integers(min_value=0, max_value=2),
    ),
    max_size=25,
)


async def _random_history(store: Store, ops: list[tuple[str, int]], page_max: int, limit: int) -> None:
    kit = await Kit.open(store, sync_page_max=page_max)
    try:
        users = [await kit.user(h) for h in ("ann", "ben", "cat")]
        a, b, c = users
        await kit.friends(a, b)
        await kit.friends(a, c)
        group = await kit.chats.create_group(a, "three", [b.user_id, c.user_id])
        ab = await kit.chats.open_direct(a, b.user_id)
        sent: list[tuple[Caller, int, int]] = []  # (sender, conversation, seq)
        c_in_group = True
        for n, (op, who) in enumerate(ops):
            user = users[who]
            if op == "direct":
                sender = a if who == 0 else b
                ack = await kit.chats.send(sender, ab.id, f"op{n}", f"direct {n}")
                sent.append((sender, ab.id, ack.message.seq))
            elif op == "group" and (user is not c or c_in_group):
                ack = await kit.chats.send(user, group.id, f"op{n}", f"group {n}")
                sent.append((user, group.id, ack.message.seq))
            elif op == "recall" and sent:
                sender, conversation_id, seq = sent.pop()
                await kit.chats.recall(sender, conversation_id, seq)
            elif op == "read" and (user is not c or c_in_group):
                await kit.chats.mark_read(user, group.id, n)
            elif op == "profile":
                await kit.accounts.update_profile(user, status=f"now {n}")
            elif op == "remark":
                await kit.contacts.set_remark(a, b.user_id, f"remark {n}")
            elif op == "prefs" and (user is not c or c_in_group):
                await kit.chats.set_prefs(user, group.id, muted=bool(n % 2), pinned=None)
            elif op == "churn":
                if c_in_group:
                    await kit.chats.remove_member(a, group.id, c.user_id)
                    sent = [s for s in sent if s[0] is not c or s[1] != group.id]
                else:
                    await kit.chats.add_members(a, group.id, [c.user_id])
                c_in_group = not c_in_group
            kit.clock.advance(1)

        for user in users:
            log = await whole_log(kit, user.user_id)
            head = await kit.sync.head(user.user_id)
            assert [seq_of(f) for f in log] == list(range(1, head + 1))
            for since in range(head + 1):
                assert await whole_log(kit, user.user_id, limit, since) == log[since:]
    finally:
        await kit.close()


@settings(
    max_examples=25,
    deadline=None,
    database=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(ops=OPS, page_max=st.integers(min_value=1, max_value=9), limit=st.none() | st.integers(1, 9))
def test_sync_from_every_point_returns_exactly_the_tail(
    backend: str, ops: list[tuple[str, int]], page_max: int, limit: int | None
) -> None:
    limit = None if limit is None else min(limit, page_max)
    with tempfile.TemporaryDirectory() as folder, fresh_store(backend, Path(folder) / "kith.db") as store:
        asyncio.run(_random_history(store, ops, page_max, limit))


async def test_pages_of_any_size_concatenate_to_the_whole_log(kit: Kit) -> None:
    users = await busy_world(kit, n_users=3, n_sends=40, seed=3)
    user = users[1].user_id
    whole = await whole_log(kit, user)
    head = await kit.sync.head(user)
    assert len(whole) == head > 40
    for limit in (1, 2, 3, 7, 50):
        frames, since, pages = [], 0, 0
        while True:
            page = await kit.sync.sync(user, since, limit)
            assert len(page.events) <= limit
            assert page.head == head
            frames += [bytes(e) for e in page.events]
            since, pages = page.next_since, pages + 1
            if not page.has_more:
                break
        assert frames == whole
        assert pages == -(-head // limit)


async def test_sync_at_the_head_is_empty(kit: Kit) -> None:
    alice = await kit.user("alice")
    head = await kit.sync.head(alice.user_id)
    assert head >= 1  # signing up added a device
    page = await kit.sync.sync(alice.user_id, head, None)
    assert (page.events, page.next_since, page.head, page.has_more) == ([], head, head, False)


@pytest.mark.parametrize("ahead", [1, 10**9, 2**63, 2**70])
async def test_since_ahead_of_the_head_is_refused(kit: Kit, ahead: int) -> None:
    alice = await kit.user("alice")
    head = await kit.sync.head(alice.user_id)
    with pytest.raises(Invalid) as caught:
        await kit.sync.sync(alice.user_id, head + ahead, None)
    assert caught.value.code == "since_ahead"
    assert caught.value.fields["head"] == head


@pytest.mark.parametrize(("since", "limit", "field"), [(-1, None, "since"), (0, 0, "limit"), (0, 501, "limit")])
async def test_bad_sync_arguments_are_refused(kit: Kit, since: int, limit: int | None, field: str) -> None:
    alice = await kit.user("alice")
    with pytest.raises(Invalid) as caught:
        await kit.sync.sync(alice.user_id, since, limit)
    assert caught.value.fields["field"] == field


async def test_a_log_holds_only_its_owners_events(kit: Kit) -> None:
    alice, bob, carol = await kit.user("alice"), await kit.user("bob"), await kit.user("carol")
    carol_head = await kit.sync.head(carol.user_id)
    await kit.friends(alice, bob)
    conversation = await kit.chats.open_direct(alice, bob.user_id)
    await kit.chats.send(alice, conversation.id, "x", "just between us")
    assert await kit.sync.head(carol.user_id) == carol_head
    assert [e["type"] for e in await kit.events(carol)] == ["device.added"]


# -- wake-ups --------------------------------------------------------------------------------


async def test_wakeups_come_after_commit_with_contiguous_frames(kit: Kit) -> None:
    with Reader(kit.store) as reader:
        woken: dict[int, list[Wakeup]] = {}
        problems: list[str] = []

        def listener(wakeup: Wakeup) -> None:
            # read by another connection: only committed rows are there
            seqs, head = seqs_in_store(reader, wakeup.user_id)
            if wakeup.seq not in seqs or head < wakeup.seq:
                problems.append(f"user {wakeup.user_id} woken for seq {wakeup.seq} before it was committed")
            woken.setdefault(wakeup.user_id, []).append(wakeup)

        subscribed = [await kit.user(f"early{i}") for i in range(4)]
        for u in subscribed:
            kit.bus.subscribe(u.user_id, listener)
        starts = {u.user_id: await kit.sync.head(u.user_id) for u in subscribed}

        # the same kind of busy, concurrent traffic, now with the early users in it
        for i, a in enumerate(subscribed):
            for b in subscribed[i + 1 :]:
                await kit.friends(a, b)
        group = await kit.chats.create_group(subscribed[0], "woken", [u.user_id for u in subscribed[1:]])
        rng = random.Random(5)
        await asyncio.gather(
            *(kit.chats.send(rng.choice(subscribed), group.id, f"w{n}", f"wake {n}") for n in range(80)),
            *(kit.accounts.update_profile(u, status="busy") for u in subscribed),
        )

        assert problems == []
        for u in subscribed:
            wakeups = woken[u.user_id]
            announced: list[int] = []
            for w in wakeups:
                assert w.frames, "a local wake-up carries its frames"
                seqs = [seq_of(f) for f in w.frames]
                assert seqs == list(range(seqs[0], seqs[0] + len(seqs))), "frames of one wake-up are contiguous"
                assert seqs[-1] == w.seq, "and end at the seq the wake-up announces"
                announced += seqs
            head = await kit.sync.head(u.user_id)
            assert sorted(announced) == list(range(starts[u.user_id] + 1, head + 1)), "each new event once"
            stored = {seq_of(f): f for f in await whole_log(kit, u.user_id)}
            for w in wakeups:
                assert w.frames == [stored[seq_of(f)] for f in w.frames], "pushed frames are what sync returns"


async def test_no_wakeup_for_a_failed_change(kit: Kit) -> None:
    alice, bob = await kit.user("alice"), await kit.user("bob")
    woken: list[Wakeup] = []
    kit.bus.subscribe(bob.user_id, woken.append)
    kit.bus.subscribe(alice.user_id, woken.append)
    await kit.friends(alice, bob)
    woken.clear()
    group = await kit.chats.create_group(alice, "g", [bob.user_id])
    assert {w.user_id for w in woken} == {alice.user_id, bob.user_id}
    woken.clear()
    with pytest.raises(Invalid):
        await kit.chats.update_group(bob, group.id)  # nothing to change
    await kit.chats.send(alice, group.id, "one", "a")
    with pytest.raises(Conflict):
        await kit.chats.send(alice, group.id, "one", "b")
    assert [w.user_id for w in woken] == [alice.user_id, bob.user_id], "only the first send woke anyone"
