"""Account deletion, in-process: what is theirs alone goes, their messages others received stay.

After the deletion every table is searched for the user: their id in any column that refers to a
user, and their old handle and display name anywhere in any text (event payloads, system notices).
"""

from __future__ import annotations

import secrets
from typing import Any

import pytest
from backends import Reader
from domain import Kit

from kith.accounts.deletion import forget
from kith.accounts.models import Caller
from kith.errors import Forbidden, NotFound, RateLimited
from kith.events import Writer

HANDLE = "zed_quartz"  # unique enough to be searched for in every text column
NAME = "Zed Quartzberg"

# every column that names a user
USER_COLUMNS = {
    "devices": ["user_id"],
    "sign_in_keys": ["user_id"],
    "friendships": ["user_id", "friend_id"],
    "friend_requests": ["from_id", "to_id"],
    "blocks": ["user_id", "blocked_id"],
    "members": ["user_id"],
    "events": ["user_id"],
    "event_heads": ["user_id"],
    "conversations": ["owner_id"],
    "mentions": ["user_id"],
}


async def world(kit: Kit) -> dict[str, Any]:
    password = secrets.token_urlsafe(16)
    session = await kit.accounts.register(HANDLE, "Zed", password, "phone")
    zed = Caller(session.user.id, session.device.id)
    await kit.accounts.update_profile(zed, display_name=NAME, status="secret status line")
    bob, carol, dave, erin, frank = [await kit.user() for _ in range(5)]
    await kit.friends(zed, bob)
    await kit.friends(zed, carol)
    await kit.friends(zed, dave)
    await kit.friends(bob, carol)
    await kit.contacts.send_request(zed, greeting="please", handle=(await kit.accounts.profile(erin.user_id)).handle)
    await kit.contacts.send_request(frank, greeting="me too", handle=HANDLE)  # pending, to zed
    await kit.contacts.set_remark(bob, zed.user_id, "my friend Zed")

    to_bob = await kit.chats.open_direct(zed, bob.user_id)
    await kit.chats.send(zed, to_bob.id, "d1", "hello bob")
    await kit.chats.send(bob, to_bob.id, "d2", "hello zed")
    # dave blocks zed: zed's later message to dave is seen by zed alone
    to_dave = await kit.chats.open_direct(zed, dave.user_id)
    await kit.contacts.block(dave, zed.user_id)
    await kit.chats.send(zed, to_dave.id, "x1", "dave never sees this")

    group = await kit.chats.create_group(zed, "Zed's group", [bob.user_id, carol.user_id])
    await kit.chats.send(zed, group.id, "g1", "hi group")
    await kit.chats.send(carol, group.id, "g2", "hi zed", mentions=[zed.user_id])
    # a group the others left: zed goes on writing there alone
    lonely = await kit.chats.create_group(zed, "lonely", [bob.user_id])
    await kit.chats.send(zed, lonely.id, "l1", "bob saw this one")
    await kit.chats.leave(bob, lonely.id)
    await kit.chats.send(zed, lonely.id, "l2", "nobody saw this one")
    await kit.accounts.sign_in(HANDLE, password, "laptop")  # a second device
    return {
        "zed": zed,
        "bob": bob,
        "carol": carol,
        "dave": dave,
        "erin": erin,
        "frank": frank,
        "to_bob": to_bob.id,
        "to_dave": to_dave.id,
        "group": group.id,
        "lonely": lonely.id,
    }


def texts(dump: dict[str, list[tuple[Any, ...]]]) -> list[tuple[str, str]]:
    return [(table, v) for table, rows in dump.items() for row in rows for v in row if isinstance(v, str)]


async def test_deletion_leaves_nothing_of_theirs_but_the_tombstone_and_what_others_received(kit: Kit) -> None:
    w = await world(kit)
    zed: Caller = w["zed"]
    uid = zed.user_id
    before = await kit.rows("SELECT id, conversation_id, body FROM messages WHERE sender_id = ? ORDER BY id", uid)
    assert [r[2] for r in before] == ["hello bob", "dave never sees this", "hi group", "bob saw this one",
                                      "nobody saw this one"]  # fmt: skip

    await kit.deletion.delete(uid)

    dump = kit.dump()
    with Reader(kit.store) as reader:
        columns = reader.columns
        for table, names in USER_COLUMNS.items():
            for name in names:
                index = columns(table).index(name)
                assert [r for r in dump[table] if r[index] == uid] == [], f"{table}.{name} still names them"
        users = dict(zip(columns("users"), next(r for r in dump["users"] if r[0] == uid), strict=True))
    assert users["handle"] == f"deleted-{uid}"
    assert users["display_name"] == "Deleted user"
    assert (users["status"], users["password_hash"], users["disabled"]) == ("", "", 1)
    # their old handle, name and status are nowhere: not in events' payloads, not in notices
    leftovers = [(t, v) for t, v in texts(dump) if HANDLE in v or NAME in v or "secret status line" in v]
    assert leftovers == []
    # the messages others received stay; those nobody else saw are gone
    after = await kit.rows("SELECT body FROM messages WHERE sender_id = ? ORDER BY id", uid)
    assert [r[0] for r in after] == ["hello bob", "hi group", "bob saw this one"]
    # the lonely group keeps bob's record of it, and no owner
    assert await kit.rows("SELECT owner_id FROM conversations WHERE id = ?", w["lonely"]) == [(None,)]


