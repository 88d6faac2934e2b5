"""@mentions in groups: who may be named, what the message and the chat list show, until when."""

from __future__ import annotations

import pytest
from chats.test_chats import direct, group, history, logged
from domain import Kit

from kith.accounts.models import Caller
from kith.chats.models import MAX_MENTIONS
from kith.errors import Conflict, Invalid


@pytest.fixture
async def four(kit: Kit) -> tuple[Caller, Caller, Caller, Caller]:
    return await kit.user("alice"), await kit.user("bob"), await kit.user("carol"), await kit.user("dave")


async def mentioned(kit: Kit, who: Caller, conversation_id: int) -> bool:
    return (await kit.chats.conversation(who, conversation_id)).mentioned


async def test_a_mention_marks_the_chat_of_whoever_it_names_until_they_read_it(
    kit: Kit, four: tuple[Caller, ...]
) -> None:
    alice, bob, carol, _ = four
    conversation = await group(kit, alice, bob, carol)
    sent = await kit.chats.send(alice, conversation, "a1", "@Bob Martin lunch?", mentions=[bob.user_id, bob.user_id])
    assert sent.message.mentions == [bob.user_id]  # each once
    assert await mentioned(kit, bob, conversation)
    assert not await mentioned(kit, carol, conversation)  # not named
    assert not await mentioned(kit, alice, conversation)
    # every member sees whom the message names: in the history, in the log, in the chat list
    for who in (alice, bob, carol):
        assert (await history(kit, who, conversation))[-1].mentions == [bob.user_id]
        [event] = [e for e in await logged(kit, who, conversation) if e["data"].get("client_id") == "a1"]
        assert event["data"]["mentions"] == [bob.user_id]
    [listed] = [c for c in await kit.chats.conversations(bob) if c.id == conversation]
    assert listed.mentioned and listed.last_message is not None and listed.last_message.mentions == [bob.user_id]

    # read up to before it: still marked; read past it: no more
    await kit.chats.send(carol, conversation, "c1", "and me?")
    await kit.chats.mark_read(bob, conversation, sent.message.seq - 1)
    assert await mentioned(kit, bob, conversation)
    await kit.chats.mark_read(bob, conversation, sent.message.seq)
    assert not await mentioned(kit, bob, conversation)
    # a later one marks it again; replying (which reads) clears it
    await kit.chats.send(carol, conversation, "c2", "@Bob?", mentions=[bob.user_id])
    assert await mentioned(kit, bob, conversation)
    await kit.chats.send(bob, conversation, "b1", "yes!")
    assert not await mentioned(kit, bob, conversation)
    # naming yourself names nobody to mark
    await kit.chats.send(alice, conversation, "a2", "note to @me", mentions=[alice.user_id])
    assert not await mentioned(kit, alice, conversation)


async def test_a_recalled_mention_marks_nothing_and_names_nobody(kit: Kit, four: tuple[Caller, ...]) -> None:
    alice, bob, carol, _ = four
    conversation = await group(kit, alice, bob, carol)
    sent = await kit.chats.send(alice, conversation, "a1", "@Carol oops", mentions=[carol.user_id])
    assert await mentioned(kit, carol, conversation)
    recalled = await kit.chats.recall(alice, conversation, sent.message.seq)
    assert recalled.mentions is None
    assert not await mentioned(kit, carol, conversation)
    assert (await history(kit, carol, conversation))[-1].mentions is None
    # resending its client id is still the same message
    again = await kit.chats.send(alice, conversation, "a1", "@Carol oops", mentions=[carol.user_id])
    assert again.duplicate


async def test_only_members_of_a_group_can_be_mentioned(kit: Kit, four: tuple[Caller, ...]) -> None:
    alice, bob, carol, dave = four
    conversation = await group(kit, alice, bob, carol)
    pair = await direct(kit, alice, dave)  # a friend, but not in the group
    before = len(await history(kit, alice, conversation))
    with pytest.raises(Invalid) as refused:
        await kit.chats.send(alice, conversation, "a1", "@Dave", mentions=[bob.user_id, dave.user_id])
    assert refused.value.code == "not_a_member" and refused.value.fields["user_ids"] == [dave.user_id]
    # someone who left is no member either
    await kit.chats.leave(carol, conversation)
    with pytest.raises(Invalid, match="only members"):
        await kit.chats.send(alice, conversation, "a2", "@Carol", mentions=[carol.user_id])
    # not in a direct chat, not with a picture or a place, not too many, not a bad id
    with pytest.raises(Invalid) as refused:
        await kit.chats.send(alice, pair, "a3", "@Dave", mentions=[dave.user_id])
    assert refused.value.code == "not_a_group"
    with pytest.raises(Invalid, match="with a text"):
        await kit.chats.send(alice, conversation, "a4", "", media_id="q2VdL0mA3c9XhYp1f7RZbQ", mentions=[bob.user_id])
    with pytest.raises(Invalid, match=f"at most {MAX_MENTIONS}"):
        await kit.chats.send(alice, conversation, "a5", "@all", mentions=list(range(1, MAX_MENTIONS + 2)))
    with pytest.raises(Invalid):
        await kit.chats.send(alice, conversation, "a6", "@0", mentions=[0])
    assert len(await history(kit, alice, conversation)) == before + 1  # only carol's leaving notice
    assert not await mentioned(kit, bob, conversation)


async def test_a_client_id_resent_with_other_mentions_is_a_conflict(kit: Kit, four: tuple[Caller, ...]) -> None:
    alice, bob, carol, _ = four
    conversation = await group(kit, alice, bob, carol)
    await kit.chats.send(alice, conversation, "a1", "@Bob", mentions=[bob.user_id])
    assert (await kit.chats.send(alice, conversation, "a1", "@Bob", mentions=[bob.user_id])).duplicate
    with pytest.raises(Conflict):
        await kit.chats.send(alice, conversation, "a1", "@Bob", mentions=[carol.user_id])
    with pytest.raises(Conflict):
        await kit.chats.send(alice, conversation, "a1", "@Bob")
    await kit.chats.send(alice, conversation, "a2", "plain")
    with pytest.raises(Conflict):
        await kit.chats.send(alice, conversation, "a2", "plain", mentions=[bob.user_id])


async def test_someone_you_blocked_does_not_ping_you(kit: Kit, four: tuple[Caller, ...]) -> None:
    alice, bob, carol, _ = four
    conversation = await group(kit, alice, bob, carol)
    await kit.contacts.block(bob, alice.user_id)
    sent = await kit.chats.send(alice, conversation, "a1", "@Bob @Carol", mentions=[bob.user_id, carol.user_id])
    assert sent.message.mentions == [bob.user_id, carol.user_id]
    assert (await history(kit, bob, conversation))[-1].text == "@Bob @Carol"  # the group's message he sees
    assert not await mentioned(kit, bob, conversation)  # but no ping from her
    assert await mentioned(kit, carol, conversation)
