"""The outbox: jobs written in the change's transaction, run after commit, retried, never lost on a crash."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Awaitable, Callable

import pytest
from domain import Kit

from kith.events import EventLog, Writer
from kith.events.outbox import OutboxLimits, OutboxWorker, pending
from kith.storage.database import Tx


def writer_for(kit: Kit, worker: OutboxWorker | None = None) -> Writer:
    return Writer(kit.db, kit.bus, kit.clock, on_outbox=(worker or kit.outbox).kick)


def enqueue(tx: Tx, log: EventLog, *payloads: str) -> None:
    for payload in payloads:
        log.enqueue("test.note", payload.encode())


def doomed(tx: Tx, log: EventLog) -> None:
    log.enqueue("test.note", b"never")
    raise RuntimeError("the change fails after enqueueing")


async def eventually(check: Callable[[], bool | Awaitable[bool]], timeout: float = 10) -> None:
    async with asyncio.timeout(timeout):
        while True:
            outcome = check()
            if outcome if isinstance(outcome, bool) else await outcome:
                return
            await asyncio.sleep(0.01)


async def claimed_once(kit: Kit) -> bool:
    rows = await kit.db.read(pending)
    return bool(rows) and rows[0]["attempts"] == 1


def recorder() -> tuple[list[bytes], Callable[[bytes], Awaitable[None]]]:
    seen: list[bytes] = []

    async def handle(payload: bytes) -> None:
        seen.append(payload)

    return seen, handle


async def test_a_committed_job_runs_once_soon_after_the_commit(kit: Kit) -> None:
    seen, handle = recorder()
    kit.outbox.register("test.note", handle)
    await kit.outbox.start()
    await writer_for(kit).run(enqueue, "one", "two")
    await eventually(lambda: len(seen) == 2)
    await asyncio.sleep(0.2)
    assert seen == [b"one", b"two"]
    assert await kit.db.read(pending) == [], "done jobs are removed"


async def test_a_rolled_back_change_leaves_no_job(kit: Kit) -> None:
    seen, handle = recorder()
    kit.outbox.register("test.note", handle)
    with pytest.raises(RuntimeError):
        await writer_for(kit).run(doomed)
    assert await kit.db.read(pending) == []
    assert not await kit.outbox.drain_once()
    assert seen == []


async def test_jobs_survive_a_crash_before_they_ran(make_kit: Callable[..., Awaitable[Kit]]) -> None:
    first = await make_kit()
    await writer_for(first).run(enqueue, "after the restart")
    await first.close()  # the node stops (or dies) before its worker ran the job

    again = await Kit.open(first.store)
    try:
        seen, handle = recorder()
        again.outbox.register("test.note", handle)
        await again.outbox.start()
        await eventually(lambda: seen == [b"after the restart"])
    finally:
        await again.close()


async def test_a_job_claimed_by_a_node_that_died_comes_back_after_its_lease(kit: Kit) -> None:
    await writer_for(kit).run(enqueue, "orphan")
    limits = OutboxLimits(lease_ms=30_000)

    async def hang(payload: bytes) -> None:
        await asyncio.Event().wait()

    dying = OutboxWorker(kit.db, kit.clock, {"test.note": hang}, limits)
    round_ = asyncio.create_task(dying.drain_once())
    await eventually(lambda: claimed_once(kit))
    round_.cancel()  # the node vanishes holding the claim

    seen, handle = recorder()
    other = OutboxWorker(kit.db, kit.clock, {"test.note": handle}, limits)
    assert not await other.drain_once(), "still leased to the vanished node"
    kit.clock.advance(31)
    assert await other.drain_once()
    assert seen == [b"orphan"]
    assert await kit.db.read(pending) == []


async def test_failures_are_retried_with_backoff_then_kept_as_failed(kit: Kit) -> None:
    await writer_for(kit).run(enqueue, "flaky", "broken")
    tries: Counter[bytes] = Counter()

    async def handle(payload: bytes) -> None:
        tries[payload] += 1
        if payload == b"broken" or tries[payload] < 3:
            raise ConnectionError("the other side is down")

    worker = OutboxWorker(kit.db, kit.clock, {"test.note": handle}, OutboxLimits(max_attempts=4, backoff_ms=1000))
    assert await worker.drain_once()
    assert tries == {b"flaky": 1, b"broken": 1}
    assert not await worker.drain_once(), "nothing is due before its backoff"
    delays = []
    for _ in range(6):
        before = dict(tries)
        for step in range(1, 20):  # find when the next try comes, one second at a time
            kit.clock.advance(1)
            if await worker.drain_once():
                delays.append(step)
                break
        if dict(tries) == before:
            break
    assert tries == {b"flaky": 3, b"broken": 4}
    assert delays[:2] == [1, 2], "the wait doubles"
    rows = await kit.db.read(pending)
    assert [(r["payload"], r["attempts"]) for r in rows] == [("broken", 4)]
    assert rows[0]["failed_at"] is not None and "the other side is down" in rows[0]["last_error"]
    kit.clock.advance(7200)
    assert not await worker.drain_once(), "a failed job is never run again"


async def test_two_nodes_draining_at_once_run_each_job_once(make_kit: Callable[..., Awaitable[Kit]]) -> None:
    a = await make_kit()
    b = await Kit.open(a.store)
    try:
        payloads = [f"job {n}" for n in range(200)]
        await asyncio.gather(*(writer_for(a).run(enqueue, *payloads[n : n + 10]) for n in range(0, 200, 10)))
        seen: Counter[bytes] = Counter()

        async def handle(payload: bytes) -> None:
            await asyncio.sleep(0)
            seen[payload] += 1

        workers = [OutboxWorker(k.db, k.clock, {"test.note": handle}, OutboxLimits(batch=7)) for k in (a, b)]

        async def drain(worker: OutboxWorker) -> None:
            while await worker.drain_once():
                pass

        await asyncio.gather(*(drain(w) for w in workers))
        assert seen == Counter(p.encode() for p in payloads)
        assert await a.db.read(pending) == []
    finally:
        await b.close()
