"""The SQLite single writer: group commit, per-job rollback, call order, durability on return.

SQLite only, by nature; the PostgreSQL store's own behaviour is tested in test_postgres.py.
"""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from backends import only_on

from kith.storage.database import Tx
from kith.storage.sqlite import SqliteDatabase

pytestmark = only_on("sqlite")


class Boom(Exception):
    pass


def create_table(tx: Tx) -> None:
    tx.execute("CREATE TABLE marks (id INTEGER PRIMARY KEY, value TEXT NOT NULL, committed_before INTEGER)")


def committed_count(path: Path) -> int:
    """How many marks another connection sees: only what has been committed."""
    conn = sqlite3.connect(path)
    try:
        return int(conn.execute("SELECT COUNT(*) FROM marks").fetchone()[0])
    finally:
        conn.close()


def marker(path: Path):
    """A job that records its value and how many marks were committed when it ran.

    Jobs that share one transaction see the same committed state from outside; so the number of
    distinct ``committed_before`` values is the number of commits the writer made.
    """

    def job(tx: Tx, value: str) -> int:
        seen = committed_count(path)
        tx.execute("INSERT INTO marks (value, committed_before) VALUES (?, ?)", (value, seen))
        return seen

    return job


class Gate:
    """Holds the writer inside a job until released, so that everything queued meanwhile waits."""

    def __init__(self, db: SqliteDatabase) -> None:
        self.entered = threading.Event()
        self.released = threading.Event()
        self.done = db.write(self._hold)

    def _hold(self, tx: Tx) -> None:
        self.entered.set()
        assert self.released.wait(10), "the test never released the writer"

    async def __aenter__(self) -> Gate:
        assert await asyncio.to_thread(self.entered.wait, 10)
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.released.set()
        await self.done


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[SqliteDatabase]:
    database = SqliteDatabase(tmp_path / "writer.db")
    await database.start()
    await database.write(create_table)
    yield database
    await database.close()


def all_marks(path: Path) -> list[tuple[str, int]]:
    conn = sqlite3.connect(path)
    try:
        return [(r[0], r[1]) for r in conn.execute("SELECT value, committed_before FROM marks ORDER BY id")]
    finally:
        conn.close()


async def test_concurrent_writes_share_one_commit(db: SqliteDatabase) -> None:
    job = marker(db.path)
    async with Gate(db):
        pending = [db.write(job, f"w{i}") for i in range(50)]
    seen = await asyncio.gather(*pending)

    assert len(set(seen)) == 1, "fifty writes queued together should be committed by one transaction"
    assert committed_count(db.path) == 50


async def test_a_batch_is_at_most_batch_max_jobs(tmp_path: Path) -> None:
    db = SqliteDatabase(tmp_path / "small.db", batch_max=10)
    await db.start()
    try:
        await db.write(create_table)
        job = marker(db.path)
        async with Gate(db):
            pending = [db.write(job, f"w{i}") for i in range(45)]
        seen = await asyncio.gather(*pending)
    finally:
        await db.close()

    # 45 jobs, 10 per commit: 5 commits, each seeing what the ones before it committed
    assert sorted(set(seen)) == [0, 10, 20, 30, 40]
    assert [seen.count(n) for n in (0, 10, 20, 30, 40)] == [10, 10, 10, 10, 5]


async def test_a_failing_job_is_rolled_back_alone(db: SqliteDatabase) -> None:
    job = marker(db.path)

    def failing(tx: Tx) -> None:
        tx.execute("INSERT INTO marks (value) VALUES ('doomed')")
        raise Boom("this job fails after writing")

    async with Gate(db):
        before = db.write(job, "before")
        bad = db.write(failing)
        after = db.write(job, "after")

    assert await before == await after, "the three jobs should have shared one transaction"
    with pytest.raises(Boom):
        await bad
    assert [value for value, _ in all_marks(db.path)] == ["before", "after"]


async def test_a_failing_job_raises_its_own_exception_to_its_caller(db: SqliteDatabase) -> None:
    def fails(tx: Tx) -> None:
        tx.execute("INSERT INTO marks (value) VALUES ('nope')")
        raise Boom("mine")

    with pytest.raises(Boom, match="mine"):
        await db.write(fails)
    assert all_marks(db.path) == []
    # the writer keeps working afterwards
    await db.write(marker(db.path), "later")
    assert [value for value, _ in all_marks(db.path)] == ["later"]


async def test_writes_commit_in_call_order(tmp_path: Path) -> None:
    db = SqliteDatabase(tmp_path / "order.db", batch_max=7)
    await db.start()
    try:
        await db.write(create_table)
        job = marker(db.path)
        # queued in call order, awaited in reverse: the order of the calls decides
        pending = [db.write(job, f"{i:03}") for i in range(100)]
        for future in reversed(pending):
            await future
    finally:
        await db.close()
    assert [value for value, _ in all_marks(db.path)] == [f"{i:03}" for i in range(100)]


async def test_an_awaited_write_is_visible_to_the_next_read(db: SqliteDatabase) -> None:
    def count(tx: Tx) -> int:
        return int(tx.value("SELECT COUNT(*) FROM marks"))

    job = marker(db.path)
    for i in range(30):
        await db.write(job, f"v{i}")
        # every reader thread of the pool must see it, not just the one that read last
        counts = await asyncio.gather(*(db.read(count) for _ in range(6)))
        assert counts == [i + 1] * 6


async def test_an_awaited_write_is_committed_for_any_other_connection(db: SqliteDatabase) -> None:
    await db.write(marker(db.path), "durable")
    assert committed_count(db.path) == 1


async def test_reads_are_read_only(db: SqliteDatabase) -> None:
    def sneaky(tx: Tx) -> None:
        tx.execute("INSERT INTO marks (value) VALUES ('from a reader')")

    with pytest.raises(sqlite3.OperationalError):
        await db.read(sneaky)
    assert all_marks(db.path) == []


async def test_close_drains_queued_writes(tmp_path: Path) -> None:
    db = SqliteDatabase(tmp_path / "drain.db", batch_max=4)
    await db.start()
    await db.write(create_table)
    job = marker(db.path)
    pending = [db.write(job, f"d{i}") for i in range(25)]
    await db.close()

    results = await asyncio.gather(*pending)
    assert len(results) == 25
    assert [value for value, _ in all_marks(db.path)] == [f"d{i}" for i in range(25)]
