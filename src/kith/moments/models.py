"""Moments: posts for one's friends, their likes and comments, and the limits on them."""

from __future__ import annotations

from dataclasses import dataclass

import msgspec

from kith.accounts.models import User
from kith.events.types import EventType

# the events Moments emits (docs/sync.md lists them all): a notice to whom an interaction concerns
MOMENT_LIKED = EventType("moment.liked")  # someone liked your post
MOMENT_COMMENTED = EventType("moment.commented")  # someone commented on your post or replied to your comment

# who a post is for
FRIENDS, ONLY, EXCEPT, ME = "friends", "only", "except", "me"
AUDIENCES = (FRIENDS, ONLY, EXCEPT, ME)
# how far back friends may see one's posts (the user's setting), in days; 0 is everything
WINDOWS = (0, 3, 30, 180)

MAX_IMAGES = 9
MAX_PLACE = 80  # characters of a place label
MAX_CLIENT_ID = 64


@dataclass(frozen=True)
class MomentLimits:
    max_text_bytes: int = 8 * 1024  # a post's text
    max_comment_bytes: int = 2 * 1024
    max_comments_per_post: int = 1_000
    page_max: int = 50  # posts in one page of a timeline or an album
    fanout_batch: int = 500  # readers one fan-out job writes in one transaction


class Like(msgspec.Struct):
    user: User
    created_at: int


class Comment(msgspec.Struct, omit_defaults=True):
    id: int
    user: User
    text: str
    created_at: int
    reply_to: User | None = None  # a reply names whom it answers


class Post(msgspec.Struct, omit_defaults=True):
    """A post as one viewer sees it: only the likes and comments that viewer may see."""

    id: int
    author: User
    text: str
    images: list[str]  # media ids (docs/media.md), in order
    place: str
    created_at: int
    likes: list[Like]
    comments: list[Comment]
    liked: bool  # whether the viewer liked it
    audience: str | None = None  # friends | only | except | me: shown to the author only
    audience_ids: list[int] | None = None  # the friends an only/except audience names (author only)


class Page(msgspec.Struct, omit_defaults=True):
    """Posts newest first. ``next`` (absent at the end) fetches the posts older than these; a page may
    hold fewer than asked for and still have a ``next``."""

    posts: list[Post]
    next: int | None = None


class Settings(msgspec.Struct):
    window_days: int  # 0: friends see all of one's posts; else only those of the last 3, 30 or 180 days
