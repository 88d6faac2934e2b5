"""Web Push: devices subscribe; a message stored for someone with no app open reaches their browsers.

When a message is stored, the send's own transaction looks up (one indexed read) which of its
recipients have a push subscription, and only then leaves one outbox job (``kith.push.access``):
the send path stays one transaction, and the push can never go out for a send that rolled back, nor
be lost to a crash after the commit. The job, after the commit:

1. reads the message as it is now (recalled meanwhile: nothing), who of those recipients is still
   a member and who muted the conversation (a muted one sends nothing, unless the user is ``loud``,
   as a mention will be), and who allows previews;
2. leaves out the users who have an open WebSocket on any node (``Bus.present``): their app shows
   the message itself, and notifies with the browser's Notification API while its tab is hidden;
3. claims, per user and conversation, the coalescing window (``push_coalesce_seconds``, in the
   store, so every node agrees): one push per conversation in that time, never a burst;
4. encrypts and POSTs one push per subscription, concurrently, each with a timeout and a retry or
   two; a 404 or 410 from the push service deletes that subscription.

A push is perishable: one that failed its tries is dropped, not rescheduled for hours later. The
payload says only what kind of thing happened and where ("New message", the conversation id),
unless the user turned previews on: then the sender's name, the group's name and the text.
"""

from __future__ import annotations

import asyncio
import base64
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ec
from py_vapid import Vapid

from kith.accounts import access as accounts
from kith.accounts.models import Caller
from kith.bus.base import Bus
from kith.chats import access as chats
from kith.clock import Clock
from kith.contacts import access as contacts
from kith.errors import Conflict, Invalid
from kith.events import EventLog, Writer
from kith.jsonenc import decode, encode
from kith.push import store
from kith.push.models import (
    AUTH,
    FRIEND_REQUEST,
    MAX_SUBSCRIPTIONS,
    MESSAGE,
    P256DH,
    PREVIEW_CHARS,
    REQUESTS,
    PushKey,
    PushLimits,
    PushSettings,
    Subscription,
)
from kith.push.sender import PushClient, Refused, Unreachable, check_endpoint
from kith.push.vapid import Signer, b64url, load_or_create, public_key
from kith.storage.database import Database, Row, Tx

log = logging.getLogger(__name__)

GONE = (404, 410)  # the push service no longer knows the subscription
RETRY = (429, 500, 502, 503, 504)


@dataclass(frozen=True)
class Notice:
    """One user's push: what to say, and where (the coalescing key and the push's topic)."""

    user_id: int
    key: int
    payload: bytes
    topic: str
    urgency: str


def _decode_key(value: str, field: str, size: int) -> bytes:
    trimmed = value.rstrip("=")
    raw = base64.urlsafe_b64decode(trimmed + "=" * (-len(trimmed) % 4))
    if len(raw) != size:
        raise Invalid(f"keys.{field} must be {size} bytes in URL-safe base64", field=f"keys.{field}")
    return raw


def check_keys(p256dh: str, auth: str) -> tuple[str, str]:
    """The subscription's keys in their one spelling (unpadded), or Invalid."""
    if not P256DH.match(p256dh):
        raise Invalid("keys.p256dh must be a P-256 public key in URL-safe base64", field="keys.p256dh")
    if not AUTH.match(auth):
        raise Invalid("keys.auth must be 16 bytes in URL-safe base64", field="keys.auth")
    point = _decode_key(p256dh, "p256dh", 65)
    try:
        ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), point)
    except ValueError:
        raise Invalid("keys.p256dh is not a point of the P-256 curve", field="keys.p256dh") from None
    return b64url(point), b64url(_decode_key(auth, "auth", 16))


def _origin(endpoint: str) -> str:
    scheme, _, rest = endpoint.partition("://")
    return f"{scheme}://{rest.split('/', 1)[0]}"


def _subscription(row: Row) -> Subscription:
    return Subscription(row["id"], row["device_id"], _origin(row["endpoint"]), row["created_at"])


def _preview_text(row: Row) -> str:
    if row["kind"] != "text":
        return ""  # an image, voice note, file or place: its kind says it (``message_kind``)
    text: str = row["body"]
    return text if len(text) <= PREVIEW_CHARS else text[: PREVIEW_CHARS - 1] + "…"


