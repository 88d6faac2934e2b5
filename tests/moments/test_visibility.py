"""Who sees which post, and which likes and comments on it: the rule that makes Moments feel safe.

Each row builds its own people: an author, a viewer and a commenter (who likes and comments on the
post), with the friendships and blocks the row names, posts once, and checks what the viewer sees
in the timeline, in the author's album, and when fetching the post by id. Every row can fail alone.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

import pytest
from domain import Kit

from kith.accounts.models import Caller
from kith.errors import NotFound

_ids = itertools.count(1)


@dataclass(frozen=True)
class Row:
    name: str
    friends: tuple[str, ...] = ("av", "ac", "vc")  # pairs among Author, Viewer, Commenter
    audience: str = "friends"
    people: tuple[str, ...] = ()  # whom an only/except audience names: "v", "c"
    window_days: int = 0  # the author's setting
    age_days: float = 0  # how old the post is when the viewer looks
    after: tuple[str, ...] = ()  # what happens once the post exists: "unfriend av", "a blocks v", ...
    sees_post: bool = True
    sees_interactions: bool | None = True  # the commenter's like and comment (None: the commenter cannot see the post)
    extra: dict[str, str] = field(default_factory=dict)


ROWS = [
    Row("friends of both see the post and the comments"),
    Row(
        "a viewer who is not the commenter's friend sees the post, not the like or comment",
        friends=("av", "ac"),
        sees_interactions=False,
    ),
    Row("someone who is not the author's friend sees nothing", friends=("ac", "vc"), sees_post=False),
    Row("only these friends: named", audience="only", people=("v", "c")),
    Row("only these friends: not named", audience="only", people=("c",), sees_post=False),
    Row("all friends except these: excluded", audience="except", people=("v",), sees_post=False),
    Row("all friends except these: not excluded", audience="except", people=("c",), sees_interactions=None),
    Row("only me", audience="me", sees_post=False, sees_interactions=None),
    Row("a friend removed after the post no longer sees it", after=("unfriend av",), sees_post=False),
    Row("the author blocks the viewer", after=("a blocks v",), sees_post=False),
    Row("the viewer blocks the author", after=("v blocks a",), sees_post=False),
    Row("the viewer blocks the commenter: the post, not the comment", after=("v blocks c",), sees_interactions=False),
    Row("the commenter removed as the viewer's friend", after=("unfriend vc",), sees_interactions=False),
    Row("a 3-day window hides a 4-day-old post", window_days=3, age_days=4, sees_post=False),
    Row("a 3-day window shows a 2-day-old post", window_days=3, age_days=2),
    Row("a 30-day window shows a 10-day-old post", window_days=30, age_days=10),
    Row("a 180-day window hides a 200-day-old post", window_days=180, age_days=200, sees_post=False),
    Row("no window shows a 400-day-old post", age_days=400),
]


async def _person(kit: Kit, role: str) -> Caller:
    return await kit.user(f"{role}{next(_ids)}")


async def _act(kit: Kit, who: dict[str, Caller], step: str) -> None:
    words = step.split()
    if words[0] == "unfriend":
        a, b = words[1]
        await kit.contacts.remove_friend(who[a], who[b].user_id)
    elif words[1] == "blocks":
        await kit.contacts.block(who[words[0]], who[words[2]].user_id)
    else:
        raise AssertionError(step)


@pytest.mark.parametrize("row", ROWS, ids=[r.name for r in ROWS])
async def test_who_sees_what(kit: Kit, row: Row) -> None:
    who = {"a": await _person(kit, "author"), "v": await _person(kit, "viewer"), "c": await _person(kit, "commenter")}
    for pair in row.friends:
        await kit.friends(who[pair[0]], who[pair[1]])
    if row.window_days:
        await kit.moments.set_window(who["a"], row.window_days)
    people = [who[p].user_id for p in row.people] or None
    post = await kit.moments.post(who["a"], f"p{next(_ids)}", "a walk by the river", None, "", row.audience, people)
    await kit.drain()
    if row.sees_interactions is not None:
        await kit.moments.like(who["c"], post.id, on=True)
        await kit.moments.comment(who["c"], post.id, "lovely light")
    for step in row.after:
        await _act(kit, who, step)
    kit.clock.advance(row.age_days * 86400)

    timeline = (await kit.moments.timeline(who["v"], None, None)).posts
    try:
        album = (await kit.moments.album(who["v"], who["a"].user_id, None, None)).posts
    except NotFound:  # not a friend (or a block): the same answer as for nobody
        assert not row.sees_post and (row.after or "av" not in row.friends)
        album = []
    if not row.sees_post:
        assert [p.id for p in timeline] == [] and [p.id for p in album] == []
        with pytest.raises(NotFound):
            await kit.moments.get_post(who["v"], post.id)
        return
    assert [p.id for p in timeline] == [post.id] and [p.id for p in album] == [post.id]
    seen = await kit.moments.get_post(who["v"], post.id)
    for shown in (timeline[0], album[0], seen):
        likers = [like.user.id for like in shown.likes]
        commenters = [c.user.id for c in shown.comments]
        if row.sees_interactions:
            assert likers == [who["c"].user_id] and commenters == [who["c"].user_id]
        else:
            assert likers == [] and commenters == []
        assert shown.audience is None  # only the author learns whom a post was for
    # the author always sees everything on their own post
    own = await kit.moments.get_post(who["a"], post.id)
    expected = [who["c"].user_id] if row.sees_interactions is not None else []
    assert [c.user.id for c in own.comments] == expected and own.audience == row.audience


async def test_a_reply_names_whom_it_answers_only_to_those_who_may_see_them(kit: Kit) -> None:
    """Author A; B and C are friends of A and of each other; D is A's friend and C's, not B's."""
    a, b, c, d = [await _person(kit, r) for r in "abcd"]
    for x, y in ((a, b), (a, c), (a, d), (b, c), (c, d)):
        await kit.friends(x, y)
    post = await kit.moments.post(a, "r1", "dinner?", None)
    await kit.drain()
    first = await kit.moments.comment(b, post.id, "yes please")
    reply = await kit.moments.comment(c, post.id, "me too", reply_to=first.id)
    assert reply.reply_to is not None and reply.reply_to.id == b.user_id
    seen_by_d = (await kit.moments.get_post(d, post.id)).comments
    assert [(x.user.id, x.reply_to) for x in seen_by_d] == [(c.user_id, None)]  # B's comment and name stay hidden
    seen_by_b = (await kit.moments.get_post(b, post.id)).comments
    assert [(x.user.id, x.reply_to and x.reply_to.id) for x in seen_by_b] == [(b.user_id, None), (c.user_id, b.user_id)]
    # D cannot reply to a comment D does not see
    with pytest.raises(NotFound):
        await kit.moments.comment(d, post.id, "who?", reply_to=first.id)


