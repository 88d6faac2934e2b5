"""What each member sees of a conversation's activity: nothing that was hidden from them moves."""

from __future__ import annotations

from domain import Kit


async def test_a_blocked_senders_hidden_messages_do_not_move_the_blockers_chat(kit: Kit) -> None:
    me, pest, pal = await kit.user("me_user"), await kit.user("pest_user"), await kit.user("pal_user")
    await kit.friends(me, pest)
    await kit.friends(me, pal)
    with_pest = (await kit.chats.open_direct(me, pest.user_id)).id
    with_pal = (await kit.chats.open_direct(me, pal.user_id)).id
    kit.clock.advance(10)
    await kit.chats.send(pest, with_pest, "p1", "before the block")
    kit.clock.advance(10)
    await kit.chats.send(pal, with_pal, "q1", "hello")
    await kit.contacts.block(me, pest.user_id)
    before = {c.id: c for c in await kit.chats.conversations(me)}
    kit.clock.advance(10)
    hidden = await kit.chats.send(pest, with_pest, "p2", "after the block")  # acknowledged as usual
    assert hidden.message.seq == 2
    after = await kit.chats.conversations(me)
    assert [c.id for c in after] == [with_pal, with_pest]  # the pest's chat did not jump to the top
    mine = {c.id: c for c in after}[with_pest]
    assert (mine.last_seq, mine.last_activity_at, mine.unread) == (
        before[with_pest].last_seq,
        before[with_pest].last_activity_at,
        before[with_pest].unread,
    )
    assert mine.last_message is not None and mine.last_message.text == "before the block"
    # the sender sees their own message as the latest
    theirs = await kit.chats.conversation(pest, with_pest)
    assert theirs.last_seq == 2 and theirs.last_message is not None and theirs.last_message.text == "after the block"
