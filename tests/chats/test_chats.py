"""Conversations and messages: direct chats, sends, quotes, recalls, blocks, groups, reads, the list."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from domain import Kit

from kith.accounts.models import Caller
from kith.errors import Conflict, Forbidden, Invalid, NotFound, TooLarge

# -- helpers ---------------------------------------------------------------------------------


async def direct(kit: Kit, a: Caller, b: Caller) -> int:
    await kit.friends(a, b)
    return (await kit.chats.open_direct(a, b.user_id)).id


async def group(kit: Kit, owner: Caller, *members: Caller, name: str = "group") -> int:
    """A new group of ``owner`` and ``members``, befriending them first where needed."""
    friends = {f.user.id for f in await kit.contacts.friends(owner)}
    for member in members:
        if member.user_id not in friends:
            await kit.friends(owner, member)
    return (await kit.chats.create_group(owner, name, [m.user_id for m in members])).id


async def history(kit: Kit, who: Caller, conversation_id: int) -> list[Any]:
    return (await kit.chats.history(who, conversation_id, None, None, 200))["messages"]


async def texts(kit: Kit, who: Caller, conversation_id: int) -> list[str]:
    return [m.text for m in await history(kit, who, conversation_id) if m.kind == "text"]


async def logged(kit: Kit, who: Caller, conversation_id: int, since: int = 0) -> list[dict]:
    """The user's log events that concern ``conversation_id``."""
    found = []
    for event in await kit.events(who, since):
        data = event["data"]
        cid = data.get("conversation_id", data.get("conversation", {}).get("id"))
        if cid == conversation_id:
            found.append(event)
    return found


async def logged_texts(kit: Kit, who: Caller, conversation_id: int, since: int = 0) -> list[str]:
    return [
        e["data"]["text"]
        for e in await logged(kit, who, conversation_id, since)
        if e["type"] == "message" and e["data"]["kind"] == "text"
    ]


async def notices(kit: Kit, who: Caller, conversation_id: int) -> list[dict]:
    return [m.system for m in await history(kit, who, conversation_id) if m.kind == "system"]


async def unread(kit: Kit, who: Caller, conversation_id: int) -> int:
    return (await kit.chats.conversation(who, conversation_id)).unread


async def head(kit: Kit, who: Caller) -> int:
    return await kit.sync.head(who.user_id)


@pytest.fixture
async def trio(kit: Kit) -> tuple[Caller, Caller, Caller]:
    return await kit.user("alice"), await kit.user("bob"), await kit.user("carol")


# -- direct conversations --------------------------------------------------------------------


async def test_a_direct_conversation_needs_a_friendship(kit: Kit, trio: tuple[Caller, ...]) -> None:
    alice, bob, _ = trio
    b0 = await head(kit, bob)
    with pytest.raises(Forbidden) as caught:
        await kit.chats.open_direct(alice, bob.user_id)
    assert caught.value.code == "not_friends"
    with pytest.raises(Invalid):
        await kit.chats.open_direct(alice, alice.user_id)
    assert await kit.rows("SELECT COUNT(*) FROM conversations") == [(0,)]
    assert await head(kit, bob) == b0


async def test_there_is_one_direct_conversation_per_pair(kit: Kit, trio: tuple[Caller, ...]) -> None:
    alice, bob, _ = trio
    await kit.friends(alice, bob)
    first = await kit.chats.open_direct(alice, bob.user_id)
    again = await kit.chats.open_direct(alice, bob.user_id)
    theirs = await kit.chats.open_direct(bob, alice.user_id)
    assert first.id == again.id == theirs.id
    assert (first.kind, first.peer.id, theirs.peer.id) == ("direct", bob.user_id, alice.user_id)
    for who in (alice, bob):
        joined = [e for e in await logged(kit, who, first.id) if e["type"] == "conversation.joined"]
        assert len(joined) == 1
    assert [m.user.id for m in await kit.chats.members(alice, first.id)] == sorted([alice.user_id, bob.user_id])


async def test_only_members_read_a_conversation(kit: Kit, trio: tuple[Caller, ...]) -> None:
    alice, bob, carol = trio
    conversation = await direct(kit, alice, bob)
    await kit.chats.send(alice, conversation, "m1", "private")
    for read in (
        kit.chats.conversation(carol, conversation),
        kit.chats.members(carol, conversation),
        kit.chats.history(carol, conversation, None, None, None),
    ):
        with pytest.raises(NotFound):
            await read
    with pytest.raises(NotFound):
        await kit.chats.send(carol, conversation, "c1", "let me in")
    with pytest.raises(NotFound):
        await kit.chats.mark_read(carol, conversation, 1)
    assert [e["type"] for e in await kit.events(carol)] == ["device.added"]


# -- sending ---------------------------------------------------------------------------------


async def test_a_send_reaches_both_logs_and_moves_the_senders_read_position(kit: Kit, trio: tuple[Caller, ...]) -> None:
    alice, bob, _ = trio
    conversation = await direct(kit, alice, bob)
    ack = await kit.chats.send(alice, conversation, "m1", "hello bob")
    assert not ack.duplicate
    assert (ack.message.seq, ack.message.sender_id, ack.message.text) == (1, alice.user_id, "hello bob")
    for who in (alice, bob):
        [event] = [e for e in await logged(kit, who, conversation) if e["type"] == "message"]
        assert event["data"]["id"] == ack.message.id and event["data"]["client_id"] == "m1"
    assert (await kit.chats.conversation(alice, conversation)).read_seq == 1
    assert (await kit.chats.conversation(bob, conversation)).read_seq == 0


