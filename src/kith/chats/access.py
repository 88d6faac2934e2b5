"""What the rest of kith may ask of chats."""

from __future__ import annotations

from kith.chats.models import message_json
from kith.chats.service import befriended, forget_orphans, leave_all, open_official, post_from_account
from kith.chats.store import (
    accounts_of_messages,
    is_member,
    message_for_push,
    muted_of,
    set_body,
    system_notices_naming,
    visible_messages,
)
from kith.storage.database import Tx, placeholders

__all__ = [
    "accounts_of_messages",
    "befriended",
    "forget_orphans",
    "is_member",
    "leave_all",
    "message_for_push",
    "muted_of",
    "open_official",
    "post_from_account",
    "render_messages",
    "set_body",
    "system_notices_naming",
    "visible_messages",
]


def render_messages(tx: Tx, message_ids: list[int]) -> dict[int, bytes]:
    """Messages as they are now, by id: how the event log shows the ``message`` events that refer to them."""
    rows = tx.all(f"SELECT * FROM messages WHERE id IN ({placeholders(len(message_ids))})", message_ids)
    return {row["id"]: message_json(row) for row in rows}
