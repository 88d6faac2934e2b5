"""The outbox: work to do after a change commits, written in the change's own transaction.

A job (topic + payload) is inserted by ``EventLog.enqueue`` inside a write job, so it exists if and
only if the change committed. ``OutboxWorker`` drains due jobs in the background: it claims a batch
by pushing their ``run_after`` past a lease (a node that dies mid-job lets the lease run out and the
job comes back), runs each job's handler, deletes the jobs that succeeded and reschedules the others
with exponential backoff until ``max_attempts``, after which a job is kept, marked failed, for the
operator. Delivery is at least once: handlers must be idempotent (a webhook deduplicates by id).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

from kith.clock import Clock
from kith.storage.database import Database, Tx, placeholders

log = logging.getLogger(__name__)

Handler = Callable[[bytes], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class OutboxJob:
    topic: str
    payload: bytes
    delay_ms: int = 0


@dataclass(frozen=True, slots=True)
class Claimed:
    id: int
    topic: str
    payload: bytes
    attempts: int  # including this one


@dataclass(frozen=True)
class OutboxLimits:
    batch: int = 50  # jobs claimed at once
    concurrency: int = 8  # handlers running at once
    lease_ms: int = 60_000  # a claimed job comes back after this if its node vanished
    max_attempts: int = 8
    backoff_ms: int = 1_000  # first retry after this, doubling each time, at most an hour
    poll_ms: int = 1_000  # how often to look for due jobs when nobody kicks the worker


def insert_jobs(tx: Tx, jobs: list[OutboxJob], now: int) -> None:
    tx.executemany(
        "INSERT INTO outbox (topic, payload, run_after, created_at) VALUES (?, ?, ?, ?)",
        [(job.topic, job.payload.decode(), now + job.delay_ms, now) for job in jobs],
    )


def claim(tx: Tx, now: int, limit: int, lease_ms: int) -> list[Claimed]:
    rows = tx.all(
        "SELECT id FROM outbox WHERE failed_at IS NULL AND run_after <= ? ORDER BY run_after, id LIMIT ?",
        (now, limit),
    )
    if not rows:
        return []
    ids = [r["id"] for r in rows]
    # re-checked under the row locks: on PostgreSQL a job another node claimed meanwhile is skipped
    claimed = tx.all(
        f"UPDATE outbox SET run_after = ?, attempts = attempts + 1 WHERE id IN ({placeholders(len(ids))})"
        " AND failed_at IS NULL AND run_after <= ? RETURNING id, topic, payload, attempts",
        (now + lease_ms, *ids, now),
    )
    jobs = [Claimed(r["id"], r["topic"], r["payload"].encode(), r["attempts"]) for r in claimed]
    return sorted(jobs, key=lambda j: j.id)


def finish(tx: Tx, done: list[int], failed: list[tuple[int, int | None, str]], now: int) -> None:
    """Delete the jobs in ``done``; reschedule each of ``failed`` (id, run_after or None to give up, error)."""
    if done:
        tx.execute(f"DELETE FROM outbox WHERE id IN ({placeholders(len(done))})", done)
    for job_id, run_after, error in failed:
        if run_after is None:
            tx.execute("UPDATE outbox SET failed_at = ?, last_error = ? WHERE id = ?", (now, error[:1000], job_id))
        else:
            tx.execute(
                "UPDATE outbox SET run_after = ?, last_error = ? WHERE id = ?", (run_after, error[:1000], job_id)
            )


def pending(tx: Tx) -> list[Any]:
    """Every job not yet done, failed ones included (for the operator and the tests)."""
    return tx.all("SELECT id, topic, payload, attempts, run_after, last_error, failed_at FROM outbox ORDER BY id")


class OutboxWorker:
    """Drains the outbox: one loop per node, woken by ``kick()`` after a commit that enqueued work."""

    def __init__(
        self, db: Database, clock: Clock, handlers: Mapping[str, Handler], limits: OutboxLimits | None = None
    ) -> None:
        self.db = db
        self.clock = clock
        self.handlers = dict(handlers)
        self.limits = limits or OutboxLimits()
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def register(self, topic: str, handler: Handler) -> None:
        self.handlers[topic] = handler

    def kick(self) -> None:
        self._wake.set()

    async def start(self) -> None:
        self._wake = asyncio.Event()
        self._task = asyncio.create_task(self._run(), name="kith-outbox")

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _run(self) -> None:
        while True:
            try:
                busy = await self.drain_once()
            except Exception:
                log.exception("outbox worker: a round failed")
                busy = False
            if not busy:
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(self.limits.poll_ms / 1000):
                        await self._wake.wait()
                self._wake.clear()

    async def drain_once(self) -> bool:
        """Claim and run one batch of due jobs; True if there was any."""
        limits = self.limits
        jobs = await self.db.write(claim, self.clock.now_ms(), limits.batch, limits.lease_ms)
        if not jobs:
            return False
        gate = asyncio.Semaphore(limits.concurrency)
        outcomes = await asyncio.gather(*(self._run_one(job, gate) for job in jobs))
        now = self.clock.now_ms()
        done = [job.id for job, error in zip(jobs, outcomes, strict=True) if error is None]
        failed = []
        for job, error in zip(jobs, outcomes, strict=True):
            if error is not None:
                give_up = job.attempts >= limits.max_attempts
                delay = min(limits.backoff_ms * 2 ** (job.attempts - 1), 3_600_000)
                failed.append((job.id, None if give_up else now + delay, error))
        await self.db.write(finish, done, failed, now)
        return True

    async def _run_one(self, job: Claimed, gate: asyncio.Semaphore) -> str | None:
        handler = self.handlers.get(job.topic)
        if handler is None:
            return f"no handler for topic {job.topic!r}"
        async with gate:
            try:
                # a handler that outlives its lease would run twice: past the lease it counts as failed
                async with asyncio.timeout(self.limits.lease_ms / 1000 * 0.9):
                    await handler(job.payload)
            except Exception as exc:
                log.warning("outbox job %d (%s) failed, try %d: %r", job.id, job.topic, job.attempts, exc)
                return f"{type(exc).__name__}: {exc}"
        return None