async def test_resending_a_client_id_returns_the_original_ack(kit: Kit, trio: tuple[Caller, ...]) -> None:
    alice, bob, _ = trio
    conversation = await direct(kit, alice, bob)
    first = await kit.chats.send(alice, conversation, "same-id", "only once")
    b0 = await head(kit, bob)
    again = await kit.chats.send(alice, conversation, "same-id", "only once")
    assert again.duplicate
    assert again.message == first.message
    assert await kit.rows("SELECT COUNT(*) FROM messages WHERE client_id = 'same-id'") == [(1,)]
    assert await head(kit, bob) == b0
    assert await logged_texts(kit, bob, conversation) == ["only once"]
    # concurrent resends of one id (a client retrying over two connections) store it once too
    acks = await asyncio.gather(*(kit.chats.send(alice, conversation, "retry", "hi") for _ in range(5)))
    assert sum(not a.duplicate for a in acks) == 1
    assert len({a.message.id for a in acks}) == 1
    assert await texts(kit, bob, conversation) == ["only once", "hi"]


async def test_a_client_id_reused_for_another_message_is_a_conflict(kit: Kit, trio: tuple[Caller, ...]) -> None:
    alice, bob, carol = trio
    conversation = await direct(kit, alice, bob)
    other = await direct(kit, alice, carol)
    await kit.chats.send(alice, conversation, "m1", "first")
    for attempt in (
        lambda: kit.chats.send(alice, conversation, "m1", "different text"),
        lambda: kit.chats.send(alice, other, "m1", "first"),
        lambda: kit.chats.send(alice, conversation, "m1", "first", reply_to=1),
    ):
        with pytest.raises(Conflict) as caught:
            await attempt()
        assert caught.value.code == "client_id_conflict"
    assert await kit.rows("SELECT COUNT(*) FROM messages") == [(1,)]
    # client ids belong to their sender: bob may use the same one
    ack = await kit.chats.send(bob, conversation, "m1", "mine")
    assert not ack.duplicate and ack.message.seq == 2


async def test_a_resend_of_a_recalled_message_is_still_a_duplicate(kit: Kit, trio: tuple[Caller, ...]) -> None:
    alice, bob, _ = trio
    conversation = await direct(kit, alice, bob)
    await kit.chats.send(alice, conversation, "m1", "oops")
    await kit.chats.recall(alice, conversation, 1)
    again = await kit.chats.send(alice, conversation, "m1", "oops")
    assert again.duplicate and again.message.recalled
    assert await kit.rows("SELECT COUNT(*) FROM messages") == [(1,)]


@pytest.mark.parametrize(
    ("client_id", "text", "reply_to", "error"),
    [
        ("", "hi", None, Invalid),
        ("has space", "hi", None, Invalid),
        ("x" * 65, "hi", None, Invalid),
        ("ab\n", "hi", None, Invalid),
        ("ok", "   ", None, Invalid),
        ("ok", "bell\x07", None, Invalid),
        ("ok", "\ud800", None, Invalid),
        ("ok", "é" * 8193, None, TooLarge),
        ("ok", "hi", 0, Invalid),
    ],
)
async def test_a_bad_send_is_refused_and_stores_nothing(
    kit: Kit, trio: tuple[Caller, ...], client_id: str, text: str, reply_to: int | None, error: type
) -> None:
    alice, bob, _ = trio
    conversation = await direct(kit, alice, bob)
    b0 = await head(kit, bob)
    with pytest.raises(error):
        await kit.chats.send(alice, conversation, client_id, text, reply_to)
    assert await kit.rows("SELECT COUNT(*) FROM messages") == [(0,)]
    assert await head(kit, bob) == b0


async def test_text_up_to_the_limit_is_accepted(kit: Kit, trio: tuple[Caller, ...]) -> None:
    alice, bob, _ = trio
    conversation = await direct(kit, alice, bob)
    text = "é" * 8192  # 16 KiB of UTF-8
    ack = await kit.chats.send(alice, conversation, "big", text)
    assert (await history(kit, bob, conversation))[0].text == text == ack.message.text


async def test_history_pages(kit: Kit, trio: tuple[Caller, ...]) -> None:
    alice, bob, _ = trio
    conversation = await direct(kit, alice, bob)
    for n in range(1, 8):
        await kit.chats.send(alice, conversation, f"m{n}", f"text {n}")
    newest = await kit.chats.history(bob, conversation, None, None, 3)
    assert ([m.seq for m in newest["messages"]], newest["has_more"]) == ([5, 6, 7], True)
    older = await kit.chats.history(bob, conversation, 5, None, 3)
    assert ([m.seq for m in older["messages"]], older["has_more"]) == ([2, 3, 4], True)
    oldest = await kit.chats.history(bob, conversation, 2, None, 3)
    assert ([m.seq for m in oldest["messages"]], oldest["has_more"]) == ([1], False)
    later = await kit.chats.history(bob, conversation, None, 4, 2)
    assert ([m.seq for m in later["messages"]], later["has_more"]) == ([5, 6], True)
    for before, after, limit in ((3, 1, 10), (None, None, 0), (None, None, 201), (-1, None, 10), (None, 2**62, 10)):
        with pytest.raises(Invalid):
            await kit.chats.history(bob, conversation, before, after, limit)


