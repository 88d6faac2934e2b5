"""Accounts as the rest of the system sees them."""

from __future__ import annotations

import re

import msgspec

from kith.events.types import EventType

# the events accounts emit (docs/sync.md lists them all)
PROFILE_UPDATED = EventType("profile.updated")
DEVICE_ADDED = EventType("device.added")
DEVICE_REVOKED = EventType("device.revoked")

HANDLE = re.compile(r"^[a-z0-9_.]{3,32}$")
MIN_PASSWORD = 8
MAX_PASSWORD = 1024
MAX_DISPLAY_NAME = 64
MAX_STATUS = 140
MAX_DEVICE_NAME = 64


class User(msgspec.Struct):
    """A user's public profile: what a friend, or someone who typed their exact handle, sees."""

    id: int
    handle: str
    display_name: str
    status: str


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


class Session(msgspec.Struct):
    """A new sign-in: the bearer token is shown once and only its hash is stored."""

    token: str
    user: User
    device: Device


def user_from_row(row: object) -> User:
    return User(row["id"], row["handle"], row["display_name"], row["status"])  # type: ignore[index]
