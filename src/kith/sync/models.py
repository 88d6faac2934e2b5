"""The per-user event log as clients see it.

An event is ``{"seq": N, "type": "...", "at": ms, "data": {...}}``; ``seq`` is gapless and strictly
increasing per user. Event types and their data are listed in docs/sync.md.
"""

from __future__ import annotations

import msgspec


class SyncPage(msgspec.Struct):
    events: list[msgspec.Raw]
    next_since: int  # pass as `since` to continue
    head: int  # the user's latest seq when the page was read
    has_more: bool
