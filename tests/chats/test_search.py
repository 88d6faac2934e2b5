"""Message search: Chinese and English alike, only what the searcher may see, in pages, and the
messages from before search existed indexed in the background."""

from __future__ import annotations

import pytest
from domain import Kit

from kith.accounts.models import Caller
from kith.chats import search
from kith.errors import Invalid


async def found(kit: Kit, who: Caller, query: str, **kw: int) -> list[str]:
    page = await kit.chats.search(who, query, kw.get("before"), kw.get("limit"))
    return [m.text for m in page["messages"]]


@pytest.mark.parametrize(
    ("text", "query", "hit"),
    [
        ("我们明天去北京吧", "北京", True),
        ("我们明天去北京吧", "明天去", True),
        ("我们明天去北京吧", "京", True),
        ("我们明天去北京吧", "上海", False),
        ("我们明天去北京吧", "北吧", False),  # both characters are there, not as a pair
        ("Dinner at the Café Rouge?", "cafe", True),
        ("Dinner at the Café Rouge?", "DINNER rouge", True),
        ("Dinner at the Café Rouge?", "din", True),  # the last word as one types it
        ("Dinner at the Café Rouge?", "din rouge", False),  # only the last word is a prefix
        ("Dinner at the Café Rouge?", "lunch", False),
        ("周末hiking去不去", "hiking 周末", True),
        ("東京で会いましょう", "東京", True),
        ("Meet at 8:30, ok? OK_then", "ok_then", True),  # plain ASCII takes a shorter path
        ("Meet at 8:30, ok? OK_then", "30", True),
        ("Meet at 8:30, ok? OK_then", "then", False),
    ],
)
def test_the_tokenizer_finds_words_and_pairs(text: str, query: str, hit: bool) -> None:
    indexed = set(search.tokens(text).split())
    wanted = search.terms(query)
    matches = all(any(t.startswith(token) for t in indexed) if prefix else token in indexed for token, prefix in wanted)
    assert matches == hit


def test_plain_ascii_is_tokenized_as_any_text_is() -> None:
    # the same words with one accent added take the general path: only that word may differ
    assert search.tokens("Lunch at the CAFE, 12:30?") == "lunch at the cafe 12 30"
    assert search.tokens("Lunch at the CAFÉ, 12:30?") == "lunch at the cafe 12 30"
    assert search.tokens("x" * 80) == "x" * 64


async def test_search_finds_only_what_the_searcher_may_see(kit: Kit) -> None:
    me, pal, other, late = [await kit.user() for _ in range(4)]
    for x, y in ((me, pal), (pal, other), (me, late), (pal, late)):
        await kit.friends(x, y)
    ours = (await kit.chats.open_direct(me, pal.user_id)).id
    theirs = (await kit.chats.open_direct(pal, other.user_id)).id
    await kit.chats.send(pal, ours, "a1", "晚上一起吃火锅吗")
    await kit.chats.send(pal, theirs, "b1", "火锅 without me")  # not my conversation
    await kit.chats.send(me, ours, "a2", "火锅 sounds great")
    oops = await kit.chats.send(me, ours, "a3", "火锅 at 7? no, 8")
    await kit.chats.recall(me, ours, oops.message.seq)  # recalled: gone from search too
    group = await kit.chats.create_group(pal, "hotpot", [me.user_id])
    await kit.chats.send(pal, group.id, "g1", "火锅 before late joined")
    await kit.chats.add_members(pal, group.id, [late.user_id])
    await kit.chats.send(pal, group.id, "g2", "火锅 after late joined")
    assert await found(kit, me, "火锅") == [
        "火锅 after late joined", "火锅 before late joined", "火锅 sounds great", "晚上一起吃火锅吗",
    ]  # fmt: skip
    assert await found(kit, late, "火锅") == ["火锅 after late joined"]  # nothing from before the join
    assert await found(kit, other, "火锅") == ["火锅 without me"]
    assert await found(kit, me, "sounds gr") == ["火锅 sounds great"]
    # a blocked sender's messages never reached the blocker, so search does not find them either
    await kit.contacts.block(me, pal.user_id)
    await kit.chats.send(pal, ours, "a4", "火锅 still on?")
    assert "火锅 still on?" not in await found(kit, me, "火锅")
    assert "火锅 still on?" in await found(kit, pal, "火锅")


async def test_pages_go_back_in_time(kit: Kit) -> None:
    me, pal = await kit.user(), await kit.user()
    await kit.friends(me, pal)
    chat = (await kit.chats.open_direct(me, pal.user_id)).id
    for n in range(7):
        await kit.chats.send(me, chat, f"p{n}", f"note {n} about the garden")
    texts, before = [], None
    while True:
        page = await kit.chats.search(me, "garden", before, 3)
        texts += [m.text for m in page["messages"]]
        if "next" not in page:
            break
        before = page["next"]
    assert texts == [f"note {n} about the garden" for n in range(6, -1, -1)]


@pytest.mark.parametrize(("query", "limit"), [("", None), ("x" * 101, None), ("?!…", None), ("ok", 0), ("ok", 51)])
async def test_bad_searches_are_refused(kit: Kit, query: str, limit: int | None) -> None:
    me = await kit.user()
    with pytest.raises(Invalid):
        await kit.chats.search(me, query, None, limit)


async def test_messages_from_before_search_are_indexed_in_the_background(kit: Kit) -> None:
    me, pal = await kit.user(), await kit.user()
    await kit.friends(me, pal)
    chat = (await kit.chats.open_direct(me, pal.user_id)).id
    for n in range(5):
        await kit.chats.send(me, chat, f"o{n}", f"old message {n}")
    # as on a database migrated to search: the tokens are missing, a backfill job is due
    await kit.db.write(lambda tx: tx.execute("DELETE FROM message_tokens"))
    assert await found(kit, me, "old") == []
    kit.chats.search_batch = 2  # several batches
    top = (await kit.rows("SELECT MAX(id) FROM messages"))[0][0]
    await kit.chats.on_search_backfill(b'{"after": 0, "until": %d}' % top)
    await kit.drain()
    assert await found(kit, me, "old") == [f"old message {n}" for n in range(4, -1, -1)]
