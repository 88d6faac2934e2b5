"""Group invite links: who may make them, expiry, uses, revocation, joining as adding does, and one
404 for every link that does not work."""

from __future__ import annotations

import secrets
from typing import Any

import pytest
from chats.test_chats import group, history, logged, notices
from domain import Kit

from kith.accounts.models import Caller
from kith.errors import Conflict, Forbidden, Invalid, NotFound

HOUR = 3600


async def refusal(call: Any) -> tuple[type, str, str]:
    with pytest.raises((NotFound, Invalid, Conflict)) as caught:
        await call
    return type(caught.value), caught.value.code, caught.value.message


async def nobody(kit: Kit, visitor: Caller) -> tuple[type, str, str]:
    """What a token nobody has gets: every link that does not work must get exactly this."""
    answer = await refusal(kit.chats.open_link(visitor, secrets.token_urlsafe(18)))
    assert answer[0] is NotFound and answer[1] == "no_such_invite"
    assert await refusal(kit.chats.join(visitor, secrets.token_urlsafe(18))) == answer
    return answer


async def dead(kit: Kit, visitor: Caller, token: str) -> None:
    expected = await nobody(kit, visitor)
    assert await refusal(kit.chats.open_link(visitor, token)) == expected
    assert await refusal(kit.chats.join(visitor, token)) == expected


async def test_joining_by_a_link_is_as_being_added(kit: Kit) -> None:
    alice, bob, carol = await kit.user(), await kit.user(), await kit.user()
    gid = await group(kit, alice, bob, name="Hikers")
    await kit.chats.send(alice, gid, "before", "said before carol came")
    link = await kit.chats.create_link(alice, gid)
    assert link.token and link.expires_at == link.created_at + 7 * 86400 * 1000 and link.max_uses is None

    card = await kit.chats.open_link(carol, link.token)
    assert (card.name, card.member_count, card.is_member, card.conversation_id) == ("Hikers", 2, False, None)
    since = await kit.sync.head(bob.user_id)
    joined = await kit.chats.join(carol, link.token)
    assert joined.id == gid and joined.member_count == 3

    # no history from before the join; the notice of the join, for everyone
    seen = await history(kit, carol, gid)
    assert [m.kind for m in seen] == ["system"]
    notice = seen[0].system
    assert notice["action"] == "joined_by_link"
    assert (notice["actor"]["id"], notice["inviter"]["id"]) == (carol.user_id, alice.user_id)
    assert (await notices(kit, bob, gid))[-1]["action"] == "joined_by_link"
    assert [e["type"] for e in await logged(kit, bob, gid, since)] == ["message"]
    assert "conversation.joined" in [e["type"] for e in await logged(kit, carol, gid)]

    # again: nothing changes, no use is counted
    assert (await kit.chats.join(carol, link.token)).id == gid
    assert (await kit.chats.open_link(carol, link.token)).conversation_id == gid
    [listed] = await kit.chats.links(alice, gid)
    assert listed.uses == 1 and listed.token == link.token


async def test_an_expired_link_is_nobodys(kit: Kit) -> None:
    alice, bob, carol = await kit.user(), await kit.user(), await kit.user()
    gid = await group(kit, alice, bob)
    link = await kit.chats.create_link(alice, gid, expires_in=HOUR)
    kit.clock.advance(HOUR - 1)
    assert (await kit.chats.open_link(carol, link.token)).member_count == 2
    kit.clock.advance(1)
    await dead(kit, carol, link.token)
    assert await kit.chats.links(alice, gid) == []  # and swept
    assert await kit.rows("SELECT id FROM group_links") == []


async def test_a_used_up_link_is_nobodys(kit: Kit) -> None:
    alice, bob, carol, dan = [await kit.user() for _ in range(4)]
    gid = await group(kit, alice, bob)
    link = await kit.chats.create_link(alice, gid, max_uses=1)
    await kit.chats.join(carol, link.token)
    await dead(kit, dan, link.token)
    assert await kit.chats.links(alice, gid) == []


async def test_a_revoked_link_is_nobodys(kit: Kit) -> None:
    alice, bob, carol = await kit.user(), await kit.user(), await kit.user()
    gid = await group(kit, alice, bob)
    keep = await kit.chats.create_link(alice, gid)
    gone = await kit.chats.create_link(alice, gid, expires_in=HOUR, max_uses=5)
    assert [x.id for x in await kit.chats.links(alice, gid)] == [keep.id, gone.id]
    await kit.chats.revoke_link(alice, gid, gone.id)
    await dead(kit, carol, gone.token or "")
    assert [x.id for x in await kit.chats.links(alice, gid)] == [keep.id]
    with pytest.raises(NotFound):
        await kit.chats.revoke_link(alice, gid, gone.id)
    with pytest.raises(NotFound):
        await kit.chats.link(alice, gid, gone.id)