async def test_each_conversation_has_its_own_seq_and_one_order(kit: Kit, trio: tuple[Caller, ...]) -> None:
    alice, bob, carol = trio
    ab = await direct(kit, alice, bob)
    ac = await direct(kit, alice, carol)
    sends = []
    for n in range(30):
        sends.append(kit.chats.send(alice if n % 2 else bob, ab, f"ab{n}", f"ab {n}"))
        sends.append(kit.chats.send(alice if n % 3 else carol, ac, f"ac{n}", f"ac {n}"))
    acks = await asyncio.gather(*sends)
    assert sorted(a.message.seq for a in acks if a.message.conversation_id == ab) == list(range(1, 31))
    assert sorted(a.message.seq for a in acks if a.message.conversation_id == ac) == list(range(1, 31))
    # the messages of one sender are stored in the order send was called (on SQLite, with its one
    # writer, every message is; on PostgreSQL, different senders' writes run side by side)
    stored = await texts(kit, alice, ab)
    for sender_parity in (0, 1):  # bob sent the even ones, alice the odd ones
        mine = [f"ab {n}" for n in range(30) if n % 2 == sender_parity]
        assert [t for t in stored if t in mine] == mine
    if kit.backend == "sqlite":
        assert stored == [f"ab {n}" for n in range(30)]
    # everyone sees the same order, in history and in their logs
    assert await texts(kit, bob, ab) == await texts(kit, alice, ab)
    assert await logged_texts(kit, bob, ab) == await logged_texts(kit, alice, ab) == await texts(kit, bob, ab)


# -- quotes ----------------------------------------------------------------------------------


async def test_a_reply_quotes_the_start_of_the_message(kit: Kit, trio: tuple[Caller, ...]) -> None:
    alice, bob, _ = trio
    conversation = await direct(kit, alice, bob)
    await kit.chats.send(alice, conversation, "m1", "x" * 300)
    ack = await kit.chats.send(bob, conversation, "m2", "agreed", reply_to=1)
    quote = ack.message.reply_to
    assert (quote.seq, quote.sender_id, quote.text) == (1, alice.user_id, "x" * 200)
    [_, stored] = await history(kit, alice, conversation)
    assert stored.reply_to == quote


async def test_quoting_is_refused_for_what_cannot_be_quoted(kit: Kit, trio: tuple[Caller, ...]) -> None:
    alice, bob, carol = trio
    conversation = await group(kit, alice, bob)
    await kit.chats.send(alice, conversation, "m2", "before carol")
    await kit.friends(alice, carol)
    await kit.chats.add_members(alice, conversation, [carol.user_id])
    await kit.chats.send(bob, conversation, "m4", "recall me")
    await kit.chats.recall(bob, conversation, 4)
    # 1: created notice, 2: before carol, 3: carol added, 4: recalled
    cases = [(carol, 2, NotFound), (carol, 1, NotFound), (alice, 1, NotFound), (alice, 99, NotFound)]
    cases.append((alice, 4, Conflict))
    for n, (who, seq, error) in enumerate(cases):
        with pytest.raises(error):
            await kit.chats.send(who, conversation, f"q{n}", "quoting", reply_to=seq)
    assert await texts(kit, alice, conversation) == ["before carol", ""]
    # a member may quote what they can see
    await kit.chats.send(bob, conversation, "m5", "hello carol")
    ack = await kit.chats.send(carol, conversation, "ok", "hi bob", reply_to=5)
    assert (ack.message.reply_to.sender_id, ack.message.reply_to.text) == (bob.user_id, "hello carol")


async def test_a_quote_clears_when_the_quoted_message_is_recalled(kit: Kit, trio: tuple[Caller, ...]) -> None:
    alice, bob, _ = trio
    conversation = await direct(kit, alice, bob)
    await kit.chats.send(alice, conversation, "m1", "regrettable")
    await kit.chats.send(bob, conversation, "m2", "what?", reply_to=1)
    await kit.chats.recall(alice, conversation, 1)

    for who in (alice, bob):
        [original, reply] = await history(kit, who, conversation)
        assert (original.recalled, original.text) == (True, "")
        assert (reply.reply_to.seq, reply.reply_to.sender_id, reply.reply_to.text) == (1, alice.user_id, None)
        # events read from the store carry the message as it is now
        quoted = [e["data"]["reply_to"] for e in await logged(kit, who, conversation) if e["data"].get("seq") == 2]
        assert quoted == [{"seq": 1, "sender_id": alice.user_id, "text": None}]
    assert "regrettable" not in str(await kit.rows("SELECT * FROM messages"))


# -- recall ----------------------------------------------------------------------------------


async def test_recall_works_only_within_the_window(kit: Kit, trio: tuple[Caller, ...]) -> None:
    alice, bob, _ = trio
    conversation = await direct(kit, alice, bob)
    await kit.chats.send(alice, conversation, "m1", "quick")
    kit.clock.advance(119)
    assert (await kit.chats.recall(alice, conversation, 1)).recalled

    await kit.chats.send(alice, conversation, "m2", "too late")
    kit.clock.advance(121)
    b0 = await head(kit, bob)
    with pytest.raises(Forbidden) as caught:
        await kit.chats.recall(alice, conversation, 2)
    assert caught.value.code == "recall_expired"
    assert await texts(kit, bob, conversation) == ["", "too late"]
    assert await head(kit, bob) == b0


async def test_only_the_sender_recalls(kit: Kit, trio: tuple[Caller, ...]) -> None:
    alice, bob, carol = trio
    conversation = await direct(kit, alice, bob)
    await kit.chats.send(alice, conversation, "m1", "mine")
    with pytest.raises(Forbidden) as caught:
        await kit.chats.recall(bob, conversation, 1)
    assert caught.value.code == "not_sender"
    for who, seq in ((carol, 1), (alice, 2)):
        with pytest.raises(NotFound):
            await kit.chats.recall(who, conversation, seq)
    assert await texts(kit, bob, conversation) == ["mine"]


