"""A deleted account's contacts (for kith.accounts.deletion, through kith.contacts.access).

Kept out of the service so that asking contacts (kith.chats does) never imports the service, which
itself asks chats (a friendship accepted opens the two friends' chat)."""

from __future__ import annotations

import msgspec

from kith.contacts import store
from kith.contacts.models import CONTACT_UNBLOCKED, FRIEND_REMOVED, FRIEND_REQUEST
from kith.contacts.views import request_model
from kith.events import EventLog
from kith.jsonenc import encode
from kith.storage.database import Tx


def forget_user(tx: Tx, log: EventLog, user_id: int) -> set[int]:
    """A deleted account's friendships, requests and blocks go, each other side told; returns who was."""
    friends = store.friend_ids(tx, user_id)
    requests = store.requests_of(tx, user_id)
    blockers = store.blockers(tx, user_id)
    for friend_id in friends:
        log.append(friend_id, FRIEND_REMOVED, encode({"user_id": user_id}))
    counterparts = set()
    for row in requests:
        other = row["to_id"] if row["from_id"] == user_id else row["from_id"]
        counterparts.add(other)
        # a pending request ends; one the other side never saw (silenced) stays unseen
        if row["status"] == "pending" and not (row["from_id"] == user_id and row["silenced"]):
            ended = msgspec.structs.replace(request_model(tx, row), status="cancelled")
            log.append(other, FRIEND_REQUEST, encode({"request": ended}))
    for blocker in blockers:
        log.append(blocker, CONTACT_UNBLOCKED, encode({"user_id": user_id}))
    store.forget_user(tx, user_id)
    return set(friends) | counterparts | set(blockers)
