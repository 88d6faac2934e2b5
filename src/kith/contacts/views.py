"""Friend requests and friends as their owners see them (for the service and account deletion)."""

from __future__ import annotations

from kith.accounts import access as accounts
from kith.accounts.models import user_from_row
from kith.contacts import store
from kith.contacts.models import Friend, FriendRequest
from kith.storage.database import Row, Tx


def request_model(tx: Tx, row: Row) -> FriendRequest:
    users = accounts.users(tx, [row["from_id"], row["to_id"]])
    return FriendRequest(
        id=row["id"],
        from_user=user_from_row(users[row["from_id"]]),
        to_user=user_from_row(users[row["to_id"]]),
        greeting=row["greeting"],
        status=row["status"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
    )


def friend_model(tx: Tx, user_id: int, friend_id: int) -> Friend:
    friendship = store.friendship(tx, user_id, friend_id)
    assert friendship is not None
    return Friend(
        user=user_from_row(accounts.user(tx, friend_id)),
        remark=friendship["remark"],
        since=friendship["created_at"],
        blocked=store.has_blocked(tx, user_id, friend_id),
    )