async def test_a_recall_erases_the_text_and_tells_the_audience(kit: Kit, trio: tuple[Caller, ...]) -> None:
    alice, bob, _ = trio
    conversation = await direct(kit, alice, bob)
    ack = await kit.chats.send(alice, conversation, "m1", "secret plans")
    recalled = await kit.chats.recall(alice, conversation, 1)
    assert (recalled.recalled, recalled.text) == (True, "")
    assert await kit.rows("SELECT body FROM messages WHERE id = ?", ack.message.id) == [("",)]
    for who in (alice, bob):
        events = await logged(kit, who, conversation)
        assert events[-1]["type"] == "message.recalled"
        assert events[-1]["data"] == {"conversation_id": conversation, "seq": 1, "message_id": ack.message.id}
        [message] = [e for e in events if e["type"] == "message"]
        assert (message["data"]["recalled"], message["data"]["text"]) == (True, "")
    # recalling again changes nothing and tells nobody
    b0 = await head(kit, bob)
    assert (await kit.chats.recall(alice, conversation, 1)).recalled
    assert await head(kit, bob) == b0


async def test_delete_for_me_hides_a_message_from_one_member_only(kit: Kit, trio: tuple[Caller, ...]) -> None:
    alice, bob, carol = trio
    club = await group(kit, alice, bob, carol)
    first = (await kit.chats.send(bob, club, "b1", "an embarrassing typo")).message
    await kit.chats.send(bob, club, "b2", "the needle in the haystack")
    last = (await kit.chats.send(bob, club, "b3", "and the last word")).message
    assert (await kit.chats.conversation(alice, club)).unread == 3
    a0 = await head(kit, alice)

    shown = await kit.chats.hide(alice, club, last.seq)
    assert (shown.last_message.text, shown.unread) == ("the needle in the haystack", 2)
    [event] = await kit.events(alice, a0)
    assert (event["type"], event["data"]) == (
        "message.hidden",
        {"conversation_id": club, "seq": last.seq, "message_id": last.id},
    )
    await kit.chats.hide(alice, club, first.seq)
    await kit.chats.hide(alice, club, first.seq)  # again: nothing more happens
    assert [e["type"] for e in await kit.events(alice, a0)] == ["message.hidden", "message.hidden"]
    assert [m.text for m in await history(kit, alice, club)] == ["", "the needle in the haystack"]  # the notice
    assert [c.last_message.text for c in await kit.chats.conversations(alice) if c.id == club] == [
        "the needle in the haystack"
    ]
    found = await kit.chats.search(alice, "typo", None, None)
    assert found["messages"] == []
    # nobody else's view changes, and they are not told
    assert [m.text for m in await history(kit, bob, club)][1:] == [
        "an embarrassing typo",
        "the needle in the haystack",
        "and the last word",
    ]
    assert (await kit.chats.conversation(carol, club)).unread == 3
    assert all(e["type"] != "message.hidden" for e in await kit.events(bob) + await kit.events(carol))
    # one's own message too; not one of a conversation one is not in, nor one that does not exist
    await kit.chats.hide(bob, club, last.seq)
    assert [m.text for m in await history(kit, bob, club)][-1] == "the needle in the haystack"
    stranger = await kit.user()
    with pytest.raises(NotFound):
        await kit.chats.hide(stranger, club, last.seq)
    for seq in (0, last.seq + 1, 2**62):
        with pytest.raises(NotFound):
            await kit.chats.hide(alice, club, seq)


async def test_a_recall_reaches_only_those_who_saw_the_message(kit: Kit, trio: tuple[Caller, ...]) -> None:
    alice, bob, carol = trio
    conversation = await group(kit, alice, bob)
    await kit.chats.send(alice, conversation, "m1", "before carol joined")
    await kit.friends(alice, carol)
    await kit.chats.add_members(alice, conversation, [carol.user_id])
    c0 = await head(kit, carol)
    await kit.chats.recall(alice, conversation, 2)
    assert await head(kit, carol) == c0, "carol never saw the message, so she hears nothing of its recall"
    assert [e["type"] for e in await logged(kit, bob, conversation)][-1] == "message.recalled"


# -- blocks and friendships ------------------------------------------------------------------


async def test_a_blocked_senders_messages_reach_only_the_sender(kit: Kit, trio: tuple[Caller, ...]) -> None:
    alice, bob, _ = trio
    conversation = await direct(kit, alice, bob)
    await kit.chats.send(alice, conversation, "m1", "before the block")
    await kit.contacts.block(bob, alice.user_id)
    b0 = await head(kit, bob)

    ack = await kit.chats.send(alice, conversation, "m2", "are you there?")
    assert not ack.duplicate  # to the sender, it looks sent
    assert await texts(kit, alice, conversation) == ["before the block", "are you there?"]
    assert await logged_texts(kit, alice, conversation) == ["before the block", "are you there?"]

    assert await head(kit, bob) == b0
    assert await texts(kit, bob, conversation) == ["before the block"]
    assert await unread(kit, bob, conversation) == 1
    assert (await kit.chats.conversation(bob, conversation)).last_message.text == "before the block"
    # recalling it tells the sender only
    await kit.chats.recall(alice, conversation, ack.message.seq)
    assert await head(kit, bob) == b0
    # nor, once he unblocks, can bob quote or recall what he never received
    await kit.contacts.unblock(bob, alice.user_id)
    with pytest.raises(NotFound):
        await kit.chats.recall(bob, conversation, ack.message.seq)
    assert await texts(kit, bob, conversation) == ["before the block"]
    with pytest.raises(NotFound):
        await kit.chats.send(bob, conversation, "q", "quoting", reply_to=ack.message.seq)


async def test_the_blocker_cannot_send(kit: Kit, trio: tuple[Caller, ...]) -> None:
    alice, bob, _ = trio
    conversation = await direct(kit, alice, bob)
    await kit.contacts.block(bob, alice.user_id)
    with pytest.raises(Forbidden) as caught:
        await kit.chats.send(bob, conversation, "m1", "hi")
    assert caught.value.code == "blocked_by_you"
    await kit.contacts.unblock(bob, alice.user_id)
    await kit.chats.send(bob, conversation, "m1", "hi")
    await kit.chats.send(alice, conversation, "m2", "hello again")
    assert await texts(kit, bob, conversation) == ["hi", "hello again"]


