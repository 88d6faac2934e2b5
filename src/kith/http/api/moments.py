"""Moments: posts for one's friends, the timeline, albums, likes and comments (docs/moments.md)."""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from msgspec import Meta

from kith.http.api.accounts import Strict
from kith.http.api.fields import SETTING, ClientId, CommentText, Id, MomentPlace, PostText, at_least_one
from kith.http.endpoint import Call
from kith.moments.models import AUDIENCES, EXCEPT, FRIENDS, MAX_IMAGES, ME, ONLY, WINDOWS, MomentLimits

_CAPS = MomentLimits()
MediaId = Annotated[str, Meta(pattern="^[A-Za-z0-9_-]{22}$")]


Audience = Annotated[
    str,
    Meta(
        description="Who may see it: `friends` (all of them, the default), `only` the `people` named, all friends "
        "`except` them, or `me` alone",
        extra_json_schema={"enum": list(AUDIENCES)},
    ),
]
People = Annotated[
    list[Id],
    Meta(
        description="Your friends' user ids, for an `only` or `except` audience",
        extra_json_schema={"minItems": 1, SETTING: {"maxItems": ["max_friends", 1]}},
    ),
]
Images = Annotated[
    list[MediaId],
    Meta(
        description="Up to 9 images you uploaded (their media ids), in the order to show them",
        extra_json_schema={"minItems": 1, "maxItems": MAX_IMAGES, "uniqueItems": True},
    ),
]
PageLimit = Annotated[
    int,
    Meta(
        description="At most this many posts (default 20)", extra_json_schema={"minimum": 1, "maximum": _CAPS.page_max}
    ),
]
WindowDays = Annotated[
    int,
    Meta(
        description="How far back your friends may see your posts, in days: 0 (everything), 3, 30 or 180",
        extra_json_schema={"enum": list(WINDOWS)},
    ),
]


class PostIn(Strict):
    """Text, images (up to 9 of your uploads) or both. ``audience``: all your friends (the default),
    ``only`` the ``people`` named, all friends ``except`` them, or ``me`` alone. ``id`` is the
    idempotency key: posting again with the same id returns the first post and stores nothing."""

    schema_extra = {
        "allOf": [
            at_least_one("text", "images"),
            {
                "oneOf": [
                    {"properties": {"audience": {"enum": [FRIENDS, ME]}, "people": {"type": "null"}}},
                    {
                        "properties": {"audience": {"enum": [ONLY, EXCEPT]}, "people": {"type": "array"}},
                        "required": ["audience", "people"],
                    },
                ]
            },
        ]
    }

    id: Annotated[ClientId, Meta(description="Your idempotency key for this post: posting again with the same id "
                                 "returns the first post (200) and stores nothing")]  # fmt: skip
    text: PostText | None = None
    images: Images | None = None
    place: MomentPlace = ""
    audience: Audience = FRIENDS
    people: People | None = None


class CommentIn(Strict):
    """``reply_to``: the id of a comment on the same post that you see."""

    text: CommentText
    reply_to: Annotated[Id | None, Meta(description="The id of the comment (on the same post) this one answers")] = None


class PageQuery(msgspec.Struct):
    before: Annotated[Id | None, Meta(description="The `next` of the page before: the posts older than those")] = None
    limit: PageLimit | None = None


class SettingsIn(Strict):
    """How far back your friends may see your posts: 0 (everything), 3, 30 or 180 days."""

    window_days: WindowDays


async def create(call: Call) -> tuple[Any, int]:
    b: PostIn = call.body
    post, new = await call.services.moments.publish(call.caller, b.id, b.text, b.images, b.place, b.audience, b.people)
    return post, 201 if new else 200


async def timeline(call: Call) -> Any:
    q: PageQuery = call.query
    return await call.services.moments.timeline(call.caller, q.before, q.limit)


async def album(call: Call) -> Any:
    q: PageQuery = call.query
    return await call.services.moments.album(call.caller, call.path["user_id"], q.before, q.limit)


async def get_post(call: Call) -> Any:
    return await call.services.moments.get_post(call.caller, call.path["post_id"])


async def delete_post(call: Call) -> None:
    await call.services.moments.delete_post(call.caller, call.path["post_id"])


async def like(call: Call) -> Any:
    return await call.services.moments.like(call.caller, call.path["post_id"], on=True)


async def unlike(call: Call) -> Any:
    return await call.services.moments.like(call.caller, call.path["post_id"], on=False)


async def comment(call: Call) -> tuple[Any, int]:
    b: CommentIn = call.body
    return await call.services.moments.comment(call.caller, call.path["post_id"], b.text, b.reply_to), 201


async def delete_comment(call: Call) -> None:
    await call.services.moments.delete_comment(call.caller, call.path["comment_id"])


async def settings(call: Call) -> Any:
    return await call.services.moments.settings(call.caller)


async def set_settings(call: Call) -> Any:
    return await call.services.moments.set_window(call.caller, call.body.window_days)
