"""The per-user event log as clients see it.

An event is ``{"seq": N, "type": "...", "at": ms, "data": {...}}``; ``seq`` is gapless and strictly
increasing per user. Event types and their data are listed in docs/sync.md.
"""

from __future__ import annotations

import msgspec


class Emitted(msgspec.Struct, array_like=True):
    """One event appended in a transaction, ready to publish after the commit."""

    user_id: int
    seq: int
    frame: bytes  # the event's JSON, exactly as sync would return it


def frame(seq: int, type_: str, at: int, data: bytes) -> bytes:
    return b'{"seq":%d,"type":"%s","at":%d,"data":%s}' % (seq, type_.encode(), at, data)


class SyncPage(msgspec.Struct):
    events: list[msgspec.Raw]
    next_since: int  # pass as `since` to continue
    head: int  # the user's latest seq when the page was read
    has_more: bool
