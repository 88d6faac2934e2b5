"""Conversations, groups, messages and per-member state."""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from msgspec import Meta

from kith.chats.models import MAX_MENTIONS, Ack, Conversation, Location, Member, Message
from kith.http.api.accounts import Strict
from kith.http.api.fields import (
    ClientId,
    GroupName,
    HistoryLimit,
    Id,
    MemberIds,
    PlaceLabel,
    SearchText,
    Seq,
    Text,
    at_least_one,
    exactly_one,
    only_with,
)
from kith.http.endpoint import Call


class DirectIn(Strict):
    user_id: Annotated[Id, Meta(description="The friend to talk with")]


class GroupIn(Strict):
    user_ids: Annotated[MemberIds, Meta(description="The friends to add; you are a member, and the owner, without "
                                        "being named")]  # fmt: skip
    name: GroupName = ""


class GroupUpdateIn(Strict):
    schema_extra = at_least_one("name", "owner_id", "owner_only_adds")

    name: Annotated[GroupName | None, Meta(description="A new name (any member may rename the group)")] = None
    owner_id: Annotated[Id | None, Meta(description="Hand the group to this member (owner only)")] = None
    owner_only_adds: Annotated[
        bool | None, Meta(description="true: only the owner may add members; false: any member may (owner only)")
    ] = None


class PrefsIn(Strict):
    schema_extra = at_least_one("muted", "pinned")

    muted: Annotated[bool | None, Meta(description="Mute it: its messages still arrive, without a notification")] = None
    pinned: Annotated[bool | None, Meta(description="Pin it to the top of your conversation list")] = None


class ReadIn(Strict):
    seq: Annotated[
        Seq, Meta(description="The seq of the last message you have read (a read position only moves forward)")
    ]


class ReadOut(msgspec.Struct):
    read_seq: Annotated[int, Meta(description="Your read position now (the higher of the one you gave and the one "
                                  "you had)")]  # fmt: skip


class MembersIn(Strict):
    user_ids: Annotated[MemberIds, Meta(description="The friends to add")]


class LocationIn(Strict):
    latitude: Annotated[float, Meta(ge=-90, le=90, description="Degrees north of the equator (south: negative)")]
    longitude: Annotated[float, Meta(ge=-180, le=180, description="Degrees east of Greenwich (west: negative)")]
    label: PlaceLabel = ""
    scale: Annotated[int, Meta(ge=1, le=20, description="How closely to show it on a map: a zoom level from 1 (the "
                                          "world) to 20 (a building)")] = 15  # fmt: skip


class SendIn(Strict):
    """A text message, or an image, voice note or file (``media_id``: an upload of yours)."""

    schema_extra = {**exactly_one("text", "media_id", "location"), **only_with("mentions", "text")}

    id: Annotated[ClientId, Meta(description="Your idempotency key for this send, one per message of yours: resending "
                                 "the same id returns the original acknowledgement (200, `duplicate: true`) and stores "
                                 "nothing; the same id for a different message is refused (409 `client_id_conflict`). "
                                 "Members see it as the message's `client_id`")]  # fmt: skip
    text: Text | None = None
    reply_to: Annotated[
        Annotated[Seq, Meta(extra_json_schema={"minimum": 1})] | None,
        Meta(description="The seq of the message this one answers: it is quoted (the first 200 characters)"),
    ] = None
    media_id: Annotated[
        Annotated[str, Meta(pattern="^[A-Za-z0-9_-]{22}$")] | None,
        Meta(description="An upload of yours (POST /api/v1/media) to send: an image, voice note, video or file "
             "message, as its kind"),
    ] = None  # fmt: skip
    location: Annotated[LocationIn | None, Meta(description="A place to share: a location message")] = None
    mentions: Annotated[
        Annotated[list[Id], Meta(max_length=MAX_MENTIONS)] | None,
        Meta(description="Members of the group the text names (@), by user id: each of them (but you) finds the "
             "conversation marked (`mentioned`) until they have read it, and hears of it even if they muted it"),
    ] = None  # fmt: skip


