"""Conversations, groups, messages and per-member state."""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from msgspec import Meta

from kith.chats.models import Ack, Conversation, Location, Member, Message
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
)
from kith.http.endpoint import Call


class DirectIn(Strict):
    user_id: Id


class GroupIn(Strict):
    user_ids: MemberIds
    name: GroupName = ""


class GroupUpdateIn(Strict):
    schema_extra = at_least_one("name", "owner_id", "owner_only_adds")

    name: GroupName | None = None
    owner_id: Id | None = None
    owner_only_adds: bool | None = None


class PrefsIn(Strict):
    schema_extra = at_least_one("muted", "pinned")

    muted: bool | None = None
    pinned: bool | None = None


class ReadIn(Strict):
    seq: Seq


class ReadOut(msgspec.Struct):
    read_seq: int


class MembersIn(Strict):
    user_ids: MemberIds


class LocationIn(Strict):
    latitude: Annotated[float, Meta(ge=-90, le=90)]
    longitude: Annotated[float, Meta(ge=-180, le=180)]
    label: PlaceLabel = ""
    scale: Annotated[int, Meta(ge=1, le=20)] = 15


class SendIn(Strict):
    """A text message, or an image, voice note or file (``media_id``: an upload of yours)."""

    schema_extra = exactly_one("text", "media_id", "location")

    id: ClientId
    text: Text | None = None
    reply_to: Annotated[Seq, Meta(extra_json_schema={"minimum": 1})] | None = None
    media_id: Annotated[str, Meta(pattern="^[A-Za-z0-9_-]{22}$")] | None = None
    location: LocationIn | None = None


class HistoryQuery(msgspec.Struct):
    before: Seq | None = None
    after: Seq | None = None
    limit: HistoryLimit | None = None


class SearchQuery(msgspec.Struct):
    q: SearchText
    before: Id | None = None
    limit: Annotated[int, Meta(extra_json_schema={"minimum": 1, "maximum": 50})] | None = None


class SearchOut(msgspec.Struct, omit_defaults=True):
    """Newest first; ``next``, absent at the end, is the ``before`` of the next page."""

    messages: list[Message]
    next: int | None = None


class ConversationsOut(msgspec.Struct):
    conversations: list[Conversation]


class MembersOut(msgspec.Struct):
    members: list[Member]


class HistoryOut(msgspec.Struct):
    messages: list[Message]
    has_more: bool


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
    ack: Ack = await call.services.chats.send(call.caller, _id(call), b.id, b.text or "", b.reply_to, b.media_id, place)
    return ack, 200 if ack.duplicate else 201


async def recall(call: Call) -> Message:
    return await call.services.chats.recall(call.caller, _id(call), call.path["seq"])