async def test_after_unfriending_the_old_chat_is_read_only(kit: Kit, trio: tuple[Caller, ...]) -> None:
    alice, bob, _ = trio
    conversation = await direct(kit, alice, bob)
    await kit.chats.send(alice, conversation, "m1", "we were friends")
    await kit.contacts.remove_friend(alice, bob.user_id)
    for me in (alice, bob):
        with pytest.raises(Forbidden) as caught:
            await kit.chats.send(me, conversation, f"late{me.user_id}", "still there?")
        assert caught.value.code == "not_friends"
        assert await texts(kit, me, conversation) == ["we were friends"]
    assert (await kit.chats.open_direct(bob, alice.user_id)).id == conversation


# -- groups ----------------------------------------------------------------------------------


async def test_a_group_is_made_of_friends(kit: Kit, trio: tuple[Caller, ...]) -> None:
    alice, bob, carol = trio
    await kit.friends(alice, bob)
    with pytest.raises(Forbidden) as caught:
        await kit.chats.create_group(alice, "g", [bob.user_id, carol.user_id])
    assert (caught.value.code, caught.value.fields["user_ids"]) == ("not_friends", [carol.user_id])
    with pytest.raises(Invalid):
        await kit.chats.create_group(alice, "alone", [alice.user_id])
    assert await kit.rows("SELECT COUNT(*) FROM conversations WHERE kind = 'group'") == [(0,)]

    created = await kit.chats.create_group(alice, "  Friends ", [bob.user_id, bob.user_id])
    assert (created.kind, created.name, created.owner_id, created.member_count) == (
        "group",
        "Friends",
        alice.user_id,
        2,
    )
    for who in (alice, bob):
        events = await logged(kit, who, created.id)
        assert [e["type"] for e in events] == ["conversation.joined", "message"]
        assert events[1]["data"]["system"]["action"] == "created"


@pytest.fixture
async def small_groups(make_kit: Callable[..., Awaitable[Kit]]) -> Kit:
    return await make_kit(max_group_members=4)


async def test_the_chat_list_names_a_groups_last_sender_even_a_stranger(kit: Kit, trio: tuple[Caller, ...]) -> None:
    alice, bob, carol = trio  # bob is friends with both; alice and carol are strangers
    await kit.friends(bob, alice)
    await kit.friends(bob, carol)
    club = (await kit.chats.create_group(bob, "club", [alice.user_id, carol.user_id])).id

    def listed(chats: list[Any]) -> Any:
        return next(c for c in chats if c.id == club)

    assert listed(await kit.chats.conversations(alice)).last_sender is None  # bob's notice: no sender
    await kit.chats.send(carol, club, "c1", "hello all")
    shown = listed(await kit.chats.conversations(alice))
    assert shown.last_message.text == "hello all"
    assert shown.last_sender.id == carol.user_id and shown.last_sender.handle
    assert (await kit.chats.conversation(alice, club)).last_sender == shown.last_sender
    assert listed(await kit.chats.conversations(carol)).last_sender is None  # her own: nothing to name
    await kit.chats.send(alice, club, "a1", "hi carol")
    assert listed(await kit.chats.conversations(alice)).last_sender is None
    assert listed(await kit.chats.conversations(carol)).last_sender.id == alice.user_id
    # a direct chat's last sender is its peer, already named
    assert all(c.last_sender is None for c in await kit.chats.conversations(bob) if c.kind == "direct")


async def test_a_group_has_a_member_cap(small_groups: Kit) -> None:
    kit = small_groups
    owner = await kit.user("owner")
    friends = [await kit.user(f"pal{i}") for i in range(5)]
    for f in friends:
        await kit.friends(owner, f)
    with pytest.raises(Conflict) as caught:
        await kit.chats.create_group(owner, "five", [f.user_id for f in friends[:4]])
    assert caught.value.code == "group_full"

    conversation = (await kit.chats.create_group(owner, "three", [f.user_id for f in friends[:2]])).id
    # naming a member again alongside a newcomer only adds the newcomer: the group is then full
    added = await kit.chats.add_members(owner, conversation, [friends[0].user_id, friends[2].user_id])
    assert added.member_count == 4
    with pytest.raises(Conflict) as caught:
        await kit.chats.add_members(owner, conversation, [friends[3].user_id])
    assert caught.value.code == "group_full"
    with pytest.raises(Conflict) as caught:
        await kit.chats.add_members(owner, conversation, [friends[1].user_id])
    assert caught.value.code == "already_members"
    assert (await kit.chats.conversation(owner, conversation)).member_count == 4


async def test_new_members_see_only_what_came_after_they_joined(kit: Kit, trio: tuple[Caller, ...]) -> None:
    alice, bob, carol = trio
    conversation = await group(kit, alice, bob)
    await kit.chats.send(alice, conversation, "m1", "before carol")
    await kit.chats.send(bob, conversation, "m2", "also before")
    await kit.friends(alice, carol)
    c0 = await head(kit, carol)
    await kit.chats.add_members(alice, conversation, [carol.user_id])
    await kit.chats.send(bob, conversation, "m3", "welcome carol")

    assert await texts(kit, carol, conversation) == ["welcome carol"]
    assert [n["action"] for n in await notices(kit, carol, conversation)] == ["members_added"]
    assert await logged_texts(kit, carol, conversation, c0) == ["welcome carol"]
    assert await unread(kit, carol, conversation) == 1
    page = await kit.chats.history(carol, conversation, None, 0, 50)
    assert [m.text for m in page["messages"] if m.kind == "text"] == ["welcome carol"]
    # 1 created, 2 and 3 before carol, 4 carol added, 5 welcome
    page = await kit.chats.history(carol, conversation, 5, None, 50)
    assert ([m.seq for m in page["messages"]], page["has_more"]) == ([4], False)
    page = await kit.chats.history(carol, conversation, 4, None, 50)
    assert (page["messages"], page["has_more"]) == ([], False)
    assert await texts(kit, alice, conversation) == ["before carol", "also before", "welcome carol"]


