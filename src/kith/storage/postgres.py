"""PostgreSQL store: a pool of writer threads that group-commit the jobs queued to them, and pooled readers.

Many nodes may write at once, so correctness rests on PostgreSQL's row locks, not on a single
writer: a user's event seq comes from ``UPDATE users ... RETURNING`` (the row stays locked until
commit, so seqs stay gapless), a conversation's from the same on its row. The event log takes its
user locks in ascending id order at the end of each job, which keeps jobs from deadlocking one
another; should PostgreSQL still report a deadlock or a serialization failure, the job is retried.

Jobs with the same ``order_key`` run on the same writer thread, one after another, so a conversation's
messages are stored in the order they were sent.

A writer thread takes every job waiting in its queue (up to ``batch_max``) into one transaction: one
BEGIN and one COMMIT, one wait for the WAL to reach the disk, for all of them. Such a transaction holds
the locks of all its jobs until it commits, in the order the jobs took them, so two of them may wait
on each other; a lock wait is therefore cut short (``_BATCH_LOCK_TIMEOUT``) rather than left to
PostgreSQL's deadlock detection (a second, by default). When anything in a batch fails (a job's own
error, a lost race, a wait cut short) nothing of it is committed, and each of its jobs runs again in a
transaction of its own, in order, where a failure is that job's alone.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import queue
import random
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

import psycopg
from psycopg import IsolationLevel
from psycopg import errors as pg_errors
from psycopg.rows import dict_row
from psycopg_pool import ConnectionPool

from kith.storage import migrate
from kith.storage.database import settle

T = TypeVar("T")
log = logging.getLogger(__name__)

_RETRYABLE = (pg_errors.DeadlockDetected, pg_errors.SerializationFailure)
_RETRIES = 16
_BACKOFF_MAX = 0.25  # seconds
_STOP = object()
_MIGRATION_LOCK = 0x6B697468  # pg_advisory_xact_lock key: one node migrates at a time
_BATCH_LOCK_TIMEOUT = "SET LOCAL lock_timeout = '100ms'"  # far above a batch's own length

# called by a writer thread after each transaction: (jobs in it; seconds it took, from its first BEGIN
# until its COMMIT returned, retries included)
CommitObserver = Callable[[int, float], None]


def _sql(sql: str, cache: dict[str, str] = {}) -> str:  # noqa: B006 - a deliberate memo
    converted = cache.get(sql)
    if converted is None:
        converted = cache[sql] = sql.replace("?", "%s")
    return converted


class PgTx:
    """``kith.storage.database.Tx`` over a psycopg connection (rows are dicts)."""

    __slots__ = ("conn",)
    dialect = "postgres"

    def __init__(self, conn: psycopg.Connection[Any]) -> None:
        self.conn = conn

    def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        return self.conn.execute(_sql(sql), params).rowcount

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        with self.conn.cursor() as cur:
            cur.executemany(_sql(sql), list(rows))

    def one(self, sql: str, params: Sequence[Any] = ()) -> Any:
        return self.conn.execute(_sql(sql), params).fetchone()

    def all(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        return self.conn.execute(_sql(sql), params).fetchall()

    def value(self, sql: str, params: Sequence[Any] = ()) -> Any:
        row = self.one(sql, params)
        return None if row is None else next(iter(row.values()))


class PostgresMigrator:
    dialect = "postgres"

    def __init__(self, conn: psycopg.Connection[Any]) -> None:
        self.conn = conn

    def applied(self) -> set[int]:
        # under the lock too: two nodes creating the table at once would collide in the catalog
        with self.conn.transaction():
            self.conn.execute("SELECT pg_advisory_xact_lock(%s)", (_MIGRATION_LOCK,))
            self.conn.execute(
                "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL,"
                " applied_at BIGINT NOT NULL)"
            )
            return {row["version"] for row in self.conn.execute("SELECT version FROM schema_migrations").fetchall()}

    def apply(self, migration: migrate.Migration) -> bool:
        with self.conn.transaction():
            self.conn.execute("SELECT pg_advisory_xact_lock(%s)", (_MIGRATION_LOCK,))
            if self.conn.execute("SELECT 1 FROM schema_migrations WHERE version = %s", (migration.version,)).fetchone():
                return False  # another node got there first
            for statement in migrate.split_statements(migration.sql):
                self.conn.execute(statement)  # type: ignore[arg-type]
            self.conn.execute(
                "INSERT INTO schema_migrations (version, name, applied_at) VALUES (%s, %s, %s)",
                (migration.version, migration.name, int(time.time() * 1000)),
            )
        return True


def _options(prepare: bool) -> dict[str, Any]:
    """How every connection is opened. Without ``prepare`` nothing outlives a transaction on the
    server (psycopg prepares a statement run 5 times on a connection, by default), as a pooler in
    transaction mode needs."""
    return {"autocommit": True, "row_factory": dict_row, "prepare_threshold": 5 if prepare else None}


def _connect(url: str, prepare: bool = True) -> psycopg.Connection[Any]:
    return psycopg.connect(url, **_options(prepare))


def _reader(conn: psycopg.Connection[Any]) -> None:
    """A read runs in one read-only snapshot, as on SQLite: REPEATABLE READ (which never fails
    to serialize a transaction that only reads) and READ ONLY."""
    conn.isolation_level = IsolationLevel.REPEATABLE_READ
    conn.read_only = True


class _Job:
    __slots__ = ("args", "fn", "future")

    def __init__(self, fn: Callable[..., Any], args: tuple[Any, ...], future: asyncio.Future[Any]) -> None:
        self.fn = fn
        self.args = args
        self.future = future


class PostgresDatabase:
    """The PostgreSQL implementation of ``kith.storage.database.Database``."""

    def __init__(
        self,
        url: str,
        writers: int = 8,
        readers: int = 8,
        observer: CommitObserver | None = None,
        prepare: bool = True,
        batch_max: int = 32,
    ) -> None:
        self.url = url
        self.prepare = prepare
        self.batch_max = batch_max
        self.observer = observer
        self.writer_count = writers
        self.reader_count = readers
        self._queues: list[queue.SimpleQueue[Any]] = [queue.SimpleQueue() for _ in range(writers)]
        self._round_robin = itertools.count()
        self._threads: list[threading.Thread] = []
        self._loop: asyncio.AbstractEventLoop | None = None
        self._pool: ConnectionPool[Any] | None = None
        self._readers = ThreadPoolExecutor(max_workers=readers, thread_name_prefix="kith-pg-read")

    @classmethod
    def from_url(
        cls,
        url: str,
        writers: int = 8,
        observer: CommitObserver | None = None,
        prepare: bool = True,
        batch_max: int = 32,
    ) -> PostgresDatabase:
        url = url.replace("postgres://", "postgresql://", 1)
        return cls(url, writers=writers, observer=observer, prepare=prepare, batch_max=batch_max)

    # -- lifecycle ---------------------------------------------------------------------------

    def migrate(self) -> list[int]:
        with _connect(self.url, self.prepare) as conn:
            return migrate.upgrade(PostgresMigrator(conn))

    def check_schema(self) -> None:
        with _connect(self.url, self.prepare) as conn:
            migrate.check_current(PostgresMigrator(conn))

    async def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._pool = ConnectionPool(
            self.url,
            min_size=1,
            max_size=self.reader_count,
            kwargs=_options(self.prepare),
            configure=_reader,
            open=False,
        )
        await asyncio.to_thread(self._pool.open, True, 30.0)
        for n, jobs in enumerate(self._queues):
            conn = await asyncio.to_thread(_connect, self.url, self.prepare)
            thread = threading.Thread(target=self._write_loop, args=(conn, jobs), name=f"kith-pg-writer-{n}")
            thread.daemon = True
            thread.start()
            self._threads.append(thread)

    async def close(self) -> None:
        for jobs in self._queues:
            jobs.put(_STOP)
        for thread in self._threads:
            await asyncio.to_thread(thread.join)
        self._threads.clear()
        self._readers.shutdown(wait=True)
        if self._pool is not None:
            await asyncio.to_thread(self._pool.close)
            self._pool = None

    # -- Database interface ------------------------------------------------------------------

    def write(self, fn: Callable[..., T], *args: Any, order_key: int | None = None) -> asyncio.Future[T]:
        assert self._loop is not None, "database not started"
        future: asyncio.Future[T] = self._loop.create_future()
        index = next(self._round_robin) if order_key is None else order_key
        self._queues[index % self.writer_count].put(_Job(fn, args, future))
        return future

    async def read(self, fn: Callable[..., T], *args: Any) -> T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._readers, self._run_read, fn, args)

    # -- threads -----------------------------------------------------------------------------

    def _run_read(self, fn: Callable[..., T], args: tuple[Any, ...]) -> T:
        assert self._pool is not None
        with self._pool.connection() as conn, conn.transaction():
            return fn(PgTx(conn), *args)

    def _write_loop(self, conn: psycopg.Connection[Any], jobs: queue.SimpleQueue[Any]) -> None:
        try:
            while True:
                first = jobs.get()
                if first is _STOP:
                    return
                batch = [first]
                stop = False
                while len(batch) < self.batch_max:
                    try:
                        job = jobs.get_nowait()
                    except queue.Empty:
                        break
                    if job is _STOP:
                        stop = True
                        break
                    batch.append(job)
                conn = self._run_job(conn, first) if len(batch) == 1 else self._run_batch(conn, batch)
                if stop:
                    return
        finally:
            with contextlib.suppress(Exception):
                conn.close()

    def _run_batch(self, conn: psycopg.Connection[Any], batch: list[_Job]) -> psycopg.Connection[Any]:
        started = time.perf_counter()
        try:
            if conn.closed or conn.broken:
                conn = _connect(self.url, self.prepare)
            with conn.transaction():
                conn.execute(_BATCH_LOCK_TIMEOUT)
                tx = PgTx(conn)
                results = [job.fn(tx, *job.args) for job in batch]
        except Exception as exc:
            if isinstance(exc, psycopg.OperationalError) and (conn.closed or conn.broken):
                # as for a single job: whether the batch took effect is unknown, so none of it runs again
                log.warning("PostgreSQL connection lost: %s", exc)
                with contextlib.suppress(Exception):
                    conn.close()
                self._settle([(job.future, None, exc) for job in batch])
                return conn
            # a job's own error, a lost race, a lock wait cut short: nothing of the batch is
            # committed, so each job runs again on its own
            log.debug("a write batch of %d rolled back (%s); its jobs run one by one", len(batch), type(exc).__name__)
            for job in batch:
                conn = self._run_job(conn, job)
            return conn
        if self.observer is not None:
            self.observer(len(batch), time.perf_counter() - started)
        self._settle([(job.future, result, None) for job, result in zip(batch, results, strict=True)])
        return conn

    def _settle(self, outcomes: list[tuple[asyncio.Future[Any], Any, BaseException | None]]) -> None:
        assert self._loop is not None
        with contextlib.suppress(RuntimeError):  # a closed loop: nobody is waiting any more
            self._loop.call_soon_threadsafe(_settle_all, outcomes)

    def _run_job(self, conn: psycopg.Connection[Any], job: _Job) -> psycopg.Connection[Any]:
        result: Any = None
        error: BaseException | None = None
        started = time.perf_counter()
        for attempt in range(_RETRIES):
            try:
                if conn.closed or conn.broken:
                    conn = _connect(self.url, self.prepare)
                with conn.transaction():
                    result = job.fn(PgTx(conn), *job.args)
                error = None
                break
            except _RETRYABLE as exc:  # lost a race with another writer: run the job again
                error = exc
                # at a random moment, so that the jobs that collided do not collide again in step
                time.sleep(random.uniform(0, min(_BACKOFF_MAX, 0.002 * 2**attempt)))
            except psycopg.OperationalError as exc:
                # the connection died, perhaps during COMMIT: whether the job took effect is unknown,
                # so it is not run again here (sends are idempotent; their client retries safely)
                log.warning("PostgreSQL connection lost: %s", exc)
                error = exc
                with contextlib.suppress(Exception):
                    conn.close()
                break
            except Exception as exc:
                error = exc
                break
        if self.observer is not None:
            self.observer(1, time.perf_counter() - started)
        self._settle([(job.future, result, error)])
        return conn


def _settle_all(outcomes: list[tuple[asyncio.Future[Any], Any, BaseException | None]]) -> None:
    for future, result, error in outcomes:
        settle(future, result, error)