def _message_notices(tx: Tx, job: dict[str, Any]) -> list[Notice]:
    row = chats.message_for_push(tx, job["message_id"])
    if row is None or row["recalled_at"] is not None:
        return []
    conversation_id = row["conversation_id"]
    muted = chats.muted_of(tx, conversation_id, job["users"])
    loud = set(job.get("loud", ()))
    hearing = [u for u in job["users"] if u in muted and (not muted[u] or u in loud)]
    if not hearing:
        return []
    shown = store.previews(tx, hearing)
    sender_id = row["sender_id"]
    sender = accounts.shown_users(tx, [sender_id]).get(sender_id) if sender_id is not None and shown else None
    base = {"kind": MESSAGE, "conversation_id": conversation_id, "seq": row["seq"], "title": "New message"}
    group = row["conversation_kind"] == "group"
    notices = []
    for user_id in hearing:
        data = dict(base)
        if user_id in shown:
            name = sender["display_name"] if sender is not None else ""
            if not group and sender_id is not None:
                name = contacts.remarks(tx, user_id, [sender_id]).get(sender_id) or name
            data.update(sender=name, text=_preview_text(row), message_kind=row["kind"])
            if group:
                data.update(group=row["conversation_name"] or "Group chat")
            data["title"] = data.get("group") or name or "New message"
        notices.append(Notice(user_id, conversation_id, encode(data), f"c{conversation_id}", "high"))
    return notices


def _request_notices(tx: Tx, job: dict[str, Any]) -> list[Notice]:
    row = contacts.request(tx, job["request_id"])
    if row is None or row["status"] != "pending" or row["silenced"]:
        return []
    user_id = row["to_id"]
    data: dict[str, Any] = {"kind": FRIEND_REQUEST, "request_id": row["id"], "title": "New friend request"}
    if store.previews(tx, [user_id]):
        sender = accounts.shown_users(tx, [row["from_id"]]).get(row["from_id"])
        name = sender["display_name"] if sender is not None else ""
        data.update(sender=name, text=row["greeting"], title=f"{name} wants to be friends" if name else data["title"])
    return [Notice(user_id, REQUESTS, encode(data), "requests", "normal")]


def _plan(tx: Tx, job: dict[str, Any]) -> tuple[list[Notice], list[Row]]:
    notices = _message_notices(tx, job) if job["kind"] == MESSAGE else _request_notices(tx, job)
    subscriptions = store.subscriptions(tx, sorted({n.user_id for n in notices})) if notices else []
    return notices, subscriptions


def _claim(tx: Tx, log: EventLog, notices: list[Notice], window_ms: int) -> set[int]:
    return {n.user_id for n in notices if store.claim(tx, n.user_id, n.key, log.now, window_ms)}


def _delete_gone(tx: Tx, log: EventLog, gone: list[tuple[int, str]]) -> None:
    for subscription_id, endpoint in gone:
        store.delete_gone(tx, subscription_id, endpoint)