async def test_every_group_change_leaves_a_system_notice(kit: Kit, trio: tuple[Caller, ...]) -> None:
    alice, bob, carol = trio
    dave = await kit.user("dave")
    conversation = await group(kit, alice, bob, name="first")
    await kit.friends(alice, carol)
    await kit.friends(alice, dave)
    await kit.chats.add_members(alice, conversation, [carol.user_id, dave.user_id])
    await kit.chats.update_group(bob, conversation, name="second")
    await kit.chats.update_group(alice, conversation, owner_only_adds=True)
    await kit.chats.remove_member(alice, conversation, dave.user_id)
    await kit.chats.update_group(alice, conversation, owner_id=bob.user_id)
    await kit.chats.leave(carol, conversation)

    seen = await notices(kit, bob, conversation)
    assert [n["action"] for n in seen] == [
        "created",
        "members_added",
        "renamed",
        "settings_changed",
        "member_removed",
        "owner_changed",
        "member_left",
    ]
    created, added, renamed, settings, removed, owner, left = seen
    assert created["actor"]["id"] == alice.user_id
    assert [u["id"] for u in created["users"]] == [bob.user_id] and created["name"] == "first"
    assert [u["id"] for u in added["users"]] == [carol.user_id, dave.user_id]
    assert (renamed["actor"]["id"], renamed["name"]) == (bob.user_id, "second")
    assert settings["owner_only_adds"] is True
    assert (removed["actor"]["id"], [u["id"] for u in removed["users"]]) == (alice.user_id, [dave.user_id])
    assert owner["owner"]["id"] == bob.user_id
    assert left["actor"]["id"] == carol.user_id
    for message in await history(kit, bob, conversation):
        assert (message.kind, message.sender_id, message.text) == ("system", None, "")
    # a change that changes nothing leaves no notice
    await kit.chats.update_group(bob, conversation, name="second")
    assert len(await notices(kit, bob, conversation)) == 7


async def test_owner_only_adds(kit: Kit, trio: tuple[Caller, ...]) -> None:
    alice, bob, carol = trio
    dave = await kit.user("dave")
    conversation = await group(kit, alice, bob)
    await kit.friends(bob, carol)
    await kit.friends(bob, dave)
    await kit.chats.add_members(bob, conversation, [carol.user_id])  # any member may add, by default

    with pytest.raises(Forbidden) as caught:
        await kit.chats.update_group(bob, conversation, owner_only_adds=True)
    assert caught.value.code == "not_owner"
    view = await kit.chats.update_group(alice, conversation, owner_only_adds=True)
    assert view.owner_only_adds
    with pytest.raises(Forbidden) as caught:
        await kit.chats.add_members(bob, conversation, [dave.user_id])
    assert caught.value.code == "not_owner"
    # and only friends of the one adding
    with pytest.raises(Forbidden) as caught:
        await kit.chats.add_members(alice, conversation, [dave.user_id])
    assert caught.value.code == "not_friends"
    assert (await kit.chats.conversation(alice, conversation)).member_count == 3


async def test_removing_a_member(kit: Kit, trio: tuple[Caller, ...]) -> None:
    alice, bob, carol = trio
    conversation = await group(kit, alice, bob, carol)
    with pytest.raises(Forbidden):
        await kit.chats.remove_member(bob, conversation, carol.user_id)
    with pytest.raises(Invalid):
        await kit.chats.remove_member(alice, conversation, alice.user_id)
    await kit.chats.remove_member(alice, conversation, carol.user_id)
    with pytest.raises(NotFound):
        await kit.chats.remove_member(alice, conversation, carol.user_id)

    left = (await kit.events(carol))[-1]
    assert (left["type"], left["data"]) == ("conversation.left", {"conversation_id": conversation, "reason": "removed"})
    c0 = await head(kit, carol)
    await kit.chats.send(alice, conversation, "m1", "carol is gone")
    await kit.chats.update_group(bob, conversation, name="two of us")
    await kit.chats.recall(alice, conversation, 3)
    assert await head(kit, carol) == c0, "a removed member's log stops at their removal"
    with pytest.raises(NotFound):
        await kit.chats.history(carol, conversation, None, None, None)
    with pytest.raises(NotFound):
        await kit.chats.send(carol, conversation, "c1", "let me back")
    assert conversation not in [c.id for c in await kit.chats.conversations(carol)]  # her chat with alice stays
    assert [m.user.id for m in await kit.chats.members(alice, conversation)] == [alice.user_id, bob.user_id]


async def test_leaving_a_group(kit: Kit, trio: tuple[Caller, ...]) -> None:
    alice, bob, carol = trio
    conversation = await group(kit, alice, bob, carol)
    b0 = await head(kit, bob)
    await kit.chats.leave(bob, conversation)
    assert (await kit.events(bob, b0))[0]["data"] == {"conversation_id": conversation, "reason": "left"}
    assert await head(kit, bob) == b0 + 1
    assert (await notices(kit, alice, conversation))[-1]["action"] == "member_left"
    with pytest.raises(NotFound):
        await kit.chats.leave(bob, conversation)
    direct_id = await direct(kit, bob, carol)
    with pytest.raises(Invalid) as caught:
        await kit.chats.leave(bob, direct_id)
    assert caught.value.code == "not_a_group"


