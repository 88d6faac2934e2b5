"""Sync: a user's event log read in pages, as clients see it."""

from __future__ import annotations

from collections.abc import Mapping

import msgspec

from kith.errors import Invalid
from kith.events import log as store
from kith.events.log import Renderer
from kith.storage.database import Database, Tx
from kith.sync.models import SyncPage

_MAX_SEQ = 2**63 - 1


def _read_page(
    tx: Tx, user_id: int, since: int, limit: int, renderers: Mapping[str, Renderer]
) -> tuple[list[bytes], int]:
    return store.page(tx, user_id, since, limit, renderers), store.head(tx, user_id)


class SyncService:
    def __init__(self, db: Database, page_max: int, renderers: Mapping[str, Renderer]) -> None:
        self.db = db
        self.page_max = page_max
        self.renderers = renderers  # by object kind: how events that refer to objects are shown

    async def head(self, user_id: int) -> int:
        return await self.db.read(store.head, user_id)

    async def heads(self, user_ids: list[int]) -> dict[int, int]:
        """The heads of many users' logs in one read (the WebSocket heartbeat sweep)."""
        return await self.db.read(store.heads, user_ids)

    async def frames(
        self, user_id: int, since: int, limit: int | None = None, max_bytes: int | None = None
    ) -> tuple[list[bytes], int]:
        """Raw event frames after ``since`` (at most a page, and no more than ``max_bytes`` of them
        past the first) and the head they were read at."""
        limit = self.page_max if limit is None else limit
        frames, head = await self.db.read(_read_page, user_id, since, limit, self.renderers)
        if max_bytes is not None:
            size = 0
            for n, f in enumerate(frames):
                size += len(f)
                if size > max_bytes and n > 0:
                    return frames[:n], head
        return frames, head

    async def sync(self, user_id: int, since: int, limit: int | None) -> SyncPage:
        if since < 0:
            raise Invalid("since must be 0 or more", field="since")
        if limit is not None and not 1 <= limit <= self.page_max:
            raise Invalid(f"limit must be between 1 and {self.page_max}", field="limit")
        # a since beyond any seq is simply ahead of the log (and must not reach the store as is)
        frames, head = await self.frames(user_id, min(since, _MAX_SEQ), limit or self.page_max)
        if since > head:
            raise Invalid(
                f"since={since} is ahead of your log (head {head}); sync again from 0",
                code="since_ahead",
                head=head,
            )
        next_since = since + len(frames)  # the log is gapless
        return SyncPage(
            events=[msgspec.Raw(f) for f in frames],
            next_since=next_since,
            head=head,
            has_more=next_since < head,
        )
