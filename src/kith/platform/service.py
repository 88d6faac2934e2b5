"""Official accounts: what their owners, their followers and their developers' servers do.

Three kinds of caller meet here. An **owner** (a signed-in user) creates an account, gets its AppID
and AppSecret and points it at a webhook. A **follower** finds an account, follows it, writes to it,
taps its menu. The **developer's server** speaks the WeChat protocol: it receives envelopes at its
webhook (delivered from the outbox, never inside a follower's request) and calls ``/cgi-bin/`` with
an access token. Every limit on what an account may send is checked here, in the transaction that
sends: an account reaches only its followers, and within the customer-service window only.
"""

from __future__ import annotations

import base64
import datetime
import hashlib
import hmac
import logging
import secrets
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import msgspec

from kith import validation
from kith.accounts.models import Caller
from kith.chats import access as chats
from kith.chats.models import NEWS, TEXT
from kith.clock import Clock
from kith.errors import Conflict, DomainError, Invalid, NotFound
from kith.events import EventLog, Writer
from kith.jsonenc import decode, encode, encode_str
from kith.media import access as media
from kith.media.models import IMAGE, MEDIA_ID, REF_ACCOUNT_AVATAR, REF_ACCOUNT_NEWS, REF_MASS_SEND, VIDEO, VOICE
from kith.platform import articles, material, store
from kith.platform.access import DELIVER, card, enqueue_delivery
from kith.platform.crypto import AES_KEY, TOKEN, CryptoError, MessageCrypto, signature, signature_matches
from kith.platform.envelope import AbnormalReply, Reply, parse_reply, parse_xml, render
from kith.platform.models import (
    ACCOUNT_FOLLOWED,
    ACCOUNT_KINDS,
    ACCOUNT_UNFOLLOWED,
    MAX_DESCRIPTION,
    MAX_NAME,
    MAX_URL,
    MODES,
    POSTER,
    SERVICE,
    SUBSCRIPTION,
    WINDOW_EVENT,
    WINDOW_MESSAGE,
    AccountCard,
    ArticlePage,
    Articles,
    Console,
    Created,
    Delivery,
    PlatformLimits,
    WeChatError,
)
from kith.platform.template_service import TemplateService
from kith.platform.webhook import Unreachable, WebhookClient
from kith.ratelimit import Limits
from kith.storage.database import Database, Row, Tx

if TYPE_CHECKING:
    from kith.media.service import MediaService, Stored

log = logging.getLogger(__name__)

_NO_ACCOUNT = "no such official account"
SEARCH_LIMIT = 20
MASS = "platform.mass"  # the outbox topic: one batch of a mass send's fan-out
MASS_BATCH = 250  # followers a fan-out job reaches in one transaction
SERVICE_MASS_PER_MONTH = 4
MAX_TAGS, MAX_TAGS_PER_FOLLOWER, MAX_TAGGED_AT_ONCE, MAX_TAG_NAME = 100, 20, 50, 30
QR_ACTIONS = ("QR_SCENE", "QR_STR_SCENE", "QR_LIMIT_SCENE", "QR_LIMIT_STR_SCENE")
QR_MAX_SECONDS = 30 * 86400
FOLLOWERS_PAGE = 10_000
MAX_MENU_BUTTONS, MAX_SUB_BUTTONS = 3, 5
MAX_ARTICLE_TEXT = 200
MAX_NEWS_A_DAY, MAX_NEWS_KEPT = 1_000, 5_000  # article sets: uploadnews per day, permanent ones kept
NO_REPLY_EVENTS = ("MASSSENDJOBFINISH", "TEMPLATESENDJOBFINISH")  # reports: a reply to one reaches nobody
MAX_VIDEO_TITLE, MAX_VIDEO_DESCRIPTION = 64, 120  # as an article's title and digest
MPVIDEO = "mpvideo-"  # media/uploadvideo's ids: this, then the video's id, title and description (base64 JSON)


@dataclass(frozen=True)
class NewsSet:
    """An ``mpnews`` message's content until it is sent: the media id of an uploaded article set."""

    media_id: str


@dataclass(frozen=True)
class VideoOut:
    """A video message's content until it is sent: the media id of a video and its caption."""

    media_id: str
    title: str = ""
    description: str = ""


def _video(media_id: Any, title: Any, description: Any) -> VideoOut:
    """A video message's fields, checked; a media/uploadvideo id brings its own title and description."""
    if not isinstance(media_id, str) or not media_id:
        raise WeChatError(40007, "invalid media_id")
    if media_id.startswith(MPVIDEO):
        try:
            packed = decode(base64.urlsafe_b64decode(media_id[len(MPVIDEO) :] + "=="))
            media_id, title, description = packed["m"], title or packed["t"], description or packed["d"]
        except (ValueError, KeyError, TypeError):
            raise WeChatError(40007, "invalid media_id") from None
        if not isinstance(media_id, str) or not MEDIA_ID.match(media_id):
            raise WeChatError(40007, "invalid media_id")
    title, description = title or "", description or ""
    if not isinstance(title, str) or not isinstance(description, str):
        raise WeChatError(40035, "invalid parameter: a video's title and description are strings")
    for line in (title, description):
        try:
            if line.strip():
                validation.message_text(line, MAX_VIDEO_DESCRIPTION * 4)
        except DomainError as exc:
            raise WeChatError(40035, f"invalid parameter: a video's title or description: {exc.message}") from None
    if len(title) > MAX_VIDEO_TITLE:
        raise WeChatError(45003, f"title size out of limit: at most {MAX_VIDEO_TITLE} characters")
    if len(description) > MAX_VIDEO_DESCRIPTION:
        raise WeChatError(45004, f"description size out of limit: at most {MAX_VIDEO_DESCRIPTION} characters")
    return VideoOut(media_id, title.strip(), description.strip())


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def openid_of(row: Row, user_id: int) -> str:
    """A follower's id as one account sees it: 28 characters, the same on every follow, unrelated
    to the user's id or to their openid at any other account."""
    mac = hmac.new(bytes.fromhex(row["openid_key"]), str(user_id).encode(), hashlib.sha256).digest()
    return "o" + base64.urlsafe_b64encode(mac).decode()[:27]


def _console(row: Row, followers: int) -> Console:
    return Console(
        row["id"], row["name"], row["kind"], row["description"], row["app_id"], row["gh_id"], row["webhook_url"],
        row["token"], row["aes_key"], row["mode"], followers, row["created_at"],
    )  # fmt: skip