async def test_an_owner_who_leaves_hands_over_to_the_longest_standing_member(kit: Kit) -> None:
    # carol signs up before bob (a lower id) but joins the group after him
    alice, carol, bob, dave = [await kit.user(h) for h in ("alice", "carol", "bob", "dave")]
    conversation = await group(kit, alice, bob)
    await kit.friends(alice, carol)
    await kit.friends(alice, dave)
    await kit.chats.send(bob, conversation, "m1", "hi")
    await kit.chats.add_members(alice, conversation, [dave.user_id, carol.user_id])

    await kit.chats.leave(alice, conversation)
    view = await kit.chats.conversation(bob, conversation)
    assert view.owner_id == bob.user_id
    left = (await notices(kit, bob, conversation))[-1]
    assert (left["action"], left["actor"]["id"], left["owner"]["id"]) == ("member_left", alice.user_id, bob.user_id)
    roles = {m.user.id: m.role for m in await kit.chats.members(carol, conversation)}
    assert roles == {bob.user_id: "owner", carol.user_id: "member", dave.user_id: "member"}
    await kit.chats.update_group(bob, conversation, owner_only_adds=True)  # bob has the owner's powers


async def test_transferring_ownership(kit: Kit, trio: tuple[Caller, ...]) -> None:
    alice, bob, carol = trio
    conversation = await group(kit, alice, bob)
    for bad in (0, -1, 2**63, 2**70):
        with pytest.raises(Invalid) as caught:
            await kit.chats.update_group(alice, conversation, owner_id=bad)
        assert caught.value.fields["field"] == "owner_id"
    with pytest.raises(NotFound) as caught:
        await kit.chats.update_group(alice, conversation, owner_id=carol.user_id)
    assert caught.value.code == "not_a_member"
    with pytest.raises(Forbidden):
        await kit.chats.update_group(bob, conversation, owner_id=bob.user_id)

    view = await kit.chats.update_group(alice, conversation, owner_id=bob.user_id)
    assert view.owner_id == bob.user_id
    with pytest.raises(Forbidden):
        await kit.chats.update_group(alice, conversation, owner_only_adds=True)
    with pytest.raises(Forbidden):
        await kit.chats.remove_member(alice, conversation, bob.user_id)
    await kit.chats.remove_member(bob, conversation, alice.user_id)
    assert [m.user.id for m in await kit.chats.members(bob, conversation)] == [bob.user_id]


async def test_group_verbs_do_not_apply_to_direct_chats(kit: Kit, trio: tuple[Caller, ...]) -> None:
    alice, bob, carol = trio
    conversation = await direct(kit, alice, bob)
    await kit.friends(alice, carol)
    for attempt in (
        kit.chats.add_members(alice, conversation, [carol.user_id]),
        kit.chats.remove_member(alice, conversation, bob.user_id),
        kit.chats.update_group(alice, conversation, name="ours"),
    ):
        with pytest.raises(Invalid) as caught:
            await attempt
        assert caught.value.code == "not_a_group"
    assert (await kit.chats.conversation(alice, conversation)).member_count == 2


# -- reading state ---------------------------------------------------------------------------


async def test_unread_counts_messages_from_others_after_the_read_position(kit: Kit, trio: tuple[Caller, ...]) -> None:
    alice, bob, carol = trio
    conversation = await group(kit, alice, bob, carol)
    assert await unread(kit, bob, conversation) == 0  # the "created" notice does not count
    await kit.chats.send(alice, conversation, "a1", "one")
    await kit.chats.send(carol, conversation, "c1", "two")
    await kit.chats.send(alice, conversation, "a2", "three")
    await kit.chats.update_group(alice, conversation, name="renamed")  # a notice: not counted
    assert await unread(kit, bob, conversation) == 3
    assert await unread(kit, alice, conversation) == 0  # sending marked everything before as read
    await kit.chats.recall(alice, conversation, 4)
    assert await unread(kit, bob, conversation) == 2
    # carol's send moved her position to seq 3; after it only a recalled message and a notice
    assert await unread(kit, carol, conversation) == 0

    await kit.chats.mark_read(bob, conversation, 3)
    assert await unread(kit, bob, conversation) == 0
    await kit.chats.send(carol, conversation, "c2", "four")
    assert await unread(kit, bob, conversation) == 1
    # bob replying marks it read
    await kit.chats.send(bob, conversation, "b1", "five")
    assert await unread(kit, bob, conversation) == 0


async def test_a_read_position_only_moves_forward_and_only_the_reader_hears_of_it(
    kit: Kit, trio: tuple[Caller, ...]
) -> None:
    alice, bob, _ = trio
    conversation = await direct(kit, alice, bob)
    for n in range(4):
        await kit.chats.send(alice, conversation, f"m{n}", f"text {n}")
    a0, b0 = await head(kit, alice), await head(kit, bob)

    assert await kit.chats.mark_read(bob, conversation, 3) == 3
    assert await kit.chats.mark_read(bob, conversation, 1) == 3
    assert await kit.chats.mark_read(bob, conversation, 3) == 3
    assert await kit.chats.mark_read(bob, conversation, 999) == 4  # no further than the last message
    events = await kit.events(bob, b0)
    assert [(e["type"], e["data"]["read_seq"]) for e in events] == [("conversation.read", 3), ("conversation.read", 4)]
    assert await head(kit, alice) == a0, "read positions are never shown to others"
    assert (await kit.chats.conversation(bob, conversation)).read_seq == 4
    with pytest.raises(Invalid):
        await kit.chats.mark_read(bob, conversation, -1)


