"""Sync: read a user's event log in pages; write changes and publish their wake-ups after commit."""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

import msgspec

from kith.bus.base import Bus, Wakeup
from kith.clock import Clock
from kith.errors import Invalid
from kith.storage.database import Database, Tx, settle
from kith.sync import store
from kith.sync.models import Emitted, SyncPage
from kith.sync.store import EventLog

T = TypeVar("T")
_MAX_SEQ = 2**63 - 1


def wakeups(emitted: Iterable[Emitted]) -> list[Wakeup]:
    """One wake-up per user, carrying that user's new frames in seq order."""
    by_user: dict[int, Wakeup] = {}
    for e in emitted:
        wakeup = by_user.get(e.user_id)
        if wakeup is None:
            by_user[e.user_id] = Wakeup(e.user_id, e.seq, [e.frame])
        else:
            wakeup.seq = e.seq
            wakeup.frames.append(e.frame)  # type: ignore[union-attr]
    return list(by_user.values())


class Writer:
    """Runs the services' write jobs and publishes what they appended once the commit is durable.

    A job is ``fn(tx, log, *args)``: it changes state through ``tx`` and appends events through
    ``log`` (an ``EventLog`` of the same transaction). Events reach the bus only after the commit,
    so nobody is ever woken for a change that could still roll back.
    """

    def __init__(self, db: Database, bus: Bus, clock: Clock) -> None:
        self.db = db
        self.bus = bus
        self.clock = clock

    def run(self, fn: Callable[..., T], *args: Any, order_key: int | None = None) -> asyncio.Future[T]:
        """Queue the job now (not when awaited); the future settles after the commit and the publish.

        Jobs with the same ``order_key`` commit in the order run() was called; on SQLite every job
        does. The wake-ups go out even if nobody awaits the future any more (a client that hung up
        after sending still gets its message delivered to the others at once).
        """
        committed = self.db.write(self._job, fn, args, order_key=order_key)
        done: asyncio.Future[T] = committed.get_loop().create_future()
        committed.add_done_callback(functools.partial(self._publish, done))
        return done

    def _job(self, tx: Tx, fn: Callable[..., T], args: tuple[Any, ...]) -> tuple[T, list[Emitted]]:
        log = EventLog(tx, self.clock.now_ms())
        result = fn(tx, log, *args)
        return result, log.flush()

    def _publish(self, done: asyncio.Future[T], committed: asyncio.Future[tuple[T, list[Emitted]]]) -> None:
        if committed.cancelled():
            done.cancel()
            return
        error = committed.exception()
        result = None
        if error is None:
            result, emitted = committed.result()
            if emitted:
                self.bus.publish(wakeups(emitted))
        settle(done, result, error)


def _read_page(tx: Tx, user_id: int, since: int, limit: int) -> tuple[list[bytes], int]:
    return store.page(tx, user_id, since, limit), store.head(tx, user_id)


class SyncService:
    def __init__(self, db: Database, page_max: int) -> None:
        self.db = db
        self.page_max = page_max

    async def head(self, user_id: int) -> int:
        return await self.db.read(store.head, user_id)

    async def heads(self, user_ids: list[int]) -> dict[int, int]:
        """The heads of many users' logs in one read (the WebSocket heartbeat sweep)."""
        return await self.db.read(store.heads, user_ids)

    async def frames(self, user_id: int, since: int, limit: int | None = None) -> tuple[list[bytes], int]:
        """Raw event frames after ``since`` (at most a page) and the head they were read at."""
        limit = self.page_max if limit is None else limit
        return await self.db.read(_read_page, user_id, since, limit)

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
