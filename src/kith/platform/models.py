"""Official accounts as the rest of kith sees them: values, limits, and the events they cause."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import msgspec

from kith.errors import DomainError
from kith.events.types import EventType

SUBSCRIPTION = "subscription"
SERVICE = "service"
ACCOUNT_KINDS = (SUBSCRIPTION, SERVICE)
MODES = ("plain", "compatible", "safe")
OFFICIAL = "official"  # the kind of an account's conversation with one follower

# the events platform emits (docs/sync.md lists them all)
ACCOUNT_FOLLOWED = EventType("official.followed")
ACCOUNT_UNFOLLOWED = EventType("official.unfollowed")

MAX_NAME = 32
MAX_DESCRIPTION = 200
MAX_URL = 1024
WINDOW_MESSAGE = "message"  # opened by the user's message: 5 sends within 48 hours
WINDOW_EVENT = "event"  # opened by a follow or a menu click: 3 sends within a minute
POSTER = "-poster"  # a video's media id and this: the ThumbMediaId of its poster (media ids are 22 characters)


class WeChatError(DomainError):
    """A refusal in the WeChat protocol's own terms: ``/cgi-bin/`` answers it as ``{errcode, errmsg}``."""

    def __init__(self, errcode: int, errmsg: str) -> None:
        super().__init__(errmsg, f"wechat_{errcode}", errcode=errcode)
        self.errcode = errcode


class AccountCard(msgspec.Struct):
    """What a user sees of an account: in search, in its conversation, on its page."""

    id: int
    name: str
    kind: str
    description: str
    avatar: str | None = None
    following: bool = False
    menu: list[dict[str, Any]] | None = None  # the custom menu's buttons, shown under the input


class ArticlePage(msgspec.Struct):
    """One article of a set, as its reader sees it: ``content`` is HTML already cleaned to a few
    tags (kith.platform.articles); ``picture`` is the cover's media id, if it is shown."""

    title: str
    author: str
    digest: str
    content: str
    source_url: str
    picture: str | None
    deleted: bool = False


class Articles(msgspec.Struct):
    media_id: str
    account: AccountCard
    articles: list[ArticlePage]
    created_at: int


class Console(msgspec.Struct):
    """What an account's owner sees: its settings and credentials (never the AppSecret again)."""

    id: int
    name: str
    kind: str
    description: str
    app_id: str
    gh_id: str
    webhook_url: str
    token: str
    encoding_aes_key: str
    mode: str
    followers: int
    created_at: int


class Created(msgspec.Struct):
    """A new account, or new credentials: the AppSecret is shown this once."""

    account: Console
    app_secret: str


class Delivery(msgspec.Struct):
    at: int
    event: str
    status: str  # delivered | no_reply | abnormal_reply | failed
    latency_ms: int | None
    error: str


@dataclass(frozen=True)
class PlatformLimits:
    """What accounts keep to (from the settings table; see docs/settings.md)."""

    allow_private_webhooks: bool = False
    token_ttl_ms: int = 7_200_000
    webhook_timeout_s: float = 5.0
    webhook_tries: int = 3
    message_window_ms: int = 48 * 3_600_000
    message_window_sends: int = 5
    event_window_ms: int = 60_000
    event_window_sends: int = 3
    deliveries_kept: int = 100