class PlatformService:
    def __init__(
        self,
        db: Database,
        writer: Writer,
        clock: Clock,
        caps: PlatformLimits,
        limits: Limits,
        max_text_bytes: int,
        media_service: MediaService,
    ) -> None:
        self.db = db
        self.writer = writer
        self.clock = clock
        self.caps = caps
        self.limits = limits
        self.max_text_bytes = max_text_bytes
        self.media_service = media_service  # the owner's uploads under /cgi-bin/media/ (build_services hands it in)
        self.webhooks = WebhookClient(caps.webhook_timeout_s, caps.allow_private_webhooks)
        self.material = material.Material(db, writer, media_service)  # /cgi-bin/material/*
        self.templates = TemplateService(db, writer, limits, max_text_bytes)  # template/* and template sends

    async def close(self) -> None:
        await self.webhooks.close()

    # -- owners --------------------------------------------------------------------------------

    def _owned(self, tx: Tx, caller: Caller, account_id: int) -> Row:
        row = store.account(tx, account_id)
        if row is None or row["owner_id"] != caller.user_id:
            raise NotFound(_NO_ACCOUNT)
        return row

    async def create_account(self, caller: Caller, name: str, kind: str, description: str) -> Created:
        name = validation.line(name, "name", MAX_NAME)
        description = validation.line(description, "description", MAX_DESCRIPTION, allow_empty=True)
        if kind not in ACCOUNT_KINDS:
            raise Invalid(f"kind must be {' or '.join(ACCOUNT_KINDS)}", field="kind")
        secret = secrets.token_hex(16)

        def create(tx: Tx, log: EventLog) -> Created:
            if store.account_by_name(tx, name.casefold()) is not None:
                raise Conflict("an account of that name exists already", "name_taken", field="name")
            account_id = store.insert_account(
                tx, owner_id=caller.user_id, kind=kind, name=name, name_key=name.casefold(), description=description,
                app_id="wx" + secrets.token_hex(8), gh_id="gh_" + secrets.token_hex(6), secret_hash=_digest(secret),
                openid_key=secrets.token_hex(32), created_at=log.now,
            )  # fmt: skip
            return Created(_console(store.account(tx, account_id), 0), secret)

        return await self.writer.run(create)

    async def accounts(self, caller: Caller) -> list[Console]:
        def read(tx: Tx) -> list[Console]:
            return [_console(row, store.follower_count(tx, row["id"])) for row in store.owned(tx, caller.user_id)]

        return await self.db.read(read)

    async def console(self, caller: Caller, account_id: int) -> Console:
        def read(tx: Tx) -> Console:
            row = self._owned(tx, caller, account_id)
            return _console(row, store.follower_count(tx, account_id))

        return await self.db.read(read)

    async def reset_secret(self, caller: Caller, account_id: int) -> Created:
        """A new AppSecret; the old one, and every access token made with it, stop working at once."""
        secret = secrets.token_hex(16)

        def reset(tx: Tx, log: EventLog) -> Created:
            row = self._owned(tx, caller, account_id)
            store.update_account(tx, account_id, secret_hash=_digest(secret))
            store.forget_tokens(tx, account_id)
            return Created(_console(store.account(tx, account_id) or row, store.follower_count(tx, account_id)), secret)

        return await self.writer.run(reset)

    async def set_webhook(
        self, caller: Caller, account_id: int, url: str, token: str, aes_key: str, mode: str
    ) -> Console:
        """Point the account at its developer's server; the URL must pass the ``echostr`` handshake."""
        if mode not in MODES:
            raise Invalid(f"mode must be one of {', '.join(MODES)}", field="mode")
        if not TOKEN.match(token):
            raise Invalid("a Token is 3 to 32 letters and digits", field="token")
        if (aes_key or mode != "plain") and not AES_KEY.match(aes_key):
            raise Invalid("an EncodingAESKey is 43 letters and digits (needed for compatible and safe mode)",
                          field="encoding_aes_key")  # fmt: skip
        if len(url) > MAX_URL:
            raise Invalid(f"a webhook URL is at most {MAX_URL} characters", field="webhook_url")
        await self.console(caller, account_id)  # only its owner: before anything is sent anywhere
        if url:
            await self.webhooks.handshake(url, token)

        def save(tx: Tx, log: EventLog) -> Console:
            self._owned(tx, caller, account_id)
            store.update_account(tx, account_id, webhook_url=url, token=token, aes_key=aes_key, mode=mode)
            return _console(store.account(tx, account_id), store.follower_count(tx, account_id))

        return await self.writer.run(save)

    async def set_avatar(self, caller: Caller, account_id: int, media_id: str | None) -> Console:
        """The account's picture: an image its owner uploaded (None: none)."""
        if media_id is not None and not MEDIA_ID.match(media_id):
            raise Invalid("media_id must be the id of an upload", field="media_id")

        def update(tx: Tx, log: EventLog) -> Console:
            self._owned(tx, caller, account_id)
            media.release(tx, log, REF_ACCOUNT_AVATAR, [account_id])
            if media_id is not None:
                media.attach(tx, caller.user_id, media_id, REF_ACCOUNT_AVATAR, account_id, (IMAGE,))
            store.update_account(tx, account_id, avatar_id=media_id)
            return _console(store.account(tx, account_id), store.follower_count(tx, account_id))

        return await self.writer.run(update)

    async def deliveries(self, caller: Caller, account_id: int) -> list[Delivery]:
        def read(tx: Tx) -> list[Delivery]:
            self._owned(tx, caller, account_id)
            rows = store.deliveries(tx, account_id, self.caps.deliveries_kept)
            return [Delivery(r["created_at"], r["event"], r["status"], r["latency_ms"], r["error"]) for r in rows]

        return await self.db.read(read)

    # -- followers -----------------------------------------------------------------------------

    async def search(self, caller: Caller, words: str) -> list[AccountCard]:
        words = validation.line(words, "q", MAX_NAME).casefold()

        def read(tx: Tx) -> list[AccountCard]:
            rows = store.search(tx, words, SEARCH_LIMIT)
            followed = store.following(tx, caller.user_id, [r["id"] for r in rows])
            return [card(r, r["id"] in followed) for r in rows]

        return await self.db.read(read)

    async def account_card(self, caller: Caller, account_id: int) -> AccountCard:
        def read(tx: Tx) -> AccountCard:
            row = store.account(tx, account_id)
            if row is None:
                raise NotFound(_NO_ACCOUNT)
            return card(row, store.follow(tx, account_id, caller.user_id) is not None)

        return await self.db.read(read)

    async def follow(self, caller: Caller, account_id: int) -> dict[str, Any]:
        """Follow an account: its conversation appears, and its webhook hears ``subscribe``."""
        me = caller.user_id

        def follow(tx: Tx, log: EventLog) -> dict[str, Any]:
            row = store.account(tx, account_id)
            if row is None:
                raise NotFound(_NO_ACCOUNT)
            if store.follow(tx, account_id, me) is None:
                store.add_follow(tx, account_id, me, openid_of(row, me), log.now)
                store.open_window(tx, account_id, me, WINDOW_EVENT, log.now)
                log.append(me, ACCOUNT_FOLLOWED, encode({"account": card(row, True)}))
                enqueue_delivery(tx, log, account_id, me, "subscribe", {"MsgType": "event", "Event": "subscribe",
                                                                        "EventKey": ""})  # fmt: skip
            conversation_id = chats.open_official(tx, log, account_id, me, row["name"])
            return {"account": card(row, True), "conversation_id": conversation_id}

        return await self.writer.run(follow)

    async def scan(self, caller: Caller, ticket: str) -> dict[str, Any]:
        """A QR code ticket scanned: follow its account (its webhook hears ``subscribe`` with the scene
        as ``qrscene_<scene>``), or, already following, its webhook hears ``SCAN``."""
        me = caller.user_id

        def scan(tx: Tx, log: EventLog) -> dict[str, Any]:
            found = store.ticket(tx, ticket) if len(ticket) <= 64 else None
            if found is None or (found["expires_at"] is not None and found["expires_at"] <= log.now):
                raise NotFound("this QR code is not valid (any more)", "no_such_ticket")
            account_id = found["account_id"]
            row = store.account(tx, account_id)
            if row is None:
                raise NotFound("this QR code is not valid (any more)", "no_such_ticket")
            event = {"MsgType": "event", "Ticket": ticket}
            if store.follow(tx, account_id, me) is None:
                store.add_follow(tx, account_id, me, openid_of(row, me), log.now)
                store.open_window(tx, account_id, me, WINDOW_EVENT, log.now)
                log.append(me, ACCOUNT_FOLLOWED, encode({"account": card(row, True)}))
                event |= {"Event": "subscribe", "EventKey": "qrscene_" + found["scene"]}
            else:
                self._open_event_window(tx, account_id, me, log.now)
                event |= {"Event": "SCAN", "EventKey": found["scene"]}
            enqueue_delivery(tx, log, account_id, me, event["Event"], event)
            conversation_id = chats.open_official(tx, log, account_id, me, row["name"])
            return {"account": card(row, True), "conversation_id": conversation_id}

        return await self.writer.run(scan)

    async def unfollow(self, caller: Caller, account_id: int) -> None:
        """Stop following: from this moment the account can send nothing; the conversation stays."""
        me = caller.user_id

        def unfollow(tx: Tx, log: EventLog) -> None:
            if store.account(tx, account_id) is None:
                raise NotFound(_NO_ACCOUNT)
            # told before the row goes: the webhook names the user by the openid the row holds
            enqueue_delivery(tx, log, account_id, me, "unsubscribe", {"MsgType": "event", "Event": "unsubscribe",
                                                                      "EventKey": ""})  # fmt: skip
            if store.remove_follow(tx, account_id, me):
                log.append(me, ACCOUNT_UNFOLLOWED, encode({"account_id": account_id}))

        await self.writer.run(unfollow)

    async def menu_event(self, caller: Caller, account_id: int, key: str | None, url: str | None) -> None:
        """A tap on the account's menu: a CLICK (its key) or a VIEW (its URL), to the webhook."""
        me = caller.user_id

        def tap(tx: Tx, log: EventLog) -> None:
            row = store.account(tx, account_id)
            if row is None or store.follow(tx, account_id, me) is None:
                raise NotFound(_NO_ACCOUNT)
            buttons = _leaves(decode(row["menu"])["button"]) if row["menu"] else []
            if key is not None:
                if not any(b.get("type") == "click" and b.get("key") == key for b in buttons):
                    raise NotFound("the menu has no such button", "no_such_button", field="key")
                self._open_event_window(tx, account_id, me, log.now)
                enqueue_delivery(tx, log, account_id, me, "CLICK", {"MsgType": "event", "Event": "CLICK",
                                                                    "EventKey": key})  # fmt: skip
            else:
                if not any(b.get("type") == "view" and b.get("url") == url for b in buttons):
                    raise NotFound("the menu has no such button", "no_such_button", field="url")
                enqueue_delivery(tx, log, account_id, me, "VIEW", {"MsgType": "event", "Event": "VIEW",
                                                                   "EventKey": url or ""})  # fmt: skip

        await self.writer.run(tap)

    def _open_event_window(self, tx: Tx, account_id: int, user_id: int, now: int) -> None:
        """A tap opens a short window, unless a follower's message has opened a longer one that is still open."""
        follow = store.follow(tx, account_id, user_id)
        if (
            follow is not None
            and follow["window_kind"] == WINDOW_MESSAGE
            and now - follow["window_opened_at"] < self.caps.message_window_ms
            and follow["window_used"] < self.caps.message_window_sends
        ):
            return
        store.open_window(tx, account_id, user_id, WINDOW_EVENT, now)

    # -- the developer's server: access tokens ----------------------------------------------------

    async def issue_token(self, app_id: str, secret: str, grant_type: str) -> dict[str, Any]:
        if grant_type != "client_credential":
            raise WeChatError(40002, "invalid grant_type")
        row = await self.db.read(store.account_by_app_id, app_id)
        if row is None:
            raise WeChatError(40013, "invalid appid")
        self.limits.check("platform_token", row["id"])
        if not row["secret_hash"] or not hmac.compare_digest(_digest(secret), row["secret_hash"]):
            raise WeChatError(40125, "invalid appsecret")
        token = secrets.token_urlsafe(48)
        now = self.clock.now_ms()
        await self.db.write(store.insert_token, _digest(token), row["id"], now + self.caps.token_ttl_ms, now)
        return {"access_token": token, "expires_in": self.caps.token_ttl_ms // 1000}

    async def by_token(self, token: str | None) -> Row:
        """The account an access token belongs to. A token that is unknown or expired gets the codes
        after which wechatpy fetches a new one; one that is valid never does (its refresh loop has no
        end)."""
        if not token:
            raise WeChatError(41001, "access_token missing")
        found = await self.db.read(store.token, _digest(token))
        if found is None:
            raise WeChatError(40014, "invalid access_token")
        if found["expires_at"] <= self.clock.now_ms():
            raise WeChatError(42001, "access_token expired")
        row = await self.db.read(store.account, found["account_id"])
        if row is None:
            raise WeChatError(40014, "invalid access_token")
        self.limits.check("platform_app", row["id"])
        return row

    # -- the developer's server: sending ------------------------------------------------------

    async def custom_send(self, account: Row, body: dict[str, Any]) -> None:
        """A customer-service message: only to a follower who wrote to (or tapped) the account lately,
        and only as many as the window allows (docs/platform.md)."""
        openid = body.get("touser")
        if not isinstance(openid, str):
            raise WeChatError(40003, "invalid openid")
        kind, content = self._outgoing(body)

        def send(tx: Tx, log: EventLog) -> None:
            follow = store.follow_by_openid(tx, account["id"], openid)
            if follow is None:
                raise WeChatError(43004, "require subscribe: this openid does not follow the account")
            self._use_window(tx, follow, log.now)
            body_text = self._stored(tx, account, kind, content)
            chats.post_from_account(tx, log, account["id"], follow["user_id"], kind, body_text)

        await self.writer.run(send)

    def _use_window(self, tx: Tx, follow: Row, now: int) -> None:
        kind, opened = follow["window_kind"], follow["window_opened_at"]
        if kind == WINDOW_MESSAGE:
            span, sends = self.caps.message_window_ms, self.caps.message_window_sends
        elif kind == WINDOW_EVENT:
            span, sends = self.caps.event_window_ms, self.caps.event_window_sends
        else:
            raise WeChatError(45015, "response out of time limit: the user has not written to the account")
        if now - opened >= span:
            raise WeChatError(45015, "response out of time limit or subscription is canceled")
        if follow["window_used"] >= sends:
            raise WeChatError(45047, "out of response count limit")
        store.use_window(tx, follow["account_id"], follow["user_id"])

    def _outgoing(self, body: dict[str, Any]) -> tuple[str, Any]:
        """(message kind, content) of an API message body: text, image, voice, video or news."""
        msgtype = body.get("msgtype")
        payload = body.get(msgtype) if isinstance(msgtype, str) else None
        if not isinstance(payload, dict):
            raise WeChatError(40008, "invalid message type")
        if msgtype == "text":
            content = payload.get("content")
            if not isinstance(content, str):
                raise WeChatError(44003, "empty content")
            try:
                return TEXT, validation.message_text(content, self.max_text_bytes)
            except DomainError as exc:
                raise WeChatError(45002, f"content size out of limit or invalid: {exc.message}") from None
        if msgtype in ("image", "voice"):
            media_id = payload.get("media_id")
            if not isinstance(media_id, str):
                raise WeChatError(40007, "invalid media_id")
            return msgtype, media_id
        if msgtype in ("video", "mpvideo"):  # a customer-service video, a mass send's
            return VIDEO, _video(payload.get("media_id"), payload.get("title"), payload.get("description"))
        if msgtype == "news":
            return NEWS, _articles(payload.get("articles"))
        if msgtype == "mpnews":
            media_id = payload.get("media_id")
            if not isinstance(media_id, str):
                raise WeChatError(40007, "invalid media_id")
            return NEWS, NewsSet(media_id)
        raise WeChatError(40008, f"message type {msgtype!r} is not supported")

    def _stored(self, tx: Tx, account: Row, kind: str, content: Any) -> str:
        """The message body as chats stores it; a media id must be one of the account owner's uploads."""
        if kind in (IMAGE, VOICE):
            try:
                found = media.own(tx, account["owner_id"], content, (kind,))
            except DomainError:
                raise WeChatError(40007, "invalid media_id") from None
            return encode_str(found)
        if kind == VIDEO:
            try:
                video = media.own(tx, account["owner_id"], content.media_id, (VIDEO,))
            except DomainError:
                raise WeChatError(40007, "invalid media_id: not a video the account uploaded") from None
            caption = "\n".join(line for line in (content.title, content.description) if line)
            return encode_str({**msgspec.structs.asdict(video), "caption": caption})
        if kind == NEWS:
            if isinstance(content, NewsSet):
                return encode_str(self._set_cards(tx, account, content.media_id))
            return encode_str(content)
        return str(content)

    def _set_cards(self, tx: Tx, account: Row, media_id: str) -> list[dict[str, str]]:
        """The cards of one of the account's article sets, to be sent now."""
        row = store.news(tx, media_id)
        if row is None or row["account_id"] != account["id"] or row["deleted_at"] is not None:
            raise WeChatError(40007, "invalid media_id: no such articles (upload them with media/uploadnews)")
        if not row["permanent"] and self.clock.now_ms() - row["created_at"] >= articles.TEMPORARY_DAYS * 86_400_000:
            raise WeChatError(40007, f"invalid media_id: articles from media/uploadnews can be sent for "
                                     f"{articles.TEMPORARY_DAYS} days")  # fmt: skip
        shown = articles.cards(media_id, decode(row["articles"]))
        if not shown:
            raise WeChatError(40007, "invalid media_id: every article of this set was deleted")
        return shown

    # -- the developer's server: media -----------------------------------------------------------

    async def upload_media(
        self, account: Row, media_type: str, name: str | None, chunks: AsyncIterator[bytes], declared: int | None
    ) -> dict[str, Any]:
        """``/cgi-bin/media/upload``: an upload of the account's owner, checked like any other."""
        kind = {"image": IMAGE, "thumb": IMAGE, "voice": VOICE, "video": VIDEO}.get(media_type)
        if kind is None:
            raise WeChatError(40004, "invalid media type: kith takes image, thumb, voice and video")
        uploaded = await material.upload(self.media_service, account, kind, name, chunks, declared)
        key = "thumb_media_id" if media_type == "thumb" else "media_id"
        return {"type": media_type, key: uploaded.id, "created_at": uploaded.created_at // 1000}

    async def media_file(self, account: Row, media_id: str) -> Stored:
        """An upload of the owner's or a follower's, or (``<id>-poster``, a ThumbMediaId) a video's poster."""
        poster = media_id.endswith(POSTER)
        base = media_id.removesuffix(POSTER)
        try:
            return await self.media_service.fetch_for_account(account["owner_id"], account["id"], base, poster=poster)
        except NotFound:
            raise WeChatError(40007, "invalid media_id") from None

    async def upload_video(self, account: Row, body: dict[str, Any]) -> dict[str, Any]:
        """``media/uploadvideo``: a video the account uploaded, with its title and description, as the
        id a mass ``mpvideo`` sends. The id carries them itself: nothing is stored."""
        video = _video(body.get("media_id"), body.get("title"), body.get("description"))
        if video.media_id.startswith(MPVIDEO):
            raise WeChatError(40007, "invalid media_id: give the id media/upload answered")

        def check(tx: Tx, log: EventLog) -> None:
            self._stored(tx, account, VIDEO, video)  # refuses what is not the owner's video

        await self.writer.run(check)
        packed = encode({"m": video.media_id, "t": video.title, "d": video.description})
        media_id = MPVIDEO + base64.urlsafe_b64encode(packed).decode().rstrip("=")
        return {"type": "video", "media_id": media_id, "created_at": self.clock.now_ms() // 1000}

    # -- the developer's server: articles (mpnews) ---------------------------------------------

    async def upload_news(self, account: Row, body: dict[str, Any], *, permanent: bool, draft: bool = False
                          ) -> dict[str, Any]:  # fmt: skip
        """``media/uploadnews`` (temporary: sent within 3 days), ``material/add_news`` and ``draft/add``
        (kept): a set of articles to send by its media id. Every picture must be the owner's upload."""
        cleaned = articles.clean(body.get("articles"), draft=draft)
        media_id = secrets.token_urlsafe(16)

        def upload(tx: Tx, log: EventLog) -> int:
            if permanent and store.news_since(tx, account["id"], 0, True) >= MAX_NEWS_KEPT:
                raise WeChatError(45009, f"reach max material limit: an account keeps at most {MAX_NEWS_KEPT} "
                                         "article sets")  # fmt: skip
            if not permanent and store.news_since(tx, account["id"], log.now - 86_400_000, False) >= MAX_NEWS_A_DAY:
                raise WeChatError(45009, f"api freq out of limit: at most {MAX_NEWS_A_DAY} uploadnews a day")
            news_id = store.insert_news(tx, media_id, account["id"], encode_str(cleaned.articles), permanent, log.now)
            for picture in cleaned.pictures:
                try:
                    media.attach(tx, account["owner_id"], picture, REF_ACCOUNT_NEWS, news_id, (IMAGE,))
                except DomainError:
                    raise WeChatError(40007, f"invalid media_id: {picture[:40]} is not an image this account "
                                             "uploaded") from None  # fmt: skip
            return int(log.now)

        now = await self.writer.run(upload)
        if permanent:
            return {"media_id": media_id}
        return {"type": "news", "media_id": media_id, "created_at": now // 1000}

    async def read_articles(self, caller: Caller, media_id: str) -> Articles:
        """An article set as a reader sees it. Like an article link in WeChat, whoever has the link
        (a random id, sent to an account's followers) may read it; it reveals no one's identity."""

        def read(tx: Tx) -> Articles:
            row = store.news(tx, media_id) if MEDIA_ID.match(media_id) else None
            account = store.account(tx, row["account_id"]) if row is not None else None
            if row is None or account is None:
                raise NotFound("no such article", "no_such_article")
            if row["deleted_at"] is not None:
                raise NotFound("its publisher deleted this article", "article_deleted")
            pages = [
                ArticlePage(
                    a["title"], a["author"], a["digest"], "" if a.get("deleted") else a["content"],
                    a["content_source_url"], a["thumb_media_id"] if a["show_cover_pic"] else None,
                    bool(a.get("deleted")),
                )
                for a in decode(row["articles"])
            ]  # fmt: skip
            following = store.follow(tx, account["id"], caller.user_id) is not None
            return Articles(media_id, card(account, following), pages, row["created_at"])

        return await self.db.read(read)

    # -- the developer's server: QR codes --------------------------------------------------------

    async def qr_create(self, account: Row, body: dict[str, Any], base_url: str) -> dict[str, Any]:
        """A ticket for a QR code that leads whoever scans it to follow the account, with a scene the
        webhook hears: temporary (at most 30 days) or permanent."""
        action = body.get("action_name")
        if action not in QR_ACTIONS:
            raise WeChatError(40035, "invalid action_name")
        scene = (body.get("action_info") or {}).get("scene") if isinstance(body.get("action_info"), dict) else None
        if not isinstance(scene, dict):
            raise WeChatError(40035, "invalid action_info")
        if action.endswith("STR_SCENE"):
            value = scene.get("scene_str")
            if not isinstance(value, str) or not 1 <= len(value) <= 64:
                raise WeChatError(40035, "scene_str must be 1 to 64 characters")
        else:
            value = scene.get("scene_id")
            top = 100_000 if action == "QR_LIMIT_SCENE" else 2**32 - 1
            if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= top:
                raise WeChatError(40035, f"scene_id must be 1 to {top}")
        permanent = action.startswith("QR_LIMIT")
        expire = body.get("expire_seconds", 60)
        if not permanent and (not isinstance(expire, int) or not 60 <= expire <= QR_MAX_SECONDS):
            raise WeChatError(40035, f"expire_seconds must be 60 to {QR_MAX_SECONDS}")
        ticket = secrets.token_urlsafe(24)
        now = self.clock.now_ms()
        expires_at = None if permanent else now + expire * 1000
        await self.db.write(store.insert_ticket, ticket, account["id"], str(value), expires_at, now)
        answer: dict[str, Any] = {"ticket": ticket, "url": f"{base_url}/#/contacts/scan/{ticket}"}
        if not permanent:
            answer["expire_seconds"] = expire
        return answer

    # -- the developer's server: mass sends ------------------------------------------------------

    async def mass_send(
        self, account: Row, body: dict[str, Any], openids: list[str] | None, tag_id: int | None = None
    ) -> dict[str, Any]:
        """A mass message to every follower (``openids`` None) or to some: a subscription account
        sends one a day; a service account's followers receive at most 4 a month (the others are
        skipped). The fan-out runs in the outbox, a batch at a time, so it never holds up anyone's
        sends for long."""
        if openids is not None:
            if not isinstance(openids, list) or not 1 <= len(openids) <= FOLLOWERS_PAGE:
                raise WeChatError(40130, "invalid openid list size: 1 to 10000")
            if not all(isinstance(o, str) for o in openids):
                raise WeChatError(40003, "invalid openid")
        kind, content = self._outgoing(body)

        def start(tx: Tx, log: EventLog) -> int:
            day = log.now // 86_400_000
            if account["kind"] == SUBSCRIPTION and store.masses_on(tx, account["id"], day) >= 1:
                raise WeChatError(45028, "has no masssend quota: a subscription account sends one a day")
            if tag_id is not None and store.tag(tx, account["id"], tag_id) is None:
                raise WeChatError(45159, "invalid tag id")
            stored = self._stored(tx, account, kind, content)
            listed = encode_str(sorted(set(openids))) if openids is not None else None
            mass_id = store.insert_mass(tx, account["id"], kind, stored, listed, tag_id, day, log.now)
            if kind in (IMAGE, VOICE, VIDEO):  # held until the fan-out is done: del_material may let go of it meanwhile
                media.refer(tx, content.media_id if kind == VIDEO else content, REF_MASS_SEND, mass_id)
            log.enqueue(MASS, encode({"mass_id": mass_id, "after": 0, "done": 0}))
            return mass_id

        mass_id = await self.writer.run(start)
        return {"errcode": 0, "errmsg": "send job submission success", "msg_id": mass_id, "msg_data_id": mass_id}

    async def on_mass(self, payload: bytes) -> None:
        job = decode(payload)
        await self.writer.run(self._mass_batch, job["mass_id"], job["after"], job.get("done"))

    def _mass_batch(self, tx: Tx, log: EventLog, mass_id: int, after: int, done: int | None) -> None:
        """One batch of a mass send's fan-out, then the job for the next (they commit together).

        Exactly once: ``done`` is how many followers the send had gone through when this job was
        queued. The outbox runs a job again if its node died before marking it done, even after the
        batch committed; the send is then past ``done`` and the job does nothing (it does not send
        the batch again, nor queue the rest of the fan-out a second time). Every job that queues
        another goes through at least one follower, so the count only grows."""
        row = store.mass(tx, mass_id) if done is None else store.mass_at(tx, mass_id, done)
        account = store.account(tx, row["account_id"]) if row is not None else None
        if row is None or account is None or row["finished_at"] is not None:
            return
        if row["deleted_at"] is not None:  # withdrawn: it goes no further
            store.mass_progress(tx, mass_id, 0, 0, log.now)
            media.release(tx, log, REF_MASS_SEND, [mass_id])
            return
        if row["tag_id"] is not None:
            batch = store.tagged_after(tx, account["id"], row["tag_id"], after, row["created_at"], MASS_BATCH)
            more = len(batch) == MASS_BATCH
        elif row["openids"] is None:
            batch = store.followers_after(tx, account["id"], after, row["created_at"], MASS_BATCH)
            more = len(batch) == MASS_BATCH
        else:
            listed = decode(row["openids"])
            batch = []
            while not batch and after < len(listed):  # a chunk nobody in it follows any more: the next one
                batch = store.followers_by_openid(tx, account["id"], listed[after : after + MASS_BATCH])
                after += MASS_BATCH
            more = after < len(listed)
        cap = SERVICE_MASS_PER_MONTH if account["kind"] == SERVICE else None
        reached = store.take_mass_slots(tx, account["id"], [f["user_id"] for f in batch], _month(log.now), cap)
        for user_id in reached:
            chats.post_from_account(tx, log, account["id"], user_id, row["kind"], row["body"])
        store.mass_progress(tx, mass_id, len(reached), len(batch) - len(reached), None if more else log.now)
        if more:
            cursor = batch[-1]["user_id"] if row["openids"] is None else after
            total = row["sent"] + row["filtered"] + len(batch)
            log.enqueue(MASS, encode({"mass_id": mass_id, "after": cursor, "done": total}))
        else:
            media.release(tx, log, REF_MASS_SEND, [mass_id])
            self._report_mass(tx, log, mass_id, account)

    def _report_mass(self, tx: Tx, log: EventLog, mass_id: int, account: Row) -> None:
        """``MASSSENDJOBFINISH`` to the webhook, from the owner's openid (WeChat sends it from the
        account's administrator); like every report, a reply to it reaches nobody."""
        row = store.mass(tx, mass_id)
        if row is None or not account["webhook_url"]:
            return
        sent, filtered = row["sent"], row["filtered"]
        fields = {
            "ToUserName": account["gh_id"], "FromUserName": openid_of(account, account["owner_id"]),
            "CreateTime": log.now // 1000, "MsgType": "event", "Event": "MASSSENDJOBFINISH", "MsgID": mass_id,
            "Status": "send success", "TotalCount": sent + filtered, "FilterCount": sent, "SentCount": sent,
            "ErrorCount": 0,
        }  # fmt: skip
        job = {"account_id": account["id"], "user_id": account["owner_id"], "event": "MASSSENDJOBFINISH",
               "fields": fields, "msg_id": None}  # fmt: skip
        log.enqueue(DELIVER, encode(job))

    async def mass_preview(self, account: Row, body: dict[str, Any]) -> dict[str, Any]:
        """A mass message shown to the account's owner first, outside the quotas. Only to the owner
        (who must follow the account): a preview to anyone else would be a mass send without limits."""
        openid = body.get("touser")
        if not isinstance(openid, str):
            raise WeChatError(40003, "invalid openid: preview to your own openid (kith has no WeChat ids)")
        kind, content = self._outgoing(body)

        def send(tx: Tx, log: EventLog) -> int:
            follow = store.follow_by_openid(tx, account["id"], openid)
            if follow is None:
                raise WeChatError(43004, "require subscribe: this openid does not follow the account")
            if follow["user_id"] != account["owner_id"]:
                raise WeChatError(40003, "invalid openid: a preview goes to the account's owner only")
            message = chats.post_from_account(tx, log, account["id"], follow["user_id"], kind,
                                              self._stored(tx, account, kind, content))  # fmt: skip
            return message.id if message is not None else 0

        return {"errcode": 0, "errmsg": "preview success", "msg_id": await self.writer.run(send)}

    def _own_mass(self, tx: Tx, account: Row, body: dict[str, Any]) -> Row:
        msg_id = body.get("msg_id")
        if isinstance(msg_id, str) and msg_id.isdigit():
            msg_id = int(msg_id)
        row = store.mass(tx, msg_id) if isinstance(msg_id, int) and not isinstance(msg_id, bool) else None
        if row is None or row["account_id"] != account["id"]:
            raise WeChatError(40035, "invalid msg_id: no such mass send of this account")
        return row

    async def mass_get(self, account: Row, body: dict[str, Any]) -> dict[str, Any]:
        row = await self.db.read(self._own_mass, account, body)
        status = "DELETE" if row["deleted_at"] else "SEND_SUCCESS" if row["finished_at"] else "SENDING"
        return {"msg_id": row["id"], "msg_status": status}

    async def mass_delete(self, account: Row, body: dict[str, Any]) -> None:
        """Withdraw a mass send's articles (all, or the ``article_idx``-th, from 1): followers keep
        the cards, which open "deleted"; a fan-out still running stops. Only articles (``mpnews``)
        can be withdrawn: a text or picture, once delivered, is the follower's."""
        index = body.get("article_idx", 0) or 0
        if not isinstance(index, int) or isinstance(index, bool) or not 0 <= index <= articles.MAX_ARTICLES:
            raise WeChatError(40035, "invalid article_idx: 0 (all) or 1 to 8")

        def delete(tx: Tx, log: EventLog) -> None:
            row = self._own_mass(tx, account, body)
            sets = articles.sets_in(decode(row["body"])) if row["kind"] == NEWS else set()
            if not sets:
                raise WeChatError(40035, "only a mass send of articles (mpnews) can be deleted")
            for media_id in sets:
                news = store.news(tx, media_id)
                if news is None or news["deleted_at"] is not None:
                    continue
                if index == 0:
                    store.set_news(tx, news["id"], None, log.now)
                    media.release(tx, log, REF_ACCOUNT_NEWS, [news["id"]])
                    continue
                items = decode(news["articles"])
                if index > len(items):
                    raise WeChatError(40035, f"invalid article_idx: the articles are {len(items)}")
                items[index - 1] |= {"deleted": True, "content": ""}
                store.set_news(tx, news["id"], encode_str(items), None)
            if index == 0:
                store.mass_deleted(tx, row["id"], log.now)

        await self.writer.run(delete)

    # -- the developer's server: tags --------------------------------------------------------------

    async def tags(self, account: Row) -> dict[str, Any]:
        rows = await self.db.read(store.tags, account["id"])
        return {"tags": [{"id": r["id"], "name": r["name"], "count": r["count"]} for r in rows]}

    async def tag_create(self, account: Row, body: dict[str, Any]) -> dict[str, Any]:
        name = _tag_name(body)

        def create(tx: Tx, log: EventLog) -> dict[str, Any]:
            existing = store.tags(tx, account["id"])
            if len(existing) >= MAX_TAGS:
                raise WeChatError(45056, f"too many tags: at most {MAX_TAGS}")
            if any(r["name"] == name for r in existing):
                raise WeChatError(45157, "tag name already exists")
            return {"tag": {"id": store.add_tag(tx, account["id"], name), "name": name}}

        return await self.writer.run(create)

    async def tag_update(self, account: Row, body: dict[str, Any]) -> None:
        name, tag_id = _tag_name(body), _tag_id(body.get("tag"), "id")

        def update(tx: Tx, log: EventLog) -> None:
            self._tag(tx, account, tag_id)
            if any(r["name"] == name and r["id"] != tag_id for r in store.tags(tx, account["id"])):
                raise WeChatError(45157, "tag name already exists")
            store.rename_tag(tx, account["id"], tag_id, name)

        await self.writer.run(update)

    async def tag_delete(self, account: Row, body: dict[str, Any]) -> None:
        tag_id = _tag_id(body.get("tag"), "id")

        def delete(tx: Tx, log: EventLog) -> None:
            self._tag(tx, account, tag_id)
            store.delete_tag(tx, account["id"], tag_id)

        await self.writer.run(delete)

    async def tag_followers(self, account: Row, body: dict[str, Any], *, add: bool) -> None:
        tag_id, openids = _tag_id(body, "tagid"), body.get("openid_list")
        if not isinstance(openids, list) or not 1 <= len(openids) <= MAX_TAGGED_AT_ONCE:
            raise WeChatError(40032, f"invalid openid list size: 1 to {MAX_TAGGED_AT_ONCE}")

        def tag(tx: Tx, log: EventLog) -> None:
            self._tag(tx, account, tag_id)
            users = self._followers_of(tx, account, openids)
            if add:
                already = store.tags_of(tx, account["id"], users)
                if any(len(already.get(u, [])) >= MAX_TAGS_PER_FOLLOWER and tag_id not in already[u] for u in users):
                    raise WeChatError(45059, f"a follower may have at most {MAX_TAGS_PER_FOLLOWER} tags")
                store.tag_followers(tx, account["id"], tag_id, users)
            else:
                store.untag_followers(tx, account["id"], tag_id, users)

        await self.writer.run(tag)

    async def tags_of(self, account: Row, body: dict[str, Any]) -> dict[str, Any]:
        def read(tx: Tx) -> dict[str, Any]:
            (user,) = self._followers_of(tx, account, [body.get("openid")])
            return {"tagid_list": store.tags_of(tx, account["id"], [user]).get(user, [])}

        return await self.db.read(read)

    async def tagged(self, account: Row, body: dict[str, Any]) -> dict[str, Any]:
        tag_id, after = _tag_id(body, "tagid"), body.get("next_openid") or ""
        if not isinstance(after, str):
            raise WeChatError(40003, "invalid next_openid")

        def read(tx: Tx) -> dict[str, Any]:
            self._tag(tx, account, tag_id)
            page = store.tagged_page(tx, account["id"], tag_id, after, FOLLOWERS_PAGE)
            out: dict[str, Any] = {"count": len(page), "next_openid": page[-1] if page else ""}
            if page:
                out["data"] = {"openid": page}
            return out

        return await self.db.read(read)

    def _tag(self, tx: Tx, account: Row, tag_id: int) -> Row:
        found = store.tag(tx, account["id"], tag_id)
        if found is None:
            raise WeChatError(45159, "invalid tag id")
        return found

    def _followers_of(self, tx: Tx, account: Row, openids: list[Any]) -> list[int]:
        users = []
        for openid in openids:
            follow = store.follow_by_openid(tx, account["id"], openid) if isinstance(openid, str) else None
            if follow is None:
                raise WeChatError(40003, f"invalid openid: {str(openid)[:40]} does not follow the account")
            users.append(follow["user_id"])
        return users

    # -- the developer's server: menus and followers ------------------------------------------------

    async def menu_create(self, account: Row, body: dict[str, Any]) -> None:
        buttons = body.get("button")
        _check_menu(buttons)
        await self.db.write(store.set_menu, account["id"], encode_str({"button": buttons}))

    async def menu_get(self, account: Row) -> dict[str, Any]:
        row = await self.db.read(store.account, account["id"])
        if row is None or not row["menu"]:
            raise WeChatError(46003, "menu no exist")
        menu = decode(row["menu"])
        for button in menu["button"]:
            button.setdefault("sub_button", [])
        return {"menu": menu}

    async def menu_delete(self, account: Row) -> None:
        await self.db.write(store.set_menu, account["id"], None)

    async def followers(self, account: Row, next_openid: str) -> dict[str, Any]:
        def read(tx: Tx) -> dict[str, Any]:
            page = store.followers_page(tx, account["id"], next_openid, FOLLOWERS_PAGE)
            total = store.follower_count(tx, account["id"])
            out: dict[str, Any] = {"total": total, "count": len(page), "next_openid": page[-1] if page else ""}
            if page:
                out["data"] = {"openid": page}
            return out

        return await self.db.read(read)

    async def user_info(self, account: Row, openid: str, lang: str) -> dict[str, Any]:
        follow = await self.db.read(store.follow_by_openid, account["id"], openid)
        if follow is None:
            if len(openid) != 28:
                raise WeChatError(40003, "invalid openid")
            return {"subscribe": 0, "openid": openid}
        return {
            "subscribe": 1, "openid": openid, "language": lang or "zh_CN",
            "subscribe_time": follow["followed_at"] // 1000, "remark": "", "groupid": 0, "tagid_list": [],
            "subscribe_scene": "ADD_SCENE_SEARCH", "qr_scene": 0, "qr_scene_str": "",
        }  # fmt: skip

    # -- webhook delivery (the outbox job) -------------------------------------------------------

    async def on_deliver(self, payload: bytes) -> None:
        job = decode(payload)
        account = await self.db.read(store.account, job["account_id"])
        if account is None or not account["webhook_url"]:
            return
        event, fields, msg_id = job["event"], job["fields"], job.get("msg_id")
        status, error, latency, reply = await self._post(account, fields)
        if event in NO_REPLY_EVENTS:
            reply = None
        if reply is not None:
            try:
                kind, content = self._from_reply(reply)
            except AbnormalReply as exc:
                status, error, reply = "abnormal_reply", str(exc), None
        await self.writer.run(
            self._record, account["id"], job["user_id"], event, status, error, latency,
            (kind, content) if reply is not None else None, msg_id,
        )  # fmt: skip

    async def _post(self, account: Row, fields: dict[str, Any]) -> tuple[str, str, int | None, Reply | None]:
        """Up to ``webhook_tries`` POSTs of the same envelope, until one gets an HTTP answer."""
        xml = render(fields)
        crypto = MessageCrypto(account["aes_key"], account["app_id"]) if account["mode"] != "plain" else None
        error = ""
        for _ in range(self.caps.webhook_tries):
            timestamp, nonce = str(int(time.time())), secrets.token_hex(5)
            query = {"signature": signature(account["token"], timestamp, nonce), "timestamp": timestamp,
                     "nonce": nonce, "openid": fields["FromUserName"]}  # fmt: skip
            body = xml
            if crypto is not None:
                encrypted = crypto.encrypt(xml)
                query |= {"encrypt_type": "aes", "msg_signature": signature(account["token"], timestamp, nonce,
                                                                            encrypted)}  # fmt: skip
                outer = {"ToUserName": account["gh_id"], "Encrypt": encrypted}
                body = render(outer if account["mode"] == "safe" else {**fields, "Encrypt": encrypted})
            try:
                answer = await self.webhooks.post(account["webhook_url"], query, body.encode())
            except Unreachable as exc:
                error = str(exc)
                continue
            except DomainError as exc:  # the URL resolves somewhere it may not go
                return "failed", exc.message, None, None
            if not 200 <= answer.status < 300:
                return "failed", f"HTTP {answer.status}", answer.latency_ms, None
            try:
                reply = self._reply(account, fields, answer.body, crypto)
            except AbnormalReply as exc:
                log.warning("official account %d: abnormal reply dropped: %s", account["id"], exc)
                return "abnormal_reply", str(exc), answer.latency_ms, None
            return ("delivered" if reply else "no_reply"), "", answer.latency_ms, reply
        return "failed", error, None, None

    def _reply(self, account: Row, fields: dict[str, Any], body: bytes, crypto: MessageCrypto | None) -> Reply | None:
        if crypto is not None and b"<Encrypt>" in body:
            outer = parse_xml(body)
            encrypted = outer.get("Encrypt")
            parts = (account["token"], str(outer.get("TimeStamp", "")), str(outer.get("Nonce", "")), str(encrypted))
            if not isinstance(encrypted, str) or not signature_matches(str(outer.get("MsgSignature", "")), *parts):
                raise AbnormalReply("the encrypted reply's MsgSignature does not match")
            try:
                body = crypto.decrypt(encrypted).encode()
            except CryptoError as exc:
                raise AbnormalReply(f"the encrypted reply does not decrypt: {exc}") from None
        elif account["mode"] == "safe" and body.strip() not in (b"", b"success"):
            raise AbnormalReply("in safe mode a reply must be encrypted")
        return parse_reply(body, fields["FromUserName"], account["gh_id"])

    def _from_reply(self, reply: Reply) -> tuple[str, Any]:
        if reply.msg_type == "text":
            try:
                return TEXT, validation.message_text(reply.fields["Content"], self.max_text_bytes)
            except DomainError as exc:
                raise AbnormalReply(f"the text cannot be shown: {exc.message}") from None
        if reply.msg_type in ("image", "voice"):
            inner = reply.fields.get(reply.msg_type.title())
            media_id = inner.get("MediaId") if isinstance(inner, dict) else None
            if not isinstance(media_id, str):
                raise AbnormalReply(f"a {reply.msg_type} reply needs its MediaId")
            return reply.msg_type, media_id
        if reply.msg_type == "video":
            inner = reply.fields.get("Video")
            if not isinstance(inner, dict):
                raise AbnormalReply("a video reply needs its Video")
            try:
                return VIDEO, _video(inner.get("MediaId"), inner.get("Title"), inner.get("Description"))
            except WeChatError as exc:
                raise AbnormalReply(f"a video reply: {exc.message}") from None
        if reply.msg_type == "news":
            cards = [
                {"title": a.get("Title", ""), "description": a.get("Description", ""), "url": a.get("Url", ""),
                 "picurl": a.get("PicUrl", "")}
                for a in reply.fields["Articles"]
            ]  # fmt: skip
            try:
                return NEWS, _articles(cards)
            except WeChatError as exc:
                raise AbnormalReply(exc.message) from None
        if reply.msg_type == "music":  # a link to the music, as a card
            music = reply.fields.get("Music")
            if not isinstance(music, dict) or not (url := music.get("MusicUrl") or music.get("HQMusicUrl")):
                raise AbnormalReply("a music reply needs its MusicUrl")
            card = {"title": music.get("Title") or "Music", "description": music.get("Description", ""), "url": url}
            try:
                return NEWS, _articles([card])
            except WeChatError as exc:
                raise AbnormalReply(exc.message) from None
        raise AbnormalReply(f"{reply.msg_type} replies are not shown in kith")

    def _record(
        self, tx: Tx, log: EventLog, account_id: int, user_id: int, event: str, status: str, error: str,
        latency: int | None, reply: tuple[str, Any] | None, msg_id: int | None,
    ) -> None:  # fmt: skip
        account = store.account(tx, account_id)
        if account is None:
            return
        following = reply is not None and store.follow(tx, account_id, user_id) is not None  # unfollowed: nothing
        if following and (msg_id is None or store.claim_reply(tx, account_id, msg_id)):  # a retry delivers once
            try:
                body = self._stored(tx, account, *reply)  # type: ignore[misc]
            except WeChatError as exc:
                status, error = "abnormal_reply", exc.message
            else:
                chats.post_from_account(tx, log, account_id, user_id, reply[0], body)  # type: ignore[index]
        store.add_delivery(tx, account_id, event, status, latency, error, log.now, self.caps.deliveries_kept)


def _leaves(buttons: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for button in buttons:
        out += button.get("sub_button") or [button]
    return out


def _check_menu(buttons: Any) -> None:
    """WeChat's menu rules: up to 3 buttons, each a leaf or up to 5 leaves; click, view (the kinds
    kith acts on); names and keys within their byte limits."""
    if not isinstance(buttons, list) or not 1 <= len(buttons) <= MAX_MENU_BUTTONS:
        raise WeChatError(40017, "invalid button count: 1 to 3")
    for button in buttons:
        if not isinstance(button, dict) or not isinstance(button.get("name"), str):
            raise WeChatError(40016, "invalid button")
        if len(button["name"].encode()) > 16 or not button["name"].strip():
            raise WeChatError(40018, "invalid button name size")
        subs = button.get("sub_button")
        if subs:
            if not isinstance(subs, list) or len(subs) > MAX_SUB_BUTTONS:
                raise WeChatError(40023, "invalid sub button count: at most 5")
            for sub in subs:
                _check_leaf(sub, 60)
        else:
            _check_leaf(button, 16)


def _check_leaf(button: Any, name_bytes: int) -> None:
    if not isinstance(button, dict) or not isinstance(button.get("name"), str):
        raise WeChatError(40016, "invalid button")
    if len(button["name"].encode()) > name_bytes or not button["name"].strip():
        raise WeChatError(40018, "invalid button name size")
    kind = button.get("type")
    if kind == "click":
        if not isinstance(button.get("key"), str) or not 0 < len(button["key"].encode()) <= 128:
            raise WeChatError(40019, "invalid button key size")
    elif kind == "view":
        url = button.get("url")
        if not isinstance(url, str) or urlsplit(url).scheme not in ("http", "https") or len(url) > MAX_URL:
            raise WeChatError(40055, "invalid button url domain")
    else:
        raise WeChatError(40016, f"button type {kind!r} is not supported (click and view are)")


def _articles(raw: Any) -> list[dict[str, str]]:
    if not isinstance(raw, list) or not raw:
        raise WeChatError(44003, "empty news data")
    if len(raw) > 8:
        raise WeChatError(45008, "article size out of limit: at most 8")
    out = []
    for article in raw:
        if not isinstance(article, dict):
            raise WeChatError(40035, "invalid article")
        title = article.get("title")
        if not isinstance(title, str) or not title.strip():
            raise WeChatError(40035, "an article needs a title")
        entry = {
            "title": title[:MAX_ARTICLE_TEXT],
            "description": str(article.get("description") or "")[:MAX_ARTICLE_TEXT],
        }
        for key in ("url", "picurl"):
            value = article.get(key) or ""
            if value and (not isinstance(value, str) or urlsplit(value).scheme not in ("http", "https")):
                raise WeChatError(40035, f"an article's {key} must be an http:// or https:// address")
            entry[key] = str(value)[:MAX_URL]
        out.append(entry)
    return out


def _month(now_ms: int) -> int:
    day = datetime.datetime.fromtimestamp(now_ms / 1000, datetime.UTC)
    return day.year * 100 + day.month


def _tag_name(body: dict[str, Any]) -> str:
    tag = body.get("tag")
    name = tag.get("name") if isinstance(tag, dict) else None
    if not isinstance(name, str) or not name.strip():
        raise WeChatError(40035, "a tag needs a name")
    if len(name) > MAX_TAG_NAME:
        raise WeChatError(45158, f"tag name too long: at most {MAX_TAG_NAME} characters")
    return name.strip()


def _tag_id(holder: Any, key: str) -> int:
    value = holder.get(key) if isinstance(holder, dict) else None
    if isinstance(value, str) and value.isdigit():
        value = int(value)
    if not isinstance(value, int) or isinstance(value, bool):
        raise WeChatError(45159, "invalid tag id")
    return value
