"""What the rest of kith may ask of push: "this is stored for them; push it if they hear nothing"."""

from __future__ import annotations

from collections.abc import Iterable

from kith.events import EventLog
from kith.jsonenc import encode
from kith.push import store
from kith.push.models import FRIEND_REQUEST, MESSAGE, PUSH
from kith.storage.database import Tx

__all__ = ["forget_device", "forget_user", "notify_message", "notify_request"]


def notify_message(
    tx: Tx, log: EventLog, conversation_id: int, message_id: int, recipients: Iterable[int], loud: Iterable[int] = ()
) -> None:
    """A message was stored for ``recipients`` (its sender left out): a push job for those with a
    push subscription, done after the commit. ``loud``: those who hear it even in a conversation
    they muted (a mention). The send pays one indexed read; the job decides the rest."""
    notify_subscribed(log, conversation_id, message_id, store.subscribed(tx, sorted(set(recipients))), loud)


def notify_subscribed(
    log: EventLog, conversation_id: int, message_id: int, users: list[int], loud: Iterable[int] = ()
) -> None:
    """``notify_message`` for recipients already known to have a subscription (sorted)."""
    if users:
        loud_ones = sorted(set(loud) & set(users))
        job = {"kind": MESSAGE, "conversation_id": conversation_id, "message_id": message_id, "users": users}
        log.enqueue(PUSH, encode({**job, "loud": loud_ones} if loud_ones else job))


def notify_request(tx: Tx, log: EventLog, user_id: int, request_id: int) -> None:
    """A friend request reached ``user_id``."""
    if store.subscribed(tx, [user_id]):
        log.enqueue(PUSH, encode({"kind": FRIEND_REQUEST, "request_id": request_id, "users": [user_id]}))


def forget_device(tx: Tx, device_id: int) -> None:
    """A device signed out: its pushes stop."""
    store.delete_of_device(tx, device_id)


def forget_user(tx: Tx, user_id: int) -> None:
    """A deleted account: its subscriptions, its settings, its coalescing marks."""
    store.forget_user(tx, user_id)
