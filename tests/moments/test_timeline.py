"""The timeline: fan-out on write in batches, pages that stay put while posts arrive, bounded reads."""

from __future__ import annotations

from typing import Any

import pytest
from chats.test_query_counts import counted
from domain import Kit

from kith.accounts.models import Caller
from kith.errors import Invalid
from kith.moments.models import MomentLimits


async def _circle(kit: Kit, size: int) -> tuple[Caller, list[Caller]]:
    me = await kit.user()
    friends = [await kit.user() for _ in range(size)]
    for friend in friends:
        await kit.friends(me, friend)
    return me, friends


async def _ids(kit: Kit, who: Caller, limit: int, before: int | None = None) -> tuple[list[int], int | None]:
    page = await kit.moments.timeline(who, before, limit)
    return [p.id for p in page.posts], page.next


async def test_pages_stay_put_while_posts_arrive(kit: Kit) -> None:
    me, friends = await _circle(kit, 4)
    posted = []
    for n in range(20):
        kit.clock.advance(60)
        posted.append((await kit.moments.post(friends[n % 4], f"old{n}", f"post {n}", None)).id)
    await kit.drain()
    newest_first = posted[::-1]
    seen: list[int] = []
    first, cursor = await _ids(kit, me, 6)
    seen += first
    arrivals = []
    while cursor is not None:
        kit.clock.advance(60)  # someone posts between every two page requests
        arrivals.append((await kit.moments.post(friends[len(arrivals) % 4], f"new{len(arrivals)}", "fresh", None)).id)
        await kit.drain()
        page, cursor = await _ids(kit, me, 6, cursor)
        seen += page
    assert seen == newest_first  # each old post once, in order; none of the new ones shifted in
    top, _ = await _ids(kit, me, 50)
    assert top == arrivals[::-1] + newest_first  # a fresh first page shows them on top


async def test_fan_out_runs_in_batches_from_the_outbox_and_a_rerun_changes_nothing(kit: Kit) -> None:
    kit.moments.caps = MomentLimits(fanout_batch=2)
    me, friends = await _circle(kit, 5)
    post = await kit.moments.post(me, "b1", "to everyone", None)
    # committed: the post and the author's own row, and the job that writes the rest
    assert await kit.rows("SELECT user_id FROM moment_timeline") == [(me.user_id,)]
    assert [r[0] for r in await kit.rows("SELECT topic FROM outbox")] == ["moments.fanout"]
    assert (await kit.moments.timeline(friends[0], None, None)).posts == []
    await kit.drain()
    rows = await kit.rows("SELECT user_id FROM moment_timeline WHERE post_id = ? ORDER BY user_id", post.id)
    assert [r[0] for r in rows] == sorted([me.user_id] + [f.user_id for f in friends])
    # a job that runs again (its node died before it was marked done) writes nothing twice
    await kit.moments.on_fanout(b'{"post_id": %d, "after": 0}' % post.id)
    await kit.drain()
    assert len(await kit.rows("SELECT user_id FROM moment_timeline WHERE post_id = ?", post.id)) == 6
    for friend in friends:
        assert [p.id for p in (await kit.moments.timeline(friend, None, None)).posts] == [post.id]


async def test_an_audience_is_written_only_to_whom_it_names(kit: Kit) -> None:
    me, friends = await _circle(kit, 4)
    only = await kit.moments.post(me, "o1", "two of you", None, audience="only",
                                  people=[friends[0].user_id, friends[1].user_id])  # fmt: skip
    hidden = await kit.moments.post(me, "e1", "not you", None, audience="except", people=[friends[2].user_id])
    private = await kit.moments.post(me, "m1", "a note to self", None, audience="me")
    await kit.drain()
    expected = {
        friends[0].user_id: [hidden.id, only.id],
        friends[1].user_id: [hidden.id, only.id],
        friends[2].user_id: [],
        friends[3].user_id: [hidden.id],
        me.user_id: [private.id, hidden.id, only.id],
    }
    for user_id, posts in expected.items():
        rows = await kit.rows("SELECT post_id FROM moment_timeline WHERE user_id = ? ORDER BY post_id DESC", user_id)
        assert [r[0] for r in rows] == posts
    assert (await kit.moments.get_post(me, only.id)).audience_ids == sorted([friends[0].user_id, friends[1].user_id])


async def test_the_same_id_posts_once(kit: Kit) -> None:
    me, _ = await _circle(kit, 1)
    first = await kit.moments.post(me, "same", "hello", None)
    again = await kit.moments.post(me, "same", "something else entirely", None)
    assert again.id == first.id and again.text == "hello"
    assert await kit.rows("SELECT COUNT(*) FROM moment_posts") == [(1,)]


@pytest.mark.parametrize(
    ("args", "field"),
    [
        (("x1", None, None), "text"),
        (("x2", "   ", None), "text"),
        (("x3", "hi", ["a" * 22] * 2), "images"),
        (("x4", "hi", [f"{n:022d}" for n in range(10)]), "images"),
        (("x5", "hi", None, "x" * 81), "place"),
        (("x6", "hi", None, "", "everyone"), "audience"),
        (("x7", "hi", None, "", "only"), "people"),
        (("x8", "hi", None, "", "friends", [5]), "people"),
        (("bad id!", "hi", None), "id"),
    ],
)
async def test_a_bad_post_is_refused_and_stores_nothing(kit: Kit, args: tuple[Any, ...], field: str) -> None:
    me, _ = await _circle(kit, 1)
    with pytest.raises(Invalid) as refused:
        await kit.moments.post(me, *args)
    assert refused.value.fields["field"] == field
    assert await kit.rows("SELECT COUNT(*) FROM moment_posts") == [(0,)]


async def test_naming_a_stranger_or_anothers_image_is_refused(kit: Kit) -> None:
    me, _ = await _circle(kit, 1)
    stranger = await kit.user()
    with pytest.raises(Invalid):
        await kit.moments.post(me, "s1", "hi", None, "", "only", [stranger.user_id])
    from mediafiles import png

    async def chunks() -> Any:
        yield png()

    theirs = await kit.media.do_upload(stranger, "image", "x.png", chunks())
    with pytest.raises(Exception, match="no such media"):
        await kit.moments.post(me, "s2", "hi", [theirs.id])
    assert await kit.rows("SELECT COUNT(*) FROM moment_posts") == [(0,)]


async def test_a_timeline_page_costs_the_same_statements_with_3_or_30_friends(kit: Kit) -> None:
    counts = {}
    for size in (3, 30):
        me, friends = await _circle(kit, size)
        for n in range(30):
            post = await kit.moments.post(friends[n % size], f"q{size}-{n}", "hello", None)
            await kit.moments.like(me, post.id, on=True)
            await kit.moments.comment(friends[n % size], post.id, "hi")
        await kit.drain()
        services, db = counted(kit)
        page = await services.moments.timeline(me, None, 20)
        assert len(page.posts) == 20
        counts[size] = len(db.take())
    assert counts[3] == counts[30] <= 12, counts
