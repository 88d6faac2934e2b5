"""What the rest of kith may ask of contacts: "may A message B", friends, remarks, blocks."""

from __future__ import annotations

from kith.contacts.forget import forget_user
from kith.contacts.store import are_friends, friend_ids, friend_ids_after, relation, relations, remarks, request

__all__ = [
    "are_friends",
    "forget_user",
    "friend_ids",
    "friend_ids_after",
    "relation",
    "relations",
    "remarks",
    "request",
]
