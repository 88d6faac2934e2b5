"""A deployment as kith wrote it at schema version 1, before the event-log heads had their table.

Rows are written with plain SQL, as the old code did: two friends, a direct conversation with two
messages, and both users' event logs (Alice's counter says 3, Bob's 2).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

T0 = 1_800_000_000_000
PASSWORD = "granite owl 7 basket"

Execute = Callable[[str, tuple[Any, ...]], object]


def write_version_1(execute: Execute, password_hash: str) -> None:
    rows: list[tuple[str, tuple[Any, ...]]] = [
        (
            "INSERT INTO users (id, handle, display_name, status, password_hash, disabled, last_event_seq, created_at)"
            " VALUES (?, ?, ?, '', ?, 0, ?, ?)",
            (1, "old_alice", "Alice", password_hash, 3, T0),
        ),
        (
            "INSERT INTO users (id, handle, display_name, status, password_hash, disabled, last_event_seq, created_at)"
            " VALUES (?, ?, ?, '', ?, 0, ?, ?)",
            (2, "old_bob", "Bob", password_hash, 2, T0),
        ),
        ("INSERT INTO friendships (user_id, friend_id, remark, created_at) VALUES (?, ?, '', ?)", (1, 2, T0)),
        ("INSERT INTO friendships (user_id, friend_id, remark, created_at) VALUES (?, ?, '', ?)", (2, 1, T0)),
        (
            "INSERT INTO conversations (id, kind, name, owner_id, direct_key, owner_only_adds, last_seq,"
            " last_activity_at, created_at) VALUES (?, 'direct', '', NULL, '1:2', 0, 2, ?, ?)",
            (1, T0, T0),
        ),
        (
            "INSERT INTO members (conversation_id, user_id, joined_seq, read_seq, muted, pinned, joined_at)"
            " VALUES (?, ?, 0, ?, 0, 0, ?)",
            (1, 1, 2, T0),
        ),
        (
            "INSERT INTO members (conversation_id, user_id, joined_seq, read_seq, muted, pinned, joined_at)"
            " VALUES (?, ?, 0, ?, 0, 0, ?)",
            (1, 2, 1, T0),
        ),
        (
            "INSERT INTO messages (id, conversation_id, seq, sender_id, client_id, kind, body, only_sender, created_at)"
            " VALUES (?, 1, ?, ?, ?, 'text', ?, 0, ?)",
            (1, 1, 2, "b1", "hello from the old days", T0),
        ),
        (
            "INSERT INTO messages (id, conversation_id, seq, sender_id, client_id, kind, body, only_sender, created_at)"
            " VALUES (?, 1, ?, ?, ?, 'text', ?, 0, ?)",
            (2, 2, 1, "a1", "and still here", T0),
        ),
        (
            "INSERT INTO events (user_id, seq, type, message_id, payload, created_at) VALUES (?, ?, ?, ?, ?, ?)",
            (1, 1, "friend.added", None, '{"friend":{"user":{"id":2}},"request_id":null}', T0),
        ),
        ("INSERT INTO events (user_id, seq, type, message_id, payload, created_at) VALUES (?, ?, ?, ?, ?, ?)",
         (1, 2, "message", 1, None, T0)),
        ("INSERT INTO events (user_id, seq, type, message_id, payload, created_at) VALUES (?, ?, ?, ?, ?, ?)",
         (1, 3, "message", 2, None, T0)),
        ("INSERT INTO events (user_id, seq, type, message_id, payload, created_at) VALUES (?, ?, ?, ?, ?, ?)",
         (2, 1, "message", 1, None, T0)),
        ("INSERT INTO events (user_id, seq, type, message_id, payload, created_at) VALUES (?, ?, ?, ?, ?, ?)",
         (2, 2, "message", 2, None, T0)),
    ]  # fmt: skip
    for sql, params in rows:
        execute(sql, params)


async def check_upgraded(kit: Any) -> None:
    """The upgraded deployment works with today's code and kept everything."""
    from kith.accounts.models import Caller

    alice = Caller(1, 0)
    session = await kit.accounts.sign_in("old_alice", PASSWORD)
    assert session.user.id == 1
    events = await kit.events(alice)
    assert [e["seq"] for e in events][:3] == [1, 2, 3]
    assert [e["data"]["text"] for e in events if e["type"] == "message"] == [
        "hello from the old days",
        "and still here",
    ]
    # the counters moved with their values: the next events continue each log without a gap
    ack = await kit.chats.send(alice, 1, "a2", "after the upgrade")
    assert ack.message.seq == 3
    alice_log = [e["seq"] for e in await kit.events(alice)]
    bob_log = [e["seq"] for e in await kit.events(Caller(2, 0))]
    assert alice_log == list(range(1, len(alice_log) + 1)) and alice_log[-1] >= 5  # + device.added, message
    assert bob_log == [1, 2, 3]
    # messages from before search existed are found once the migration's backfill job has run
    assert [m.text for m in (await kit.chats.search(alice, "old days", None, None))["messages"]] == []
    await kit.drain()
    found = (await kit.chats.search(alice, "old days", None, None))["messages"]
    assert [m.text for m in found] == ["hello from the old days"]
