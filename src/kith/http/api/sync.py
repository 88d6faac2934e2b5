"""Sync over REST (the WebSocket pushes the same events live)."""

from __future__ import annotations

import msgspec

from kith.http.api.fields import Since, SyncLimit
from kith.http.endpoint import Call
from kith.sync.models import SyncPage


class SyncQuery(msgspec.Struct):
    since: Since = 0
    limit: SyncLimit | None = None


async def sync(call: Call) -> SyncPage:
    q: SyncQuery = call.query
    return await call.services.sync.sync(call.caller.user_id, q.since, q.limit)
