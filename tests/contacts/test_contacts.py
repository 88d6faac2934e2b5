"""Friends by mutual consent: requests and their state machine, removal, remarks, blocks, the cap."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import pytest
from domain import Kit

from kith.accounts.models import Caller
from kith.errors import Conflict, Invalid, NotFound


def types(events: list[dict]) -> list[str]:
    return [e["type"] for e in events]


async def request_status(kit: Kit, request_id: int) -> str:
    [(status,)] = await kit.rows("SELECT status FROM friend_requests WHERE id = ?", request_id)
    return str(status)


async def friend_ids(kit: Kit, who: Caller) -> list[int]:
    return [f.user.id for f in await kit.contacts.friends(who)]


async def ask(kit: Kit, who: Caller, whom: Caller, greeting: str = "") -> dict:
    """A friend request by handle, as a stranger sends it."""
    return await kit.contacts.send_request(who, greeting=greeting, handle=await handle_of(kit, whom))


async def handle_of(kit: Kit, who: Caller) -> str:
    return (await kit.accounts.profile(who.user_id)).handle


async def heads(kit: Kit, *users: Caller) -> list[int]:
    return [await kit.sync.head(u.user_id) for u in users]


@pytest.fixture
async def people(kit: Kit) -> tuple[Caller, Caller, Caller]:
    return await kit.user("alice"), await kit.user("bob"), await kit.user("carol")


# -- requests --------------------------------------------------------------------------------


async def test_a_request_with_a_greeting_reaches_both_sides(kit: Kit, people: tuple[Caller, ...]) -> None:
    alice, bob, carol = people
    a0, b0, c0 = await heads(kit, alice, bob, carol)
    sent = await ask(kit, alice, bob, "  hi, it's Alice  ")
    request = sent["request"]
    assert sent["friend"] is None
    assert (request.greeting, request.status) == ("hi, it's Alice", "pending")
    assert (request.from_user.id, request.to_user.id) == (alice.user_id, bob.user_id)

    for who, since in ((alice, a0), (bob, b0)):
        [event] = await kit.events(who, since)
        assert event["type"] == "friend.request"
        assert event["data"]["request"]["id"] == request.id
        assert event["data"]["request"]["greeting"] == "hi, it's Alice"
    assert await heads(kit, carol) == [c0]

    assert [r.id for r in (await kit.contacts.requests(bob))["incoming"]] == [request.id]
    assert [r.id for r in (await kit.contacts.requests(alice))["outgoing"]] == [request.id]
    found = await kit.contacts.find(bob, "ALICE")
    assert (found.incoming_request_id, found.outgoing_request_id, found.is_friend) == (request.id, None, False)


async def test_asking_again_refreshes_the_one_pending_request(kit: Kit, people: tuple[Caller, ...]) -> None:
    alice, bob, _ = people
    first = await ask(kit, alice, bob, "hello")
    second = await ask(kit, alice, bob, "hello again")
    assert second["request"].id == first["request"].id
    [incoming] = (await kit.contacts.requests(bob))["incoming"]
    assert incoming.greeting == "hello again"


async def test_request_input_is_checked(kit: Kit, people: tuple[Caller, ...]) -> None:
    alice, bob, _ = people
    with pytest.raises(Invalid) as caught:
        await ask(kit, alice, alice)
    assert caught.value.code == "self_request"
    with pytest.raises(NotFound):
        await kit.contacts.send_request(alice, 999_999)
    with pytest.raises(NotFound) as caught:
        await kit.contacts.send_request(alice, handle="nobody_at_all")
    assert caught.value.code == "no_such_handle"
    for both_or_neither in ({}, {"user_id": bob.user_id, "handle": "bob"}):
        with pytest.raises(Invalid):
            await kit.contacts.send_request(alice, **both_or_neither)
    with pytest.raises(Invalid):
        await kit.contacts.send_request(alice, 0)
    with pytest.raises(Invalid):
        await ask(kit, alice, bob, "g" * 201)
    assert (await kit.contacts.requests(bob))["incoming"] == []


async def test_accepting_makes_both_friends(kit: Kit, people: tuple[Caller, ...]) -> None:
    alice, bob, _ = people
    request = (await ask(kit, alice, bob, "hi"))["request"]
    a0, b0 = await heads(kit, alice, bob)
    result = await kit.contacts.accept(bob, request.id)
    assert result["request"].status == "accepted"
    assert result["friend"].user.id == alice.user_id

    for me, other, since in ((alice, bob, a0), (bob, alice, b0)):
        event, joined, greeting, *read = await kit.events(me, since)
        assert event["type"] == "friend.added"
        assert event["data"]["friend"]["user"]["id"] == other.user_id
        assert event["data"]["request_id"] == request.id
        # their chat opens on both sides, in the same transaction, the greeting (alice's) its start
        assert (joined["type"], joined["data"]["conversation"]["id"]) == (
            "conversation.joined",
            result["conversation_id"],
        )
        assert (greeting["type"], greeting["data"]["text"], greeting["data"]["seq"]) == ("message", "hi", 1)
        assert greeting["data"]["sender_id"] == alice.user_id
        # bob read it in the request: it is not unread for him
        assert [(e["type"], e["data"]["read_seq"]) for e in read] == ([("conversation.read", 1)] if me == bob else [])
    assert await friend_ids(kit, alice) == [bob.user_id]
    for me in (alice, bob):
        [chat] = await kit.chats.conversations(me)
        assert (chat.id, chat.unread, chat.last_message and chat.last_message.text) == (
            result["conversation_id"],
            0,
            "hi",
        )
    assert await friend_ids(kit, bob) == [alice.user_id]
    assert (await kit.contacts.requests(bob))["incoming"] == []


async def test_asking_back_opens_the_chat_with_both_greetings_and_friends_again_reuse_it(
    kit: Kit, people: tuple[Caller, ...]
) -> None:
    alice, bob, carol = people
    await ask(kit, alice, bob, "hi Bob, it's Alice")
    result = await ask(kit, bob, alice, "hello Alice!")  # asking back accepts, his greeting too
    assert result["request"].status == "accepted"
    chat = result["conversation_id"]
    said = [(m.sender_id, m.text) for m in (await kit.chats.history(bob, chat, None, None, None))["messages"]]
    assert said == [(alice.user_id, "hi Bob, it's Alice"), (bob.user_id, "hello Alice!")]
    assert [(c.id, c.unread) for c in await kit.chats.conversations(alice)] == [(chat, 1)]  # bob's, for her
    assert [(c.id, c.unread) for c in await kit.chats.conversations(bob)] == [(chat, 0)]

    # no greeting: the chat opens empty, on top of both lists
    accepted = await kit.contacts.accept(carol, (await ask(kit, alice, carol))["request"].id)
    for me in (alice, carol):
        first = (await kit.chats.conversations(me))[0]
        assert (first.id, first.last_message, first.unread) == (accepted["conversation_id"], None, 0)

    # friends again after a removal: the same chat, the new greeting added to it
    await kit.contacts.remove_friend(bob, alice.user_id)
    again = await kit.contacts.accept(alice, (await ask(kit, bob, alice, "friends again?"))["request"].id)
    assert again["conversation_id"] == chat
    assert [m.text for m in (await kit.chats.history(alice, chat, None, None, None))["messages"]][
        -1
    ] == "friends again?"
    assert await kit.rows("SELECT COUNT(*) FROM conversations WHERE kind = 'direct'") == [(2,)]


async def test_only_the_recipient_accepts_or_declines_and_only_the_sender_cancels(
    kit: Kit, people: tuple[Caller, ...]
) -> None:
    alice, bob, carol = people
    request = (await ask(kit, alice, bob))["request"]
    for wrong in (alice, carol):
        with pytest.raises(NotFound):
            await kit.contacts.accept(wrong, request.id)
        with pytest.raises(NotFound):
            await kit.contacts.decline(wrong, request.id)
    for wrong in (bob, carol):
        with pytest.raises(NotFound):
            await kit.contacts.cancel(wrong, request.id)
    with pytest.raises(NotFound):
        await kit.contacts.accept(bob, request.id + 100)
    assert await request_status(kit, request.id) == "pending"


async def test_a_decline_is_told_only_to_the_decliner(kit: Kit, people: tuple[Caller, ...]) -> None:
    alice, bob, _ = people
    request = (await ask(kit, alice, bob))["request"]
    a0, b0 = await heads(kit, alice, bob)
    declined = await kit.contacts.decline(bob, request.id)
    assert declined.status == "declined"
    assert await heads(kit, alice) == [a0]
    [event] = await kit.events(bob, b0)
    assert (event["type"], event["data"]["request"]["status"]) == ("friend.request", "declined")
    assert (await kit.contacts.requests(bob))["incoming"] == []


async def test_a_cancel_is_told_to_both(kit: Kit, people: tuple[Caller, ...]) -> None:
    alice, bob, _ = people
    request = (await ask(kit, alice, bob))["request"]
    a0, b0 = await heads(kit, alice, bob)
    assert (await kit.contacts.cancel(alice, request.id)).status == "cancelled"
    for who, since in ((alice, a0), (bob, b0)):
        [event] = await kit.events(who, since)
        assert event["data"]["request"]["status"] == "cancelled"
    assert (await kit.contacts.requests(bob))["incoming"] == []
    assert (await kit.contacts.requests(alice))["outgoing"] == []


@pytest.mark.parametrize("close", ["accept", "decline", "cancel"])
async def test_a_closed_request_cannot_be_acted_on_again(kit: Kit, people: tuple[Caller, ...], close: str) -> None:
    alice, bob, _ = people
    request = (await ask(kit, alice, bob))["request"]
    if close == "cancel":
        await kit.contacts.cancel(alice, request.id)
    else:
        await getattr(kit.contacts, close)(bob, request.id)
    status = await request_status(kit, request.id)
    a0, b0 = await heads(kit, alice, bob)
    for verb, who in (("accept", bob), ("decline", bob), ("cancel", alice)):
        with pytest.raises(Conflict) as caught:
            await getattr(kit.contacts, verb)(who, request.id)
        assert caught.value.code == "request_closed"
    assert await request_status(kit, request.id) == status
    assert await heads(kit, alice, bob) == [a0, b0]


async def test_asking_someone_who_already_asked_you_accepts_theirs(kit: Kit, people: tuple[Caller, ...]) -> None:
    alice, bob, _ = people
    theirs = (await ask(kit, alice, bob, "hi bob"))["request"]
    result = await ask(kit, bob, alice, "hi alice")
    assert result["request"].id == theirs.id
    assert result["request"].status == "accepted"
    assert result["friend"].user.id == alice.user_id
    assert await friend_ids(kit, alice) == [bob.user_id]
    assert "friend.added" in types(await kit.events(alice))
    assert (await kit.contacts.requests(alice))["outgoing"] == []


async def test_friends_cannot_ask_again(kit: Kit, people: tuple[Caller, ...]) -> None:
    alice, bob, _ = people
    await kit.friends(alice, bob)
    for me, other in ((alice, bob), (bob, alice)):
        with pytest.raises(Conflict) as caught:
            await ask(kit, me, other)
        assert caught.value.code == "already_friends"


# -- friends ---------------------------------------------------------------------------------


async def test_removing_a_friend_ends_it_on_both_sides(kit: Kit, people: tuple[Caller, ...]) -> None:
    alice, bob, carol = people
    await kit.friends(alice, bob)
    await kit.friends(alice, carol)
    a0, b0 = await heads(kit, alice, bob)
    await kit.contacts.remove_friend(bob, alice.user_id)

    assert await friend_ids(kit, alice) == [carol.user_id]
    assert await friend_ids(kit, bob) == []
    assert [(e["type"], e["data"]) for e in await kit.events(alice, a0)] == [
        ("friend.removed", {"user_id": bob.user_id})
    ]
    assert [(e["type"], e["data"]) for e in await kit.events(bob, b0)] == [
        ("friend.removed", {"user_id": alice.user_id})
    ]
    with pytest.raises(NotFound):
        await kit.contacts.remove_friend(bob, alice.user_id)
    # they may become friends again
    await kit.friends(bob, alice)
    assert await friend_ids(kit, bob) == [alice.user_id]


async def test_a_remark_is_private(kit: Kit, people: tuple[Caller, ...]) -> None:
    alice, bob, carol = people
    await kit.friends(alice, bob)
    b0 = await kit.sync.head(bob.user_id)
    friend = await kit.contacts.set_remark(alice, bob.user_id, "  Bobby from work ")
    assert friend.remark == "Bobby from work"

    last = (await kit.events(alice))[-1]
    assert (last["type"], last["data"]["friend"]["remark"]) == ("friend.updated", "Bobby from work")
    assert await kit.sync.head(bob.user_id) == b0
    assert [f.remark for f in await kit.contacts.friends(alice)] == ["Bobby from work"]
    assert [f.remark for f in await kit.contacts.friends(bob)] == [""]
    with pytest.raises(NotFound):
        await kit.contacts.set_remark(alice, carol.user_id, "not a friend")


# -- blocks ----------------------------------------------------------------------------------


async def test_a_blocked_users_requests_are_silenced(kit: Kit, people: tuple[Caller, ...]) -> None:
    alice, bob, _ = people
    await kit.contacts.block(alice, handle="bob")
    a0 = await kit.sync.head(alice.user_id)

    sent = await ask(kit, bob, alice, "please?")
    request = sent["request"]
    # the sender sees an ordinary pending request...
    assert request.status == "pending"
    assert [r.id for r in (await kit.contacts.requests(bob))["outgoing"]] == [request.id]
    assert types(await kit.events(bob))[-1] == "friend.request"
    assert (await kit.contacts.find(bob, "alice")).outgoing_request_id == request.id
    # ...that the blocker never sees, and cannot act on
    assert await kit.sync.head(alice.user_id) == a0
    assert (await kit.contacts.requests(alice))["incoming"] == []
    assert (await kit.contacts.find(alice, "bob")).incoming_request_id is None
    for verb in ("accept", "decline"):
        with pytest.raises(NotFound):
            await getattr(kit.contacts, verb)(alice, request.id)
    # cancelling it is the sender's own business and still goes unseen by the blocker
    await kit.contacts.cancel(bob, request.id)
    assert await kit.sync.head(alice.user_id) == a0


async def test_blocking_declines_their_request_quietly(kit: Kit, people: tuple[Caller, ...]) -> None:
    alice, bob, _ = people
    theirs = (await ask(kit, bob, alice, "hi"))["request"]
    b0 = await kit.sync.head(bob.user_id)
    await kit.contacts.block(alice, bob.user_id)

    assert await request_status(kit, theirs.id) == "declined"
    assert await kit.sync.head(bob.user_id) == b0, "the blocked user is never told"
    alice_events = await kit.events(alice)
    assert types(alice_events)[-2:] == ["friend.request", "contact.blocked"]
    assert alice_events[-2]["data"]["request"]["status"] == "declined"
    assert alice_events[-1]["data"]["user"]["id"] == bob.user_id
    assert (await kit.contacts.requests(alice))["incoming"] == []


async def test_blocking_cancels_your_own_request_without_telling_them(kit: Kit, people: tuple[Caller, ...]) -> None:
    alice, bob, _ = people
    mine = (await ask(kit, alice, bob, "hi"))["request"]
    b0 = await kit.sync.head(bob.user_id)
    await kit.contacts.block(alice, bob.user_id)

    assert await request_status(kit, mine.id) == "cancelled"
    assert await kit.sync.head(bob.user_id) == b0, "the blocked user is never told"
    assert (await kit.contacts.requests(alice))["outgoing"] == []
    # the blocked user cannot turn it into a friendship
    with pytest.raises(Conflict):
        await kit.contacts.accept(bob, mine.id)
    assert await friend_ids(kit, bob) == []


async def test_the_blocked_user_is_never_told(kit: Kit, people: tuple[Caller, ...]) -> None:
    alice, bob, _ = people
    await kit.friends(alice, bob)
    b0 = await kit.sync.head(bob.user_id)
    await kit.contacts.block(alice, bob.user_id)
    await kit.contacts.block(alice, bob.user_id)  # again: nothing changes
    assert await kit.sync.head(bob.user_id) == b0
    assert types(await kit.events(alice)).count("contact.blocked") == 1
    # blocking does not end the friendship; the blocker's list marks it
    assert [(f.user.id, f.blocked) for f in await kit.contacts.friends(alice)] == [(bob.user_id, True)]
    assert [(f.user.id, f.blocked) for f in await kit.contacts.friends(bob)] == [(alice.user_id, False)]
    assert (await kit.contacts.find(bob, "alice")).blocked is False
    assert [u.id for u in await kit.contacts.blocked(alice)] == [bob.user_id]
    assert await kit.contacts.blocked(bob) == []


async def test_the_blocker_cannot_ask_the_blocked_user(kit: Kit, people: tuple[Caller, ...]) -> None:
    alice, bob, _ = people
    await kit.contacts.block(alice, handle="bob")
    with pytest.raises(Conflict) as caught:
        await ask(kit, alice, bob)
    assert caught.value.code == "blocked_by_you"
    with pytest.raises(Invalid):
        await kit.contacts.block(alice, alice.user_id)
    with pytest.raises(NotFound):
        await kit.contacts.block(alice, 999_999)


async def test_unblocking(kit: Kit, people: tuple[Caller, ...]) -> None:
    alice, bob, _ = people
    await kit.contacts.block(alice, handle="bob")
    b0 = await kit.sync.head(bob.user_id)
    await kit.contacts.unblock(alice, bob.user_id)
    last = (await kit.events(alice))[-1]
    assert (last["type"], last["data"]) == ("contact.unblocked", {"user_id": bob.user_id})
    assert await kit.sync.head(bob.user_id) == b0
    assert await kit.contacts.blocked(alice) == []
    with pytest.raises(NotFound):
        await kit.contacts.unblock(alice, bob.user_id)
    # requests flow again, both ways
    request = (await ask(kit, bob, alice, "friends?"))["request"]
    assert [r.id for r in (await kit.contacts.requests(alice))["incoming"]] == [request.id]
    await kit.contacts.accept(alice, request.id)
    assert await friend_ids(kit, alice) == [bob.user_id]


# -- nobody learns a profile from an id alone -------------------------------------------------


async def refusal(call: Awaitable[object]) -> tuple[str, str]:
    with pytest.raises(NotFound) as caught:
        await call
    return caught.value.code, caught.value.message


async def test_an_id_reaches_only_someone_already_known(kit: Kit, people: tuple[Caller, ...]) -> None:
    alice, bob, _ = people
    nobody = 999_999
    for verb in (kit.contacts.send_request, kit.contacts.block):
        # a stranger's id is answered exactly like an id nobody has, and changes nothing
        assert await refusal(verb(alice, bob.user_id)) == await refusal(verb(alice, nobody))
    assert (await kit.contacts.requests(bob))["incoming"] == []
    assert await kit.contacts.blocked(alice) == []
    assert (await kit.contacts.requests(alice))["outgoing"] == []
    # being blocked by someone is no relation either: it would give the block away
    await kit.contacts.block(bob, handle="alice")
    assert await refusal(kit.contacts.block(alice, bob.user_id)) == await refusal(kit.contacts.block(alice, nobody))


@pytest.mark.parametrize("relation", ["request_to", "request_from", "friends", "blocked", "shared_group"])
async def test_someone_known_can_be_reached_by_id(kit: Kit, people: tuple[Caller, ...], relation: str) -> None:
    alice, bob, carol = people
    if relation == "request_to":
        await ask(kit, alice, bob)
    elif relation == "request_from":
        await ask(kit, bob, alice)
    elif relation == "friends":
        await kit.friends(alice, bob)
    elif relation == "blocked":
        await kit.contacts.block(alice, handle="bob")  # known through the block until it is lifted
    else:
        await kit.friends(carol, alice)
        await kit.friends(carol, bob)
        await kit.chats.create_group(carol, "both", [alice.user_id, bob.user_id])
    if relation not in ("friends", "blocked"):
        sent = await kit.contacts.send_request(alice, bob.user_id, "hi")
        assert bob.user_id in (sent["request"].to_user.id, sent["request"].from_user.id)
    await kit.contacts.block(alice, bob.user_id)
    assert [u.id for u in await kit.contacts.blocked(alice)] == [bob.user_id]


async def test_a_stranger_is_reached_by_handle(kit: Kit, people: tuple[Caller, ...]) -> None:
    alice, bob, _ = people
    sent = await kit.contacts.send_request(alice, greeting="hi", handle="  BOB ")
    assert (sent["request"].to_user.id, sent["request"].to_user.handle) == (bob.user_id, "bob")
    await kit.contacts.block(alice, handle="Bob")
    assert [u.id for u in await kit.contacts.blocked(alice)] == [bob.user_id]
    with pytest.raises(NotFound) as caught:
        await kit.contacts.block(alice, handle="nobody_at_all")
    assert caught.value.code == "no_such_handle"
    with pytest.raises(Invalid):
        await kit.contacts.block(alice, handle="alice")
    with pytest.raises(Invalid):
        await kit.contacts.block(alice)


# -- the friend cap --------------------------------------------------------------------------


@pytest.fixture
async def capped(make_kit: Callable[..., Awaitable[Kit]]) -> Kit:
    return await make_kit(max_friends=3)


async def test_the_friend_cap_holds_on_both_sides(capped: Kit) -> None:
    kit = capped
    full = await kit.user("full")
    others = [await kit.user(f"friend{i}") for i in range(3)]
    late, asker = await kit.user("late"), await kit.user("asker")

    # asker's request arrives while full still has room
    pending = (await ask(kit, asker, full))["request"]
    for other in others:
        await kit.friends(full, other)
    assert len(await friend_ids(kit, full)) == 3

    # the one at the cap cannot ask...
    with pytest.raises(Conflict) as caught:
        await ask(kit, full, late)
    assert caught.value.code == "friend_limit"
    # ...nor accept
    with pytest.raises(Conflict) as caught:
        await kit.contacts.accept(full, pending.id)
    assert caught.value.code == "friend_limit"
    # and a request to them can be sent but not accepted by answering with one
    late_request = (await ask(kit, late, full))["request"]
    with pytest.raises(Conflict):
        await ask(kit, full, late)
    assert await request_status(kit, late_request.id) == "pending"
    assert await request_status(kit, pending.id) == "pending"

    # the other side at its cap: someone with room cannot accept a request from a full user
    free = await kit.user("free")
    await kit.contacts.remove_friend(full, others[0].user_id)
    full_request = (await ask(kit, full, free))["request"]
    await kit.friends(full, others[0])  # full is at 3 again
    with pytest.raises(Conflict) as caught:
        await kit.contacts.accept(free, full_request.id)
    assert caught.value.code == "friend_limit"
    assert await friend_ids(kit, free) == []
    assert len(await friend_ids(kit, full)) == 3
