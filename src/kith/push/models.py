"""Push subscriptions, the payloads a push carries, and the limits on both."""

from __future__ import annotations

import re
from dataclasses import dataclass

import msgspec

PUSH = "push.send"  # the outbox topic: one message (or friend request) to push to some of its recipients
MESSAGE = "message"
FRIEND_REQUEST = "friend_request"
REQUESTS = 0  # the coalescing key of friend requests (conversation ids start at 1)

MAX_SUBSCRIPTIONS = 10  # per user: one per device, so ten devices that take pushes
MAX_ENDPOINT = 1024  # characters of an endpoint URL (the push services' are a few hundred)
MAX_BODY = 4096  # bytes of a subscription body
PREVIEW_CHARS = 120  # of a message's text in a push that may show it
# URL-safe base64, as PushSubscription.toJSON() gives them (padding allowed): a P-256 point in its
# uncompressed form (65 bytes, starting 0x04) and a 16-byte auth secret
P256DH = re.compile(r"\AB[A-Za-z0-9_-]{86}={0,1}\Z")
AUTH = re.compile(r"\A[A-Za-z0-9_-]{22}(==)?\Z")


@dataclass(frozen=True)
class PushLimits:
    contact: str = "mailto:postmaster@localhost"  # the VAPID `sub` claim
    allow_insecure: bool = False  # http:// to loopback endpoints (a local push service, tests)
    coalesce_ms: int = 15_000  # at most one push per conversation per user in this time
    timeout_s: float = 5.0  # per try
    tries: int = 2  # per subscription and push; a push that is late is worth little, so few
    ttl_s: int = 86_400  # how long a push service keeps a push for a device that is offline
    concurrency: int = 16  # pushes in flight at once per job


class PushKey(msgspec.Struct):
    """The server's VAPID public key (URL-safe base64 of the uncompressed P-256 point): the
    ``applicationServerKey`` of ``pushManager.subscribe``."""

    public_key: str


class Subscription(msgspec.Struct):
    """A device's push subscription as its owner sees it (the endpoint is a capability: only its
    origin is shown)."""

    id: int
    device_id: int
    origin: str
    created_at: int


class PushSettings(msgspec.Struct):
    """``previews``: pushes may show who wrote and what (off: only "New message"). ``subscribed``:
    whether this device has a push subscription."""

    previews: bool
    subscribed: bool
