"""Friends, friend requests and blocks."""

from __future__ import annotations

import msgspec

from kith.accounts.models import User
from kith.events.types import EventType

# the events contacts emit (docs/sync.md lists them all)
FRIEND_REQUEST = EventType("friend.request")
FRIEND_ADDED = EventType("friend.added")
FRIEND_REMOVED = EventType("friend.removed")
FRIEND_UPDATED = EventType("friend.updated")
CONTACT_BLOCKED = EventType("contact.blocked")
CONTACT_UNBLOCKED = EventType("contact.unblocked")

MAX_GREETING = 200
MAX_REMARK = 64


class Friend(msgspec.Struct):
    user: User
    remark: str
    since: int
    blocked: bool = False


class FriendRequest(msgspec.Struct):
    id: int
    from_user: User
    to_user: User
    greeting: str
    status: str  # pending | accepted | declined | cancelled
    created_at: int
    updated_at: int


class Relationship(msgspec.Struct):
    """Someone found by handle, and where the caller stands with them."""

    user: User
    is_friend: bool
    is_self: bool
    outgoing_request_id: int | None
    incoming_request_id: int | None
    blocked: bool


class InviteLink(msgspec.Struct):
    """Your own invite link: whoever opens it may ask you to be friends."""

    token: str
    created_at: int


class InviteCard(msgspec.Struct, omit_defaults=True):
    """What an invite link shows the one who opens it: the inviter's name and picture, never the
    handle (docs/contacts.md); and where the visitor stands with them."""

    display_name: str
    avatar: str | None
    is_self: bool = False
    is_friend: bool = False
    requested: bool = False  # the visitor already asked them (pending)
    user_id: int | None = None  # only to a friend (or the inviter), who knows it already
