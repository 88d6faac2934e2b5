"""Moments: posting to one's friends, the timeline, albums, likes and comments, and who sees what.

The rule that makes Moments feel safe is checked at every read, never cached: a viewer sees a post
only if they are in its audience and still the author's friend (no block either way), and only
within the author's time window; on a post they see, they see a like or a comment only if they made
it, wrote the post, or are friends with whoever made it.

Timelines are written on post (fan-out on write, as WeChat does): each reader a post is for gets a
row in ``moment_timeline``, so reading a page is one range read of the reader's own rows and costs
the same with 5 friends or 5,000. Reading instead from every friend's posts (fan-out on read) would
merge up to 5,000 lists per page. The fan-out is an outbox job, 500 readers a transaction, so the
author's request commits only the post and their own row; the job survives a crash (the outbox) and
may run twice (the rows are keyed by reader and post). Because visibility is checked again at read
time, a fan-out that reaches a friend removed since, or misses one added since, is never wrong: the
friend removed does not see it, and a friend added later finds the post in the author's album.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from kith import validation
from kith.accounts import access as accounts
from kith.accounts.models import Caller, User, user_from_row
from kith.clock import Clock
from kith.contacts import access as contacts
from kith.errors import Forbidden, Invalid, NotFound, TooLarge
from kith.events import EventLog, Writer
from kith.jsonenc import decode, encode
from kith.media import access as media
from kith.media.models import IMAGE, REF_MOMENT_POST
from kith.moments import store
from kith.moments.models import (
    AUDIENCES,
    EXCEPT,
    FRIENDS,
    MAX_CLIENT_ID,
    MAX_IMAGES,
    MAX_PLACE,
    ME,
    MOMENT_COMMENTED,
    MOMENT_LIKED,
    ONLY,
    WINDOWS,
    Comment,
    Like,
    MomentLimits,
    Page,
    Post,
    Settings,
)
from kith.ratelimit import Limits
from kith.storage.database import Database, Row, Tx

FANOUT = "moments.fanout"  # the outbox topic: write one post into the next batch of its readers' timelines
DAY_MS = 86_400_000
PAGE_ROUNDS = 4  # reads of a timeline a page may take before it answers short (with a cursor to go on)
_NO_POST = "no such post"
_END = 2**63 - 1
_PREVIEW = 100  # characters of a post's text in a notice


def _cursor(value: int | None) -> int:
    if value is None:
        return _END
    return validation.positive_id(value, "before")


def _can_see(relation: tuple[bool, bool, bool] | None) -> bool:
    """Friends, and no block either way."""
    return relation is not None and relation[0] and not relation[1] and not relation[2]


def visible(tx: Tx, viewer: int, rows: list[Row], now: int) -> list[Row]:
    """The posts among ``rows`` that ``viewer`` may see, in the same order (three reads, whatever the count)."""
    others = [r for r in rows if r["author_id"] != viewer]
    authors = sorted({r["author_id"] for r in others})
    relation = contacts.relations(tx, viewer, authors)
    windows = store.windows(tx, authors)
    named = store.named_in(tx, viewer, [r["id"] for r in others if r["audience"] in (ONLY, EXCEPT)])
    keep = []
    for r in rows:
        author = r["author_id"]
        if author != viewer:
            days = windows.get(author, 0)
            if (
                not _can_see(relation.get(author))
                or r["audience"] == ME
                or (days and r["created_at"] < now - days * DAY_MS)
                or (r["audience"] == ONLY and r["id"] not in named)
                or (r["audience"] == EXCEPT and r["id"] in named)
            ):
                continue
        keep.append(r)
    return keep


class MomentService:
    def __init__(
        self, db: Database, writer: Writer, clock: Clock, caps: MomentLimits, limits: Limits, max_friends: int
    ) -> None:
        self.db = db
        self.writer = writer
        self.clock = clock
        self.caps = caps
        self.limits = limits
        self.max_friends = max_friends

    # -- posting -------------------------------------------------------------------------------

    async def post(self, caller: Caller, client_id: str, text: str | None, images: list[str] | None,
                   place: str = "", audience: str = FRIENDS, people: list[int] | None = None) -> Post:  # fmt: skip
        return (await self.publish(caller, client_id, text, images, place, audience, people))[0]

    async def publish(
        self,
        caller: Caller,
        client_id: str,
        text: str | None,
        images: list[str] | None,
        place: str = "",
        audience: str = FRIENDS,
        people: list[int] | None = None,
    ) -> tuple[Post, bool]:
        """Post to one's friends (or some of them): the post, and whether it is new. ``client_id``
        makes it idempotent: posting again with the same one returns the first post, unchanged."""
        if (
            not isinstance(client_id, str)
            or not client_id
            or len(client_id) > MAX_CLIENT_ID
            or not all(c.isascii() and (c.isalnum() or c in "-_") for c in client_id)
        ):
            raise Invalid("id must be 1 to 64 letters, digits, - or _", field="id")
        text = validation.message_text(text, self.caps.max_text_bytes) if text is not None else ""
        images = list(images or [])
        if not text and not images:
            raise Invalid("a post needs text or at least one image", "empty_post", field="text")
        if len(images) > MAX_IMAGES:
            raise Invalid(f"a post holds at most {MAX_IMAGES} images", field="images")
        if len(set(images)) != len(images):
            raise Invalid("an image appears twice", field="images")
        place = validation.line(place, "place", MAX_PLACE, allow_empty=True)
        if audience not in AUDIENCES:
            raise Invalid(f"audience must be one of {', '.join(AUDIENCES)}", field="audience")
        named = sorted(set(people or []))
        if audience in (ONLY, EXCEPT) and not named:
            raise Invalid(f"an audience of {audience} names at least one friend", field="people")
        if audience in (FRIENDS, ME) and people is not None:
            raise Invalid(f"an audience of {audience} names nobody", field="people")
        if len(named) > self.max_friends:
            raise Invalid(f"at most {self.max_friends} people", field="people")
        me = caller.user_id

        def create(tx: Tx, log: EventLog) -> tuple[Post, bool]:
            old = store.post_by_client_id(tx, me, client_id)
            if old is not None:
                return self._render(tx, me, [old], log.now)[0], False
            friends = contacts.relations(tx, me, named)
            if any(not friends[p][0] for p in named):
                raise Invalid("people must all be your friends", "not_friends", field="people")
            for media_id in images:
                media.own(tx, me, media_id, (IMAGE,))
            post_id = store.insert_post(tx, me, client_id, text, place, encode(images).decode(), audience, log.now)
            store.insert_audience(tx, post_id, named)
            for media_id in images:
                media.refer(tx, media_id, REF_MOMENT_POST, post_id)
            store.add_to_timelines(tx, post_id, me, [me])
            if audience != ME:
                log.enqueue(FANOUT, encode({"post_id": post_id, "after": 0}))
            row = store.post(tx, post_id)
            assert row is not None
            return self._render(tx, me, [row], log.now)[0], True

        await self.limits.take("moment_user", me)
        return await self.writer.run(create)

    async def on_fanout(self, payload: bytes) -> None:
        job = decode(payload)
        await self.writer.run(self._fanout, int(job["post_id"]), int(job["after"]))

    def _fanout(self, tx: Tx, log: EventLog, post_id: int, after: int) -> None:
        """One batch of a post's fan-out: the author's friends with ids above ``after``, at most a
        batch of them, who are in its audience; the next batch is the next job."""
        row = store.post(tx, post_id)
        if row is None:
            return  # deleted meanwhile
        batch = contacts.friend_ids_after(tx, row["author_id"], after, self.caps.fanout_batch)
        if not batch:
            return
        readers = batch
        if row["audience"] in (ONLY, EXCEPT):
            named = set(store.audience_of(tx, post_id))
            readers = [f for f in batch if (f in named) == (row["audience"] == ONLY)]
        store.add_to_timelines(tx, post_id, row["author_id"], readers)
        if len(batch) == self.caps.fanout_batch:
            log.enqueue(FANOUT, encode({"post_id": post_id, "after": batch[-1]}))

    async def delete_post(self, caller: Caller, post_id: int) -> None:
        def delete(tx: Tx, log: EventLog) -> None:
            row = store.post(tx, post_id)
            if row is None or row["author_id"] != caller.user_id:
                raise NotFound(_NO_POST)
            media.release(tx, log, REF_MOMENT_POST, [post_id])
            store.delete_posts(tx, [post_id])

        await self.writer.run(delete)

    # -- reading -------------------------------------------------------------------------------

    async def timeline(self, caller: Caller, before: int | None, limit: int | None) -> Page:
        """The posts the caller may see, their own and their friends', newest first."""
        start, want = _cursor(before), self._limit(limit)
        me = caller.user_id

        def read(tx: Tx) -> Page:
            return self._page(tx, me, start, want, lambda cursor, n: store.timeline(tx, me, cursor, n))

        return await self.db.read(read)

    async def album(self, caller: Caller, user_id: int, before: int | None, limit: int | None) -> Page:
        """What the caller may see of one person's posts, newest first. For anyone the caller may not
        see (not a friend, blocked either way, no such user) the answer is the same 404."""
        start, want = _cursor(before), self._limit(limit)
        me = caller.user_id

        def read(tx: Tx) -> Page:
            since = 0
            if user_id != me:
                if not _can_see(contacts.relations(tx, me, [user_id]).get(user_id)):
                    raise NotFound("no such friend", "no_such_user")
                days = store.windows(tx, [user_id]).get(user_id, 0)
                since = self.clock.now_ms() - days * DAY_MS if days else 0
            return self._page(tx, me, start, want, lambda cursor, n: store.album(tx, user_id, cursor, n, since))

        return await self.db.read(read)

    async def get_post(self, caller: Caller, post_id: int) -> Post:
        def read(tx: Tx) -> Post:
            return self._render(tx, caller.user_id, [self._visible_post(tx, caller.user_id, post_id)])[0]

        return await self.db.read(read)

    def _limit(self, limit: int | None) -> int:
        if limit is None:
            return min(20, self.caps.page_max)
        if not 1 <= limit <= self.caps.page_max:
            raise Invalid(f"limit must be 1 to {self.caps.page_max}", field="limit")
        return limit

    def _page(self, tx: Tx, viewer: int, cursor: int, want: int, ids_before: Any) -> Page:
        """Up to ``want`` visible posts older than ``cursor``. Entries the viewer may no longer see
        (a friend removed, a window passed) are skipped; after ``PAGE_ROUNDS`` reads a page answers
        short, with a cursor to go on, so a page's cost stays bounded whatever was skipped."""
        now = self.clock.now_ms()
        shown: list[Row] = []
        for _ in range(PAGE_ROUNDS):
            ids = ids_before(cursor, want)
            if not ids:
                return Page(self._render(tx, viewer, shown, now))
            rows = store.posts(tx, ids)
            seen = visible(tx, viewer, [rows[i] for i in ids if i in rows], now)
            shown += seen[: want - len(shown)]
            cursor = ids[-1]
            if len(shown) == want:
                return Page(self._render(tx, viewer, shown, now), shown[-1]["id"])
            if len(ids) < want:
                return Page(self._render(tx, viewer, shown, now))
        return Page(self._render(tx, viewer, shown, now), cursor)

    def _visible_post(self, tx: Tx, viewer: int, post_id: int) -> Row:
        row = store.post(tx, post_id)
        if row is None or not visible(tx, viewer, [row], self.clock.now_ms()):
            raise NotFound(_NO_POST)  # the same for a post that exists and one that does not
        return row

    def _render(self, tx: Tx, viewer: int, rows: list[Row], now: int | None = None) -> list[Post]:
        """The posts as ``viewer`` sees them, with only the likes and comments they may see."""
        if not rows:
            return []
        ids = [r["id"] for r in rows]
        likes, comments = store.likes(tx, ids), store.comments(tx, ids)
        makers = {r["author_id"] for r in rows}
        makers |= {like["user_id"] for like in likes} | {c["author_id"] for c in comments}
        makers |= {c["reply_to_user_id"] for c in comments if c["reply_to_user_id"] is not None}
        sees = {m for m, rel in contacts.relations(tx, viewer, sorted(makers - {viewer})).items() if _can_see(rel)}
        sees.add(viewer)
        users = {i: user_from_row(u) for i, u in accounts.shown_users(tx, sorted(makers)).items()}
        authors = {r["id"]: r["author_id"] for r in rows}
        listed = [r["id"] for r in rows if r["author_id"] == viewer and r["audience"] in (ONLY, EXCEPT)]
        named = store.audiences(tx, listed)

        def shown(post_id: int, maker: int) -> bool:
            return maker in sees or authors[post_id] == viewer

        post_likes: dict[int, list[Like]] = {}
        liked: set[int] = set()
        for like in likes:
            if like["user_id"] == viewer:
                liked.add(like["post_id"])
            if shown(like["post_id"], like["user_id"]) and like["user_id"] in users:
                post_likes.setdefault(like["post_id"], []).append(Like(users[like["user_id"]], like["created_at"]))
        post_comments: dict[int, list[Comment]] = {}
        for c in comments:
            if not shown(c["post_id"], c["author_id"]) or c["author_id"] not in users:
                continue
            # a reply names whom it answers only to those who may see that person's comments
            to = c["reply_to_user_id"]
            reply_to = users.get(to) if to is not None and shown(c["post_id"], to) else None
            post_comments.setdefault(c["post_id"], []).append(
                Comment(c["id"], users[c["author_id"]], c["text"], c["created_at"], reply_to)
            )
        posts = []
        for r in rows:
            mine = r["author_id"] == viewer
            posts.append(
                Post(
                    r["id"], users[r["author_id"]], r["text"], decode(r["images"]), r["place"], r["created_at"],
                    post_likes.get(r["id"], []), post_comments.get(r["id"], []), r["id"] in liked,
                    r["audience"] if mine else None,
                    named.get(r["id"]) if mine and r["audience"] in (ONLY, EXCEPT) else None,
                )
            )  # fmt: skip
        return posts

    # -- likes and comments --------------------------------------------------------------------

    async def like(self, caller: Caller, post_id: int, *, on: bool) -> Post:
        me = caller.user_id

        def like(tx: Tx, log: EventLog) -> Post:
            row = self._visible_post(tx, me, post_id)
            if on and store.like(tx, post_id, me, log.now) and row["author_id"] != me:
                notice = {"post": self._preview(row), "user": self._user(tx, me), "created_at": log.now}
                log.append(row["author_id"], MOMENT_LIKED, encode(notice))
            elif not on:
                store.unlike(tx, post_id, me)
            return self._render(tx, me, [row], log.now)[0]

        await self.limits.take("moment_interaction_user", me)
        return await self.writer.run(like)

    async def comment(self, caller: Caller, post_id: int, text: str, reply_to: int | None = None) -> Comment:
        """Comment on a post the caller sees, or reply to a comment on it that they see. The post's
        author is told, and so is whoever is replied to, if they may see the caller's comments."""
        text = validation.message_text(text, self.caps.max_comment_bytes)
        me = caller.user_id

        def comment(tx: Tx, log: EventLog) -> Comment:
            row = self._visible_post(tx, me, post_id)
            answered = None
            if reply_to is not None:
                answered = store.comment(tx, reply_to)
                if answered is None or answered["post_id"] != post_id or not self._sees_comment(tx, me, row, answered):
                    raise NotFound("no such comment", field="reply_to")
            if store.comment_count(tx, post_id) >= self.caps.max_comments_per_post:
                raise TooLarge(f"a post takes at most {self.caps.max_comments_per_post} comments",
                               limit=self.caps.max_comments_per_post)  # fmt: skip
            comment_id = store.insert_comment(tx, post_id, me, answered, text, log.now)
            user = self._user(tx, me)
            to_user = None
            if answered is not None and answered["author_id"] != me:
                to_user = self._user(tx, answered["author_id"])
            made = Comment(comment_id, user, text, log.now, to_user)
            notice = encode({"post": self._preview(row), "comment": made, "created_at": log.now})
            told = set()
            if row["author_id"] != me:
                told.add(row["author_id"])
            if answered is not None and answered["author_id"] not in (me, row["author_id"]):
                replied = answered["author_id"]
                # told only if they may see both the post and the one replying
                if _can_see(contacts.relations(tx, replied, [me]).get(me)) and visible(tx, replied, [row], log.now):
                    told.add(replied)
            log.append_many(sorted(told), MOMENT_COMMENTED, notice)
            return made

        await self.limits.take("moment_interaction_user", me)
        return await self.writer.run(comment)

    async def delete_comment(self, caller: Caller, comment_id: int) -> None:
        """Its author deletes a comment, or the author of the post it is on."""
        me = caller.user_id

        def delete(tx: Tx, log: EventLog) -> None:
            found = store.comment(tx, comment_id)
            row = store.post(tx, found["post_id"]) if found is not None else None
            if (
                found is None
                or row is None
                or not visible(tx, me, [row], log.now)
                or not self._sees_comment(tx, me, row, found)
            ):
                raise NotFound("no such comment")
            if me not in (found["author_id"], row["author_id"]):
                raise Forbidden("only its author or the post's author may delete a comment")
            store.delete_comment(tx, comment_id)

        await self.writer.run(delete)

    def _sees_comment(self, tx: Tx, viewer: int, post: Row, comment: Row) -> bool:
        maker = comment["author_id"]
        if viewer in (maker, post["author_id"]):
            return True
        return _can_see(contacts.relations(tx, viewer, [maker]).get(maker))

    def _user(self, tx: Tx, user_id: int) -> User:
        return user_from_row(accounts.shown_users(tx, [user_id])[user_id])

    def _preview(self, row: Row) -> dict[str, Any]:
        """What a notice shows of the post it is about."""
        images = decode(row["images"])
        preview: dict[str, Any] = {"id": row["id"], "text": row["text"][:_PREVIEW]}
        if images:
            preview["image"] = images[0]
        return preview

    # -- the setting ---------------------------------------------------------------------------

    async def settings(self, caller: Caller) -> Settings:
        days = await self.db.read(store.windows, [caller.user_id])
        return Settings(days.get(caller.user_id, 0))

    async def set_window(self, caller: Caller, days: int) -> Settings:
        if days not in WINDOWS:
            raise Invalid(f"window_days must be one of {', '.join(map(str, WINDOWS))}", field="window_days")

        def update(tx: Tx, log: EventLog) -> Settings:
            store.set_window(tx, caller.user_id, days)
            return Settings(days)

        return await self.writer.run(update)


def visible_posts(tx: Tx, viewer: int, post_ids: Iterable[int], now: int) -> set[int]:
    """Which of these posts ``viewer`` may see (media asks this before serving a post's image)."""
    return {r["id"] for r in visible(tx, viewer, list(store.posts(tx, list(post_ids)).values()), now)}


def forget_user(tx: Tx, log: EventLog, user_id: int) -> None:
    """A deleted user's posts (with everything on them), their likes and comments, their timeline."""
    posts = store.post_ids_of(tx, user_id)
    media.release(tx, log, REF_MOMENT_POST, posts)
    store.delete_posts(tx, posts)
    store.forget_user(tx, user_id)
