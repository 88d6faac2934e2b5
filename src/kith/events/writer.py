"""The unit of work: run a write job, append its events in the same transaction, publish after commit."""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from kith.bus.base import Bus, Wakeup
from kith.clock import Clock
from kith.events.log import EventLog
from kith.events.models import Emitted
from kith.storage.database import Database, Tx, settle

T = TypeVar("T")


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

    def __init__(self, db: Database, bus: Bus, clock: Clock, on_outbox: Callable[[], None] | None = None) -> None:
        self.db = db
        self.bus = bus
        self.clock = clock
        self.on_outbox = on_outbox  # told after a commit that left work in the outbox (wakes its worker)

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

    def _job(self, tx: Tx, fn: Callable[..., T], args: tuple[Any, ...]) -> tuple[T, list[Emitted], bool]:
        log = EventLog(tx, self.clock.now_ms())
        result = fn(tx, log, *args)
        queued = log.has_jobs
        return result, log.flush(), queued

    def _publish(self, done: asyncio.Future[T], committed: asyncio.Future[tuple[T, list[Emitted], bool]]) -> None:
        if committed.cancelled():
            done.cancel()
            return
        error = committed.exception()
        result = None
        if error is None:
            result, emitted, queued = committed.result()
            if emitted:
                self.bus.publish(wakeups(emitted))
            if queued and self.on_outbox is not None:
                self.on_outbox()
        settle(done, result, error)