class HistoryQuery(msgspec.Struct):
    before: Annotated[Seq | None, Meta(description="The page of messages just before this seq (not with `after`)")] = (
        None
    )
    after: Annotated[Seq | None, Meta(description="The page of messages just after this seq (not with `before`)")] = (
        None
    )
    limit: HistoryLimit | None = None


class SearchQuery(msgspec.Struct):
    q: SearchText
    before: Annotated[Id | None, Meta(description="The `next` of the page before: messages older than that")] = None
    limit: Annotated[
        Annotated[int, Meta(extra_json_schema={"minimum": 1, "maximum": 50})] | None,
        Meta(description="At most this many messages (default 20)"),
    ] = None


class SearchOut(msgspec.Struct, omit_defaults=True):
    """Newest first; ``next``, absent at the end, is the ``before`` of the next page."""

    messages: Annotated[list[Message], Meta(description="The messages found, newest first")]
    next: Annotated[int | None, Meta(description="Pass as `before` for the next page; absent at the end")] = None


class ConversationsOut(msgspec.Struct):
    conversations: Annotated[
        list[Conversation],
        Meta(description="Yours: pinned first, then the latest activity first"),
    ]


class MembersOut(msgspec.Struct):
    members: Annotated[list[Member], Meta(description="Everyone in the conversation, you too")]


class HistoryOut(msgspec.Struct):
    messages: Annotated[list[Message], Meta(description="The messages you may see, oldest first (by seq)")]
    has_more: Annotated[bool, Meta(description="Whether there are more in the direction asked for: before the first "
                                   "(newest page or `before`) or after the last (`after`)")]  # fmt: skip


def _id(call: Call) -> int:
    return call.path["conversation_id"]


async def conversations(call: Call) -> ConversationsOut:
    return ConversationsOut(await call.services.chats.conversations(call.caller))


async def open_direct(call: Call) -> Conversation:
    return await call.services.chats.open_direct(call.caller, call.body.user_id)


async def create_group(call: Call) -> Conversation:
    b: GroupIn = call.body
    return await call.services.chats.create_group(call.caller, b.name, b.user_ids)


async def conversation(call: Call) -> Conversation:
    return await call.services.chats.conversation(call.caller, _id(call))


async def update_group(call: Call) -> Conversation:
    b: GroupUpdateIn = call.body
    return await call.services.chats.update_group(call.caller, _id(call), b.name, b.owner_id, b.owner_only_adds)


async def set_prefs(call: Call) -> Conversation:
    b: PrefsIn = call.body
    return await call.services.chats.set_prefs(call.caller, _id(call), b.muted, b.pinned)


async def mark_read(call: Call) -> ReadOut:
    return ReadOut(await call.services.chats.mark_read(call.caller, _id(call), call.body.seq))


async def members(call: Call) -> MembersOut:
    return MembersOut(await call.services.chats.members(call.caller, _id(call)))


async def add_members(call: Call) -> Conversation:
    return await call.services.chats.add_members(call.caller, _id(call), call.body.user_ids)


async def remove_member(call: Call) -> None:
    await call.services.chats.remove_member(call.caller, _id(call), call.path["user_id"])


async def leave(call: Call) -> None:
    await call.services.chats.leave(call.caller, _id(call))


async def search(call: Call) -> SearchOut:
    q: SearchQuery = call.query
    return SearchOut(**await call.services.chats.search(call.caller, q.q, q.before, q.limit))


async def history(call: Call) -> Any:
    q: HistoryQuery = call.query
    return HistoryOut(**await call.services.chats.history(call.caller, _id(call), q.before, q.after, q.limit))


async def send(call: Call) -> tuple[Ack, int]:
    b: SendIn = call.body
    place = Location(**msgspec.structs.asdict(b.location)) if b.location is not None else None
    ack: Ack = await call.services.chats.send(
        call.caller, _id(call), b.id, b.text or "", b.reply_to, b.media_id, place, b.mentions
    )
    return ack, 200 if ack.duplicate else 201


async def recall(call: Call) -> Message:
    return await call.services.chats.recall(call.caller, _id(call), call.path["seq"])


async def hide(call: Call) -> Conversation:
    return await call.services.chats.hide(call.caller, _id(call), call.path["seq"])
