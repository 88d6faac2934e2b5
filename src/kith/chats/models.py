"""Conversations and messages."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import msgspec

from kith.accounts.models import User
from kith.events.types import EventType
from kith.jsonenc import decode, encode
from kith.media.models import KINDS as MEDIA_KINDS
from kith.media.models import Media
from kith.platform.models import AccountCard

CLIENT_ID = re.compile(r"\A[A-Za-z0-9_-]{1,64}\Z")  # \Z: `$` would also match before a final newline
MAX_GROUP_NAME = 64
QUOTE_CHARS = 200
MAX_MENTIONS = 50  # members one message may name

# message kinds
# the events chats emit (docs/sync.md lists them all)
MESSAGE = EventType("message", ref="message")
MESSAGE_RECALLED = EventType("message.recalled")
MESSAGE_HIDDEN = EventType("message.hidden")  # deleted for one member only, on their own devices
CONVERSATION_JOINED = EventType("conversation.joined")
CONVERSATION_LEFT = EventType("conversation.left")
CONVERSATION_READ = EventType("conversation.read")
CONVERSATION_PREFS = EventType("conversation.prefs")

TEXT = "text"
SYSTEM = "system"
NEWS = "news"  # article cards, from an official account
LOCATION = "location"
MAX_PLACE_LABEL = 100

# conversation kinds
DIRECT = "direct"
GROUP = "group"
OFFICIAL = "official"  # an official account and one follower (docs/platform.md)


class Quote(msgspec.Struct, omit_defaults=True):
    seq: int
    sender_id: int | None
    text: str | None  # None once the quoted message has been recalled
    kind: str = "text"  # of the quoted message (absent for text): a quoted image, voice note or file has no text


class Location(msgspec.Struct, forbid_unknown_fields=True):
    """A place shared in a chat: where, what it is called, and how closely to show it on a map."""

    latitude: float
    longitude: float
    label: str = ""
    scale: int = 15  # a map's zoom level, 1 (the world) to 20 (a building)


class Article(msgspec.Struct):
    """One card of a news message: a link with a title, a line and a picture. A card of an
    account's articles opens them in kith (``page``: "<set's media id>/<index>") with a picture kith
    serves (``picture``: a media id); any other links elsewhere, and its ``picurl`` is not loaded."""

    title: str
    description: str = ""
    url: str = ""
    picurl: str = ""
    picture: str = ""
    page: str = ""


class Message(msgspec.Struct):
    id: int
    conversation_id: int
    seq: int
    sender_id: int | None
    client_id: str | None
    kind: str
    text: str
    created_at: int
    recalled: bool = False
    reply_to: Quote | None = None
    system: dict[str, Any] | None = None
    media: Media | None = None  # of an image, voice, video or file message (docs/media.md)
    articles: list[Article] | None = None  # of a news message
    location: Location | None = None  # of a location message
    mentions: list[int] | None = None  # the members a group's text message names (@), by user id


class Member(msgspec.Struct):
    user: User
    role: str  # owner | member
    joined_at: int


@dataclass(frozen=True)
class ChatLimits:
    """The sizes chats keep to (from the settings table; see docs/settings.md)."""

    max_text_bytes: int = 16 * 1024
    max_members: int = 500
    recall_window_ms: int = 120_000
    history_page_max: int = 200


class Conversation(msgspec.Struct):
    """A conversation as one member sees it, with that member's own settings and counters."""

    id: int
    kind: str
    name: str
    owner_id: int | None
    owner_only_adds: bool
    member_count: int
    last_seq: int
    last_activity_at: int
    read_seq: int
    unread: int
    muted: bool
    pinned: bool
    peer: User | None = None  # the other person of a direct conversation
    remark: str = ""  # the caller's remark for that person
    last_message: Message | None = None
    avatar: str | None = None  # a group's picture: a media id
    account: AccountCard | None = None  # the official account of an official conversation
    mentioned: bool = False  # a message since the member's read position names them
    last_sender: User | None = None  # of a group's last message, when not the viewer: whom the list names


# group invite links (docs/contacts.md)
LINK_MIN_SECONDS = 60
LINK_MAX_SECONDS = 7 * 86400
LINK_DEFAULT_SECONDS = 7 * 86400
MAX_LINK_USES = 1000
MAX_GROUP_LINKS = 20  # live links per group


class GroupLink(msgspec.Struct):
    """An invite link of a group, as those who may manage it see it."""

    id: int
    conversation_id: int
    token: str | None  # None for a link made under another invite key: revoke it and make another
    created_by: int
    created_at: int
    expires_at: int
    max_uses: int | None
    uses: int


class GroupCard(msgspec.Struct, omit_defaults=True):
    """What a group invite link shows the one who opens it."""

    name: str
    member_count: int
    avatar: str | None = None  # shown through the link (POST /group-links/picture), members see it anyway
    is_member: bool = False
    conversation_id: int | None = None  # only to a member, who knows it already


class Ack(msgspec.Struct):
    """What a sender learns once its message is durable."""

    message: Message
    duplicate: bool = False


def message_from_row(row: Any) -> Message:
    recalled = row["recalled_at"] is not None
    system = media = articles = location = None
    mentions = None if recalled or not row["mentions"] else _MENTIONS.decode(row["mentions"])
    text = row["body"]
    if recalled:
        text = ""
    elif row["kind"] == SYSTEM:
        system, text = decode(text), ""
    elif row["kind"] in MEDIA_KINDS:  # an account's video may come with a caption (its title)
        media, text = _MEDIA.decode(text), _CAPTION.decode(text).caption
    elif row["kind"] == NEWS:
        articles, text = _ARTICLES.decode(text), ""
    elif row["kind"] == LOCATION:
        location, text = _LOCATION.decode(text), ""
    reply = None
    if row["reply_to_seq"] is not None:
        preview = decode(row["reply_preview"]) if row["reply_preview"] else None
        reply = Quote(
            seq=row["reply_to_seq"],
            sender_id=preview["sender_id"] if preview else None,
            text=preview["text"] if preview else None,
            kind=preview.get("kind", TEXT) if preview else TEXT,
        )
    return Message(
        id=row["id"],
        conversation_id=row["conversation_id"],
        seq=row["seq"],
        sender_id=row["sender_id"],
        client_id=row["client_id"],
        kind=row["kind"],
        text=text,
        created_at=row["created_at"],
        recalled=recalled,
        reply_to=reply,
        system=system,
        media=media,
        articles=articles,
        location=location,
        mentions=mentions,
    )


class _Caption(msgspec.Struct):
    caption: str = ""


_MEDIA = msgspec.json.Decoder(Media)
_CAPTION = msgspec.json.Decoder(_Caption)
_ARTICLES = msgspec.json.Decoder(list[Article])
_LOCATION = msgspec.json.Decoder(Location)
_MENTIONS = msgspec.json.Decoder(list[int])


def message_json(row: Any) -> bytes:
    return encode(message_from_row(row))