async def test_the_others_are_told_and_still_see_the_messages_from_a_deleted_user(kit: Kit) -> None:
    w = await world(kit)
    zed, bob, carol = w["zed"], w["bob"], w["carol"]
    uid = zed.user_id
    marks = {who: len(await kit.events(w[who])) for who in ("bob", "carol", "dave", "erin", "frank")}

    await kit.deletion.delete(uid)

    def new(who: str) -> Any:
        return kit.events(w[who], marks[who])

    tomb = {"id": uid, "handle": f"deleted-{uid}", "display_name": "Deleted user", "status": "", "deleted": True}
    bob_events = await new("bob")
    assert any(e["type"] == "friend.removed" and e["data"] == {"user_id": uid} for e in bob_events)
    assert any(e["type"] == "profile.updated" and e["data"] == {"user": tomb} for e in bob_events)
    # in the group zed owned, ownership passed to the longest-standing member, and a notice says so
    notice = next(e["data"] for e in await new("carol") if e["type"] == "message")
    assert notice["system"]["action"] == "member_left"
    assert notice["system"]["actor"] == tomb
    assert notice["system"]["owner"]["id"] == bob.user_id
    group = await kit.chats.conversation(carol, w["group"])
    assert group.owner_id == bob.user_id and group.member_count == 2
    assert any(e["type"] == "contact.unblocked" and e["data"] == {"user_id": uid} for e in await new("dave"))
    for who in ("erin", "frank"):  # the open requests end
        ended = [e["data"]["request"] for e in await new(who) if e["type"] == "friend.request"]
        assert [r["status"] for r in ended] == ["cancelled"], who
        assert tomb in (ended[0]["from_user"], ended[0]["to_user"])

    # bob's direct conversation stays, with the tombstone as its peer; its history is intact
    conversation = await kit.chats.conversation(bob, w["to_bob"])
    assert (
        conversation.peer is not None and conversation.peer.deleted and conversation.peer.display_name == "Deleted user"
    )
    history = await kit.chats.history(bob, w["to_bob"], None, None, None)
    assert [(m.sender_id, m.text) for m in history["messages"]] == [(uid, "hello bob"), (bob.user_id, "hello zed")]
    # everyone's log is still gapless, and the friends' lists forget them
    for who in ("bob", "carol", "dave", "erin", "frank"):
        events = await kit.events(w[who])
        assert [e["seq"] for e in events] == list(range(1, len(events) + 1))
    assert [f.user.id for f in await kit.contacts.friends(bob)] == [carol.user_id]
    # the handle is free again, and nothing can be done as the deleted user
    again = await kit.user(HANDLE)
    assert again.user_id != uid
    with pytest.raises(NotFound):
        await kit.deletion.delete(uid)
    with pytest.raises(NotFound):
        await kit.contacts.send_request(bob, uid)


async def test_when_both_sides_of_a_chat_are_deleted_nothing_of_it_is_left(kit: Kit) -> None:
    a, b, c = [await kit.user() for _ in range(3)]
    await kit.friends(a, b)
    await kit.friends(a, c)
    chat = await kit.chats.open_direct(a, b.user_id)
    await kit.chats.send(a, chat.id, "a1", "from a")
    await kit.chats.send(b, chat.id, "b1", "from b")
    other = await kit.chats.open_direct(a, c.user_id)
    await kit.chats.send(a, other.id, "a2", "a to c")

    await kit.deletion.delete(a.user_id)
    assert await kit.rows("SELECT body FROM messages WHERE conversation_id = ? ORDER BY id", chat.id) == [
        ("from a",),
        ("from b",),
    ]
    await kit.deletion.delete(b.user_id)
    # nobody is left in it, and no log refers to it: it is gone; c's chat with a's tombstone stays
    assert await kit.rows("SELECT COUNT(*) FROM messages WHERE conversation_id = ?", chat.id) == [(0,)]
    assert await kit.rows("SELECT id FROM conversations ORDER BY id") == [(other.id,)]
    assert await kit.rows("SELECT body FROM messages WHERE conversation_id = ?", other.id) == [("a to c",)]


async def test_a_node_that_dies_after_the_first_step_leaves_the_rest_to_the_outbox(kit: Kit) -> None:
    password = secrets.token_urlsafe(16)
    session = await kit.accounts.register("crash_quartz", "Crash Quartzberg", password, "phone")
    doomed = Caller(session.user.id, session.device.id)
    friend = await kit.user()
    await kit.friends(doomed, friend)
    await Writer(kit.db, kit.bus, kit.clock).run(forget, doomed.user_id)  # step 1 commits, then the node dies

    def text() -> str:
        return repr(kit.dump())

    assert "Crash Quartzberg" in text(), "the friend's events still carry the old profile"
    assert await kit.rows("SELECT last_seq FROM event_heads WHERE user_id = ?", doomed.user_id) != []
    assert not await kit.outbox.drain_once(), "the safety net waits: the node normally finishes inline"
    kit.clock.advance(11 * 60)
    assert await kit.outbox.drain_once()
    assert "Crash Quartzberg" not in text() and "crash_quartz" not in text()
    assert await kit.rows("SELECT last_seq FROM event_heads WHERE user_id = ?", doomed.user_id) == []
    assert await kit.rows("SELECT COUNT(*) FROM outbox") == [(0,)]


async def test_confirming_the_password_is_throttled_like_a_sign_in(kit: Kit) -> None:
    password = secrets.token_urlsafe(16)
    session = await kit.accounts.register("guessed_quartz", "Guessed", password, "phone")
    me = Caller(session.user.id, session.device.id)
    for _ in range(10):  # a stolen token guessing the password
        with pytest.raises(Forbidden):
            await kit.deletion.do_delete_account(me, "not-the-password")
    with pytest.raises(RateLimited):
        await kit.deletion.do_delete_account(me, password)
    with pytest.raises(RateLimited):
        await kit.accounts.change_password(me, password, secrets.token_urlsafe(16))
    assert (await kit.accounts.profile(me.user_id)).handle == "guessed_quartz", "nothing was deleted"
