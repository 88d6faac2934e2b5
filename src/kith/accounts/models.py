"""Accounts as the rest of the system sees them."""

from __future__ import annotations

import re
from typing import Annotated

import msgspec
from msgspec import Meta

from kith.errors import Invalid
from kith.events.types import EventType

# the events accounts emit (docs/sync.md lists them all)
PROFILE_UPDATED = EventType("profile.updated")
DEVICE_ADDED = EventType("device.added")
DEVICE_REVOKED = EventType("device.revoked")

HANDLE = re.compile(r"^[a-z0-9_.]{3,32}$")
SIGN_IN_KEY = re.compile(r"^[A-Za-z0-9_-]{22,128}$")  # at least 128 random bits, URL-safe base64
MIN_PASSWORD = 8
MAX_PASSWORD = 1024
MAX_DISPLAY_NAME = 64
MAX_STATUS = 140
MAX_DEVICE_NAME = 64
# A deleted account keeps a tombstone row (its messages in others' chats still name it as sender):
# handle "deleted-<id>", which no live handle can be (HANDLE has no "-"), and this display name.
DELETED_HANDLE = "deleted-"
DELETED_NAME = "Deleted user"


def check_handle(handle: str) -> str:
    """A handle as typed (any case, stray spaces) in its one spelling, or Invalid."""
    handle = handle.strip().lower()
    if not HANDLE.match(handle):
        raise Invalid("handle must be 3 to 32 characters of a-z, 0-9, _ and .", field="handle")
    return handle


class User(msgspec.Struct, omit_defaults=True):
    """A user's public profile: what a friend, or someone who typed their exact handle, sees.

    ``deleted`` (only present when true) marks the tombstone of a deleted account."""

    id: int
    handle: str
    display_name: str
    status: str
    deleted: bool = False
    avatar: str | None = None  # a media id (docs/media.md); absent when none


class Device(msgspec.Struct):
    id: int
    name: str
    created_at: int
    last_seen_at: int
    current: bool = False


class Caller(msgspec.Struct, frozen=True):
    """The authenticated user and device behind a request."""

    user_id: int
    device_id: int


class ServerInfo(msgspec.Struct):
    """What the sign-in screen needs to know before anyone is signed in."""

    registration_open: Annotated[bool, Meta(description="Whether anyone may sign up here")]
    first_account: Annotated[
        bool, Meta(description="True while the server has no account yet: the next sign-up is its first")
    ]


class Session(msgspec.Struct):
    """A new sign-in: the bearer token is shown once and only its hash is stored."""

    token: str
    user: User
    device: Device


def user_from_row(row: object) -> User:
    handle: str = row["handle"]  # type: ignore[index]
    avatar = row["avatar_id"]  # type: ignore[index]
    return User(row["id"], handle, row["display_name"], row["status"], handle.startswith(DELETED_HANDLE), avatar)  # type: ignore[index]