async def test_notices_reach_the_author_and_whoever_is_replied_to_if_they_may_see_the_replier(kit: Kit) -> None:
    a, b, c, d = [await _person(kit, r) for r in "abcd"]
    for x, y in ((a, b), (a, c), (a, d), (b, c), (b, d)):
        await kit.friends(x, y)
    post = await kit.moments.post(a, "n1", "new bike", None)
    await kit.drain()
    marks = {p.user_id: (await kit.sync.sync(p.user_id, 0, None)).head for p in (a, b, c, d)}

    async def notices(p: Caller) -> list[tuple[str, int]]:
        found = []
        for e in await kit.events(p, marks[p.user_id]):
            if e["type"].startswith("moment."):
                data = e["data"]
                actor = data["user"]["id"] if "user" in data else data["comment"]["user"]["id"]
                found.append((e["type"], actor))
        return found

    await kit.moments.like(b, post.id, on=True)
    await kit.moments.like(b, post.id, on=True)  # again: no second notice
    await kit.moments.like(a, post.id, on=True)  # one's own like tells nobody
    first = await kit.moments.comment(b, post.id, "nice")
    await kit.moments.comment(c, post.id, "agreed", reply_to=first.id)  # B and C are friends: B is told
    await kit.moments.comment(a, post.id, "thanks", reply_to=first.id)  # the author replies: B is told
    second = await kit.moments.comment(d, post.id, "wow")
    await kit.contacts.remove_friend(a, d.user_id)  # D no longer sees the post
    await kit.moments.comment(b, post.id, "right?", reply_to=second.id)  # so D is not told of this reply
    assert await notices(a) == [
        ("moment.liked", b.user_id),
        ("moment.commented", b.user_id),
        ("moment.commented", c.user_id),
        ("moment.commented", d.user_id),
        ("moment.commented", b.user_id),
    ]
    assert await notices(b) == [("moment.commented", c.user_id), ("moment.commented", a.user_id)]
    assert await notices(c) == [] and await notices(d) == []


async def test_deleting_comments_and_posts(kit: Kit) -> None:
    a, b, c = [await _person(kit, r) for r in "abc"]
    for x, y in ((a, b), (a, c), (b, c)):
        await kit.friends(x, y)
    post = await kit.moments.post(a, "d1", "sunset", None)
    await kit.drain()
    by_b = await kit.moments.comment(b, post.id, "pretty")
    by_c = await kit.moments.comment(c, post.id, "wow")
    with pytest.raises(Exception) as refused:
        await kit.moments.delete_comment(c, by_b.id)  # not c's comment, not c's post
    assert type(refused.value).__name__ == "Forbidden"
    await kit.moments.delete_comment(c, by_c.id)  # one's own
    await kit.moments.delete_comment(a, by_b.id)  # any on one's post
    assert (await kit.moments.get_post(b, post.id)).comments == []
    with pytest.raises(NotFound):
        await kit.moments.delete_post(b, post.id)  # only its author
    await kit.moments.delete_post(a, post.id)
    for p in (a, b, c):
        assert (await kit.moments.timeline(p, None, None)).posts == []
    assert await kit.rows("SELECT COUNT(*) FROM moment_timeline") == [(0,)]
