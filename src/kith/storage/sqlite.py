"""SQLite store: one writer thread with group commit, a small pool of reader threads.

All writes go through one thread fed by a queue. The writer takes every job waiting in the queue
(up to ``batch_max``), runs each inside its own SAVEPOINT of a single ``BEGIN IMMEDIATE``
transaction and commits once: many sends share one fsync, so durability does not cap throughput.
A job that raises is rolled back to its savepoint without disturbing its neighbours. Futures are
settled only after COMMIT returns, so an awaited ``write`` means the change is on disk.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import queue
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

from kith.storage import migrate
from kith.storage.database import settle

T = TypeVar("T")
log = logging.getLogger(__name__)

# called by the writer thread after each transaction: (jobs in it, seconds from BEGIN until COMMIT returned)
CommitObserver = Callable[[int, float], None]

_PRAGMAS = (
    "PRAGMA journal_mode=WAL",
    "PRAGMA synchronous=FULL",
    "PRAGMA foreign_keys=ON",
    "PRAGMA busy_timeout=10000",
    "PRAGMA cache_size=-65536",
    "PRAGMA temp_store=MEMORY",
)


def connect(path: Path | str, readonly: bool = False) -> sqlite3.Connection:
    conn = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False)
    conn.row_factory = sqlite3.Row
    for pragma in _PRAGMAS:
        conn.execute(pragma)
    if readonly:
        conn.execute("PRAGMA query_only=1")
    return conn


class SqliteTx:
    __slots__ = ("conn",)
    dialect = "sqlite"

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        cur = self.conn.execute(sql, params)
        count = cur.rowcount
        cur.close()
        return count

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        self.conn.executemany(sql, rows).close()

    def one(self, sql: str, params: Sequence[Any] = ()) -> sqlite3.Row | None:
        cur = self.conn.execute(sql, params)
        row = cur.fetchone()
        cur.close()
        return row  # type: ignore[no-any-return]

    def all(self, sql: str, params: Sequence[Any] = ()) -> list[sqlite3.Row]:
        return self.conn.execute(sql, params).fetchall()

    def value(self, sql: str, params: Sequence[Any] = ()) -> Any:
        row = self.one(sql, params)
        return None if row is None else row[0]


class _Job:
    __slots__ = ("args", "fn", "future", "loop")

    def __init__(self, fn: Callable[..., Any], args: tuple[Any, ...], future: asyncio.Future[Any]) -> None:
        self.fn = fn
        self.args = args
        self.future = future


_STOP = object()


def _settle(outcomes: list[tuple[asyncio.Future[Any], Any, BaseException | None]]) -> None:
    for future, result, error in outcomes:
        settle(future, result, error)


class SqliteDatabase:
    """The SQLite implementation of ``kith.storage.database.Database``."""

    def __init__(
        self, path: Path, batch_max: int = 256, readers: int = 3, observer: CommitObserver | None = None
    ) -> None:
        self.path = path
        self.batch_max = batch_max
        self.observer = observer
        self._queue: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._writer: threading.Thread | None = None
        self._local = threading.local()
        self._reader_conns: list[sqlite3.Connection] = []
        self._readers = ThreadPoolExecutor(max_workers=readers, thread_name_prefix="kith-sqlite-read")

    @classmethod
    def from_url(cls, url: str, batch_max: int = 256, observer: CommitObserver | None = None) -> SqliteDatabase:
        path = Path(url.removeprefix("sqlite:///").removeprefix("sqlite://"))
        return cls(path, batch_max=batch_max, observer=observer)

    # -- lifecycle ---------------------------------------------------------------------------

    def migrate(self) -> list[int]:
        """Create or upgrade the schema (synchronous; run before ``start``)."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        conn = connect(self.path)
        try:
            return migrate.upgrade(migrate.SqliteMigrator(conn))
        finally:
            conn.close()

    def check_schema(self) -> None:
        conn = connect(self.path)
        try:
            migrate.check_current(migrate.SqliteMigrator(conn))
        finally:
            conn.close()

    async def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        conn = connect(self.path)
        self._writer = threading.Thread(target=self._write_loop, args=(conn,), name="kith-sqlite-writer", daemon=True)
        self._writer.start()

    async def close(self) -> None:
        if self._writer is not None:
            self._queue.put(_STOP)
            await asyncio.to_thread(self._writer.join)
            self._writer = None
        self._readers.shutdown(wait=True)
        for conn in self._reader_conns:
            conn.close()
        self._reader_conns.clear()

    # -- Database interface ------------------------------------------------------------------

    def write(self, fn: Callable[..., T], *args: Any, order_key: int | None = None) -> asyncio.Future[T]:
        """Queue ``fn(tx, *args)``; the returned future settles after its transaction commits.

        Jobs are queued in call order, so two writes started one after the other by the same
        coroutine (or by tasks scheduled in order) commit in that order.
        """
        assert self._loop is not None, "database not started"
        future: asyncio.Future[T] = self._loop.create_future()
        self._queue.put(_Job(fn, args, future))
        return future

    async def read(self, fn: Callable[..., T], *args: Any) -> T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._readers, self._run_read, fn, args)

    # -- threads -----------------------------------------------------------------------------

    def _run_read(self, fn: Callable[..., T], args: tuple[Any, ...]) -> T:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._local.conn = connect(self.path, readonly=True)
            self._reader_conns.append(conn)
        conn.execute("BEGIN")
        try:
            return fn(SqliteTx(conn), *args)
        finally:
            conn.execute("COMMIT")

    def _write_loop(self, conn: sqlite3.Connection) -> None:
        tx = SqliteTx(conn)
        try:
            while True:
                first = self._queue.get()
                if first is _STOP:
                    return
                batch = [first]
                stop = False
                while len(batch) < self.batch_max:
                    try:
                        job = self._queue.get_nowait()
                    except queue.Empty:
                        break
                    if job is _STOP:
                        stop = True
                        break
                    batch.append(job)
                self._commit_batch(conn, tx, batch)
                if stop:
                    return
        finally:
            conn.close()

    def _commit_batch(self, conn: sqlite3.Connection, tx: SqliteTx, batch: list[_Job]) -> None:
        outcomes: list[tuple[asyncio.Future[Any], Any, BaseException | None]] = []
        started = time.perf_counter()
        try:
            conn.execute("BEGIN IMMEDIATE")
            for job in batch:
                conn.execute("SAVEPOINT job")
                try:
                    result = job.fn(tx, *job.args)
                except Exception as exc:
                    conn.execute("ROLLBACK TO job")
                    conn.execute("RELEASE job")
                    outcomes.append((job.future, None, exc))
                else:
                    conn.execute("RELEASE job")
                    outcomes.append((job.future, result, None))
            conn.execute("COMMIT")
        except Exception as exc:  # the transaction itself failed: nothing in it is durable
            log.exception("write batch of %d failed", len(batch))
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            outcomes = [(job.future, None, exc) for job in batch]
        if self.observer is not None:
            self.observer(len(batch), time.perf_counter() - started)
        assert self._loop is not None
        with contextlib.suppress(RuntimeError):  # a closed loop: nobody is waiting any more
            self._loop.call_soon_threadsafe(_settle, outcomes)