async def test_who_may_make_and_manage_links_follows_who_may_add(kit: Kit) -> None:
    alice, bob, carol, dan = [await kit.user() for _ in range(4)]
    gid = await group(kit, alice, bob, carol)
    bobs = await kit.chats.create_link(bob, gid)  # any member may add, so may invite
    alices = await kit.chats.create_link(alice, gid)
    assert [x.id for x in await kit.chats.links(bob, gid)] == [bobs.id]  # a member sees their own
    assert {x.id for x in await kit.chats.links(alice, gid)} == {bobs.id, alices.id}  # the owner all
    with pytest.raises(NotFound):  # a member cannot touch another's link
        await kit.chats.revoke_link(carol, gid, bobs.id)
    with pytest.raises(NotFound):
        await kit.chats.link(carol, gid, alices.id)
    with pytest.raises(NotFound):  # a stranger does not even learn the group is there
        await kit.chats.links(dan, gid)

    await kit.chats.update_group(alice, gid, owner_only_adds=True)
    await dead(kit, dan, bobs.token or "")  # bob may no longer add: his link stops working
    with pytest.raises(Forbidden):
        await kit.chats.create_link(bob, gid)
    with pytest.raises(Forbidden):
        await kit.chats.links(bob, gid)
    assert [x.id for x in await kit.chats.links(alice, gid)] == [alices.id]

    await kit.chats.update_group(alice, gid, owner_only_adds=False)
    carols = await kit.chats.create_link(carol, gid)
    await kit.chats.remove_member(alice, gid, carol.user_id)  # a member who goes takes their links along
    await dead(kit, dan, carols.token or "")


async def test_a_direct_conversation_has_no_links(kit: Kit) -> None:
    alice, bob = await kit.user(), await kit.user()
    await kit.friends(alice, bob)
    direct = await kit.chats.open_direct(alice, bob.user_id)
    with pytest.raises(Invalid) as caught:
        await kit.chats.create_link(alice, direct.id)
    assert caught.value.code == "not_a_group"


async def test_limits_on_links(kit: Kit) -> None:
    alice, bob = await kit.user(), await kit.user()
    gid = await group(kit, alice, bob)
    for bad in ({"expires_in": 59}, {"expires_in": 7 * 86400 + 1}, {"max_uses": 0}, {"max_uses": 1001}):
        with pytest.raises(Invalid):
            await kit.chats.create_link(alice, gid, **bad)
    made = [await kit.chats.create_link(alice, gid, expires_in=60) for _ in range(20)]
    with pytest.raises(Conflict) as caught:
        await kit.chats.create_link(alice, gid)
    assert caught.value.code == "too_many_links"
    kit.clock.advance(60)  # the expired ones no longer count
    await kit.chats.create_link(alice, gid)
    assert len(made) == 20


async def test_blocked_by_the_maker_or_the_owner_answers_as_nobody(kit: Kit) -> None:
    alice, bob, carol, dan = [await kit.user() for _ in range(4)]
    gid = await group(kit, alice, bob)
    alices = await kit.chats.create_link(alice, gid)
    bobs = await kit.chats.create_link(bob, gid)
    await kit.friends(alice, carol)
    await kit.contacts.block(alice, carol.user_id)  # the owner blocked carol
    await dead(kit, carol, alices.token or "")
    await dead(kit, carol, bobs.token or "")  # through a member's link neither
    await kit.friends(bob, dan)
    await kit.contacts.block(bob, dan.user_id)  # a member blocked dan: not through bob's link
    await dead(kit, dan, bobs.token or "")
    assert (await kit.chats.join(dan, alices.token or "")).id == gid  # the owner's link still works for dan


async def test_a_full_group_takes_nobody_more(make_kit: Any) -> None:
    kit: Kit = await make_kit(max_group_members=3)
    alice, bob, carol, dan = [await kit.user() for _ in range(4)]
    gid = await group(kit, alice, bob)
    link = await kit.chats.create_link(alice, gid)
    await kit.chats.join(carol, link.token or "")
    with pytest.raises(Conflict) as caught:
        await kit.chats.join(dan, link.token or "")
    assert caught.value.code == "group_full"
    [listed] = await kit.chats.links(alice, gid)
    assert listed.uses == 1  # the refused join used nothing


async def test_deleting_an_account_deletes_its_links(kit: Kit) -> None:
    alice, bob, carol = await kit.user(), await kit.user(), await kit.user()
    gid = await group(kit, alice, bob)
    link = await kit.chats.create_link(bob, gid)
    other = await kit.chats.create_link(alice, gid)
    await kit.deletion.delete(bob.user_id)
    assert await kit.rows("SELECT id FROM group_links WHERE created_by = ?", bob.user_id) == []
    await dead(kit, carol, link.token or "")
    await kit.deletion.delete(alice.user_id)  # the last member: the group and its links go
    assert await kit.rows("SELECT id FROM group_links") == []
    await dead(kit, carol, other.token or "")


async def test_no_token_is_stored(kit: Kit) -> None:
    alice, bob = await kit.user(), await kit.user()
    gid = await group(kit, alice, bob)
    link = await kit.chats.create_link(alice, gid)
    assert link.token and link.token not in repr(kit.dump())