async def test_mute_and_pin_are_private(kit: Kit, trio: tuple[Caller, ...]) -> None:
    alice, bob, _ = trio
    conversation = await direct(kit, alice, bob)
    a0 = await head(kit, alice)
    view = await kit.chats.set_prefs(bob, conversation, muted=True, pinned=None)
    assert (view.muted, view.pinned) == (True, False)
    view = await kit.chats.set_prefs(bob, conversation, muted=None, pinned=True)
    assert (view.muted, view.pinned) == (True, True)
    last = (await kit.events(bob))[-1]
    assert (last["type"], last["data"]) == (
        "conversation.prefs",
        {"conversation_id": conversation, "muted": True, "pinned": True},
    )
    assert await head(kit, alice) == a0
    mine = await kit.chats.conversation(alice, conversation)
    assert (mine.muted, mine.pinned) == (False, False)
    with pytest.raises(Invalid):
        await kit.chats.set_prefs(bob, conversation, muted=None, pinned=None)


async def test_the_conversation_list_puts_pinned_first_then_latest_activity(kit: Kit, trio: tuple[Caller, ...]) -> None:
    alice, bob, carol = trio
    dave = await kit.user("dave")
    with_bob = await direct(kit, alice, bob)
    kit.clock.advance(1)
    with_carol = await direct(kit, alice, carol)
    kit.clock.advance(1)
    crowd = await group(kit, alice, bob, carol, name="crowd")
    kit.clock.advance(1)
    with_dave = await direct(kit, alice, dave)

    async def order() -> list[int]:
        return [c.id for c in await kit.chats.conversations(alice)]

    assert await order() == [with_dave, crowd, with_carol, with_bob]
    kit.clock.advance(1)
    await kit.chats.send(bob, with_bob, "m1", "bump")
    assert await order() == [with_bob, with_dave, crowd, with_carol]
    await kit.chats.set_prefs(alice, with_carol, muted=None, pinned=True)
    kit.clock.advance(1)
    await kit.chats.update_group(carol, crowd, name="louder")
    assert await order() == [with_carol, crowd, with_bob, with_dave]
    # pinning is alice's own: bob's list is ordered by activity alone
    assert [c.id for c in await kit.chats.conversations(bob)] == [crowd, with_bob]


# -- blocks reach groups ---------------------------------------------------------------------


async def refused(call: Awaitable[object]) -> tuple[str, str, dict]:
    with pytest.raises(Forbidden) as caught:
        await call
    return caught.value.code, caught.value.message, caught.value.fields


async def test_someone_who_blocked_you_cannot_be_added_to_a_group(kit: Kit, trio: tuple[Caller, ...]) -> None:
    alice, bob, carol = trio
    stranger = await kit.user("stranger")
    await kit.friends(alice, bob)
    await kit.friends(alice, carol)
    await kit.contacts.block(bob, alice.user_id)
    # refused at creation, word for word as for someone who is not a friend: alice learns nothing of the block
    as_stranger = await refused(kit.chats.create_group(alice, "g", [stranger.user_id]))
    assert await refused(kit.chats.create_group(alice, "g", [bob.user_id])) == (
        as_stranger[0],
        as_stranger[1],
        {"user_ids": [bob.user_id]},
    )
    assert (await refused(kit.chats.create_group(alice, "g", [carol.user_id, bob.user_id])))[2] == {
        "user_ids": [bob.user_id]
    }
    assert await kit.rows("SELECT COUNT(*) FROM conversations WHERE kind = 'group'") == [(0,)]
    # and later
    group = await kit.chats.create_group(alice, "g", [carol.user_id])
    b0 = await head(kit, bob)
    assert (await refused(kit.chats.add_members(alice, group.id, [bob.user_id])))[:2] == as_stranger[:2]
    assert await head(kit, bob) == b0
    assert [m.user.id for m in await kit.chats.members(alice, group.id)] == [alice.user_id, carol.user_id]
    # once bob lifts the block, alice can add him again
    await kit.contacts.unblock(bob, alice.user_id)
    await kit.chats.add_members(alice, group.id, [bob.user_id])
    assert (await kit.chats.conversation(alice, group.id)).member_count == 3


async def test_groups_you_already_share_stay_as_they_are(kit: Kit, trio: tuple[Caller, ...]) -> None:
    alice, bob, carol = trio
    await kit.friends(alice, bob)
    await kit.friends(alice, carol)
    await kit.friends(carol, bob)
    group = await kit.chats.create_group(alice, "shared", [bob.user_id, carol.user_id])
    await kit.contacts.block(bob, alice.user_id)
    # as in WeChat, the shared group goes on: both still read each other there
    await kit.chats.send(alice, group.id, "a1", "still here")
    await kit.chats.send(bob, group.id, "b1", "me too")
    for who in (alice, bob, carol):
        assert await texts(kit, who, group.id) == ["still here", "me too"]
    # and someone else may still bring the two together in a group of theirs
    other = await kit.chats.create_group(carol, "carol's", [alice.user_id, bob.user_id])
    assert other.member_count == 3


async def test_you_cannot_add_someone_you_blocked(kit: Kit, trio: tuple[Caller, ...]) -> None:
    alice, bob, carol = trio
    await kit.friends(alice, bob)
    await kit.friends(alice, carol)
    await kit.contacts.block(alice, bob.user_id)
    assert await refused(kit.chats.create_group(alice, "g", [bob.user_id, carol.user_id])) == (
        "blocked_by_you",
        "you have blocked them; unblock them to add them",
        {"user_ids": [bob.user_id]},
    )
    group = await kit.chats.create_group(alice, "g", [carol.user_id])
    assert (await refused(kit.chats.add_members(alice, group.id, [bob.user_id])))[0] == "blocked_by_you"
