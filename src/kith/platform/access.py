"""What the rest of kith may ask of official accounts: how an account's conversation looks, and
what happens when a follower writes in it."""

from __future__ import annotations

import secrets
from typing import Any

from kith.errors import Forbidden
from kith.events import EventLog
from kith.jsonenc import decode, encode
from kith.media import access as media
from kith.media.models import REF_ACCOUNT_MATERIAL
from kith.platform import store
from kith.platform.models import POSTER, WINDOW_MESSAGE, AccountCard
from kith.storage.database import Row, Tx

DELIVER = "platform.deliver"  # the outbox topic: one message or event to an account's webhook


def card(row: Row, following: bool) -> AccountCard:
    menu = decode(row["menu"])["button"] if row["menu"] else None
    return AccountCard(row["id"], row["name"], row["kind"], row["description"], row["avatar_id"], following, menu)


def cards(tx: Tx, account_ids: list[int], viewer: int) -> dict[int, AccountCard]:
    rows = store.accounts(tx, account_ids)
    followed = store.following(tx, viewer, list(rows))
    return {account_id: card(row, account_id in followed) for account_id, row in rows.items()}


def check_can_write(tx: Tx, account_id: int, user_id: int) -> None:
    if store.follow(tx, account_id, user_id) is None:
        raise Forbidden("follow this account again to write to it", "not_following")


def enqueue_delivery(
    tx: Tx, log: EventLog, account_id: int, user_id: int, event: str, fields: dict[str, Any], msg_id: int | None = None
) -> None:
    """Put one envelope for the account's webhook in the outbox (nothing if it has no webhook):
    the XML's fields are fixed now, so every try of the delivery sends the same envelope.

    The job's ``msg_id`` is what its passive reply is shown once by, however often the delivery is
    tried (the outbox runs a job again when its node died before marking it done, reply stored or
    not): a message's id, or for an event, which has none, a random negative number drawn now."""
    account = store.account(tx, account_id)
    follow = store.follow(tx, account_id, user_id)
    if account is None or follow is None or not account["webhook_url"]:
        return
    envelope = {"ToUserName": account["gh_id"], "FromUserName": follow["openid"], "CreateTime": log.now // 1000}
    envelope.update(fields)
    reply_key = msg_id if msg_id is not None else -1 - secrets.randbits(62)
    payload = {"account_id": account_id, "user_id": user_id, "event": event, "fields": envelope, "msg_id": reply_key}
    log.enqueue(DELIVER, encode(payload))


def user_wrote(tx: Tx, log: EventLog, account_id: int, user_id: int, message: Any) -> None:
    """A follower's message in the account's conversation: it opens the customer-service window
    and goes to the webhook as its MsgType."""
    store.open_window(tx, account_id, user_id, WINDOW_MESSAGE, log.now)
    if message.location is not None:
        place = message.location
        fields: dict[str, Any] = {"MsgType": "location", "Location_X": place.latitude, "Location_Y": place.longitude,
                                  "Scale": place.scale, "Label": place.label}  # fmt: skip
    elif message.media is not None:
        kind = message.media.kind
        fields = {"MsgType": kind, "MediaId": message.media.id}
        if kind == "voice":
            fields["Format"] = message.media.mime.split("/")[-1]
        elif kind == "video":
            fields["ThumbMediaId"] = message.media.id + POSTER
        else:
            fields["PicUrl"] = ""
    else:
        fields = {"MsgType": "text", "Content": message.text}
    fields["MsgId"] = message.id
    enqueue_delivery(tx, log, account_id, user_id, fields["MsgType"], fields, msg_id=message.id)


def retire_accounts(tx: Tx, log: EventLog, owner_id: int) -> None:
    """A deleted user's accounts stop: no secret opens them, no token works, no webhook is called.
    Their followers keep the conversations (and the articles sent in them); the names stay taken (a
    new account cannot pose as one); their material, which only they saw, is let go to the sweep."""
    retired = [row["id"] for row in store.owned(tx, owner_id)]
    for account_id in retired:
        store.update_account(tx, account_id, secret_hash="", webhook_url="", menu=None)
        store.forget_tokens(tx, account_id)
    store.forget_material(tx, retired)
    media.release(tx, log, REF_ACCOUNT_MATERIAL, retired)


def forget_follower(tx: Tx, user_id: int) -> None:
    """A deleted user follows nothing any more: no account can reach the tombstone, and no account's
    follower list or tags name it."""
    store.forget_follower(tx, user_id)