class PushService:
    def __init__(self, db: Database, writer: Writer, bus: Bus, clock: Clock, caps: PushLimits, key_file: Path) -> None:
        self.db = db
        self.writer = writer
        self.bus = bus
        self.clock = clock
        self.caps = caps
        self.key_file = key_file
        self._vapid: Vapid | None = None
        self._client: PushClient | None = None

    def _keys(self) -> Vapid:
        if self._vapid is None:
            self._vapid = load_or_create(self.key_file)
        return self._vapid

    def _pusher(self) -> PushClient:
        if self._client is None:
            signer = Signer(self._keys(), self.caps.contact)
            self._client = PushClient(signer, self.caps.timeout_s, self.caps.ttl_s, self.caps.allow_insecure)
        return self._client

    async def start(self) -> None:
        """Read (or make, on first start) the VAPID key now, so a bad key file stops the start."""
        await asyncio.to_thread(self._keys)

    async def close(self) -> None:
        if self._client is not None:
            await self._client.close()

    # -- the API ---------------------------------------------------------------------------

    async def key(self) -> PushKey:
        return PushKey(public_key(self._vapid or await asyncio.to_thread(self._keys)))

    async def subscribe(self, caller: Caller, endpoint: str, p256dh: str, auth: str) -> tuple[Subscription, bool]:
        """This device's push subscription (a second one replaces the first); True if it is new."""
        check_endpoint(endpoint, self.caps.allow_insecure)
        p256dh, auth = check_keys(p256dh, auth)

        def save(tx: Tx, log: EventLog) -> tuple[Subscription, bool]:
            had = store.of_device(tx, caller.device_id)
            if had is None and store.count(tx, caller.user_id) >= MAX_SUBSCRIPTIONS:
                raise Conflict(
                    f"at most {MAX_SUBSCRIPTIONS} devices may take pushes; turn notifications off on one",
                    "too_many_subscriptions",
                )
            store.save(tx, caller.user_id, caller.device_id, endpoint, p256dh, auth, log.now)
            return _subscription(store.of_device(tx, caller.device_id)), had is None

        return await self.writer.run(save)

    async def unsubscribe(self, caller: Caller) -> None:
        """This device takes no more pushes (done already, nothing changes)."""

        def delete(tx: Tx, log: EventLog) -> None:
            store.delete_of_device(tx, caller.device_id)

        await self.writer.run(delete)

    async def subscriptions(self, caller: Caller) -> list[Subscription]:
        return [_subscription(r) for r in await self.db.read(store.of_user, caller.user_id)]

    async def settings(self, caller: Caller) -> PushSettings:
        def read(tx: Tx) -> PushSettings:
            previews = bool(store.previews(tx, [caller.user_id]))
            return PushSettings(previews, store.of_device(tx, caller.device_id) is not None)

        return await self.db.read(read)

    async def set_settings(self, caller: Caller, previews: bool) -> PushSettings:
        def update(tx: Tx, log: EventLog) -> PushSettings:
            store.set_previews(tx, caller.user_id, previews)
            return PushSettings(previews, store.of_device(tx, caller.device_id) is not None)

        return await self.writer.run(update)

    # -- the outbox job --------------------------------------------------------------------

    async def on_push(self, payload: bytes) -> None:
        """Push a stored message (or friend request) to those of its recipients who hear of it no other way."""
        notices, subscriptions = await self.db.read(_plan, decode(payload))
        if not notices:
            return
        present = await asyncio.gather(*(self.bus.present(n.user_id) for n in notices))
        away = [n for n, here in zip(notices, present, strict=True) if not here]
        if not away:
            return
        allowed = await self.writer.run(_claim, away, self.caps.coalesce_ms)
        by_user = {n.user_id: n for n in away if n.user_id in allowed}
        targets = [(row, by_user[row["user_id"]]) for row in subscriptions if row["user_id"] in by_user]
        if not targets:
            return
        gate = asyncio.Semaphore(self.caps.concurrency)
        outcomes = await asyncio.gather(*(self._deliver(row, notice, gate) for row, notice in targets))
        gone = [(row["id"], row["endpoint"]) for (row, _), ok in zip(targets, outcomes, strict=True) if ok is None]
        if gone:
            await self.writer.run(_delete_gone, gone)

    async def _deliver(self, row: Row, notice: Notice, gate: asyncio.Semaphore) -> bool | None:
        """True if the push service took it, False if not, None if the subscription is gone."""
        pusher = self._pusher()
        async with gate:
            for attempt in range(1, self.caps.tries + 1):
                try:
                    sent = await pusher.send(
                        row["endpoint"], row["p256dh"], row["auth"], notice.payload, notice.topic, notice.urgency
                    )
                except (Refused, Invalid) as exc:  # never acceptable again: its host, or the settings, changed
                    log.warning("push subscription %d refused, deleted: %s", row["id"], exc)
                    return None
                except Unreachable as exc:
                    log.info("push to subscription %d failed, try %d: %s", row["id"], attempt, exc)
                else:
                    if sent.status in GONE:
                        return None
                    if 200 <= sent.status < 300:
                        return True
                    if sent.status not in RETRY:
                        log.warning("push service answered %d for subscription %d", sent.status, row["id"])
                        return False
                    log.info("push service answered %d for subscription %d, try %d", sent.status, row["id"], attempt)
                if attempt < self.caps.tries:
                    await asyncio.sleep(0.5 * attempt)
        return False
