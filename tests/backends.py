"""The stores the suite runs on, fresh PostgreSQL databases, and backend-agnostic reads of a store.

The services run on this machine before the tests do (PostgreSQL on 127.0.0.1:5432 with trust
auth, Redis on 127.0.0.1:6379); `KITH_TEST_PG` and `KITH_TEST_REDIS` point elsewhere.

A store is named by a ``Path`` (a SQLite file) or a ``postgresql://`` URL. A ``Reader`` (and
``query``, ``tables``, ``dump``) reads one through a connection of its own, whatever the backend, so
it sees exactly what has been committed.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import sqlite3
import threading
import uuid
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

import psycopg
import pytest

PG_ADMIN = os.environ.get("KITH_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")
REDIS = os.environ.get("KITH_TEST_REDIS", "redis://127.0.0.1:6379/0")

Store = Path | str  # a SQLite file, or a PostgreSQL URL


def backends() -> list[str]:
    """Backends the suite runs on: `KITH_TEST_BACKENDS=sqlite,postgres` (the default) or one of them."""
    names = [b.strip() for b in os.environ.get("KITH_TEST_BACKENDS", "sqlite,postgres").split(",") if b.strip()]
    unknown = set(names) - {"sqlite", "postgres"}
    assert not unknown, f"unknown backends in KITH_TEST_BACKENDS: {unknown}"
    assert names, "KITH_TEST_BACKENDS names no backend"
    return names


def only_on(name: str) -> list[pytest.MarkDecorator]:
    """``pytestmark`` of a module whose tests are about one backend: they run on it alone (their ids
    say ``[sqlite]`` or ``[postgres]``), and are reported as skipped when KITH_TEST_BACKENDS leaves it out."""
    if name not in backends():
        return [pytest.mark.skip(reason=f"{name} only, and KITH_TEST_BACKENDS leaves {name} out")]
    return [pytest.mark.usefixtures("backend"), pytest.mark.parametrize("backend", [name], indirect=True)]


def check_services() -> None:
    """Fail loudly (never skip) when PostgreSQL or Redis is requested but unreachable."""
    try:
        with psycopg.connect(PG_ADMIN, connect_timeout=5) as conn:
            conn.execute("SELECT 1")
    except psycopg.Error as exc:
        raise RuntimeError(
            f"KITH_TEST_BACKENDS asks for postgres, but PostgreSQL at {PG_ADMIN} is unreachable: {exc}\n"
            "start it, point KITH_TEST_PG at one, or run with KITH_TEST_BACKENDS=sqlite"
        ) from exc
    import redis

    try:
        redis.Redis.from_url(REDIS, socket_connect_timeout=5).ping()
    except redis.RedisError as exc:
        raise RuntimeError(
            f"KITH_TEST_BACKENDS asks for postgres (with the Redis bus), but Redis at {REDIS} is unreachable: {exc}\n"
            "start it, point KITH_TEST_REDIS at one, or run with KITH_TEST_BACKENDS=sqlite"
        ) from exc


def _with_database(url: str, name: str) -> str:
    base, _, _ = url.rpartition("/")
    return f"{base}/{name}"


def create_database(name: str | None = None, template: str | None = None) -> str:
    """A new database (empty, or a copy of ``template``, the name of another); returns its URL."""
    name = name or "kith_t_" + uuid.uuid4().hex[:12]
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}" + (f" TEMPLATE {template}" if template else ""))
    return _with_database(PG_ADMIN, name)


def drop_database(url: str) -> None:
    name = url.rpartition("/")[2]
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


class Databases:
    """Fresh PostgreSQL databases for the tests, without making every test wait for one.

    Each database is new and serves one test (or one module's server). It is created as a copy of a
    template that holds today's schema, so nobody waits for the migrations (they run once, on the
    template; a database that starts empty is tested in storage/test_postgres.py). A few are
    created ahead by background threads, and the used ones are dropped ``WITH (FORCE)`` in the
    background as well; ``close`` waits for every drop, then drops the unused ones and the template.
    """

    AHEAD = 4  # databases kept ready
    THREADS = 4  # PostgreSQL creates and drops databases side by side much faster than one by one

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._tag = uuid.uuid4().hex[:8]  # this session's databases, whoever else uses the server
        self._numbers = itertools.count(1)
        self._template: str | None = None
        self._threads: ThreadPoolExecutor | None = None
        self._ready: deque[Future[str]] = deque()
        self._drops: list[Future[None]] = []

    def _create(self) -> str:
        assert self._template is not None
        name = f"kith_t_{self._tag}_{next(self._numbers)}"
        url = create_database(name, self._template.rpartition("/")[2])
        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            # PostgreSQL looks for a deadlock after a lock wait of deadlock_timeout, 1 s by default.
            # Jobs that deadlock are run again, so the tests pass either way, but a known bug (see
            # test_concurrent_jobs_do_not_deadlock) makes concurrent tests deadlock often: find those fast.
            conn.execute(f"ALTER DATABASE {name} SET deadlock_timeout = '50ms'")
        return url

    def take(self) -> str:
        """A new database's URL; hand it back with ``drop`` when done."""
        with self._lock:
            if self._threads is None:
                from kith.storage.postgres import PostgresDatabase

                self._template = create_database(f"kith_t_{self._tag}_template")
                PostgresDatabase(self._template).migrate()
                self._threads = ThreadPoolExecutor(self.THREADS, thread_name_prefix="test-databases")
            while len(self._ready) <= self.AHEAD:
                self._ready.append(self._threads.submit(self._create))
            ready = self._ready.popleft()
        return ready.result()

    def drop(self, url: str) -> None:
        with self._lock:
            assert self._threads is not None
            self._drops.append(self._threads.submit(drop_database, url))

    def close(self) -> None:
        with self._lock:
            threads, self._threads = self._threads, None
            drops, self._drops = self._drops, []
            self._ready.clear()
        if threads is None:
            return
        threads.shutdown(wait=True)  # every database is made, every drop done
        # whatever is left of this session: the template and the unused databases made ahead
        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            names = conn.execute("SELECT datname FROM pg_database WHERE datname LIKE %s", (f"kith_t_{self._tag}_%",))
            left = [name for (name,) in names.fetchall()]
        for name in left:
            drop_database(_with_database(PG_ADMIN, name))
        for done in drops:
            done.result()  # a database that could not be dropped is an error too


DATABASES = Databases()


@contextlib.contextmanager
def fresh_store(backend: str, path: Path) -> Iterator[Store]:
    """A new, empty store: the SQLite file ``path`` (not created yet), or a new PostgreSQL database
    with today's schema, dropped when the block ends."""
    if backend == "sqlite":
        yield path
        return
    url = DATABASES.take()
    try:
        yield url
    finally:
        DATABASES.drop(url)


def bus_url(database_url: str) -> str:
    """The Redis bus of the deployment on ``database_url``: its channels are its own, so that the
    wake-ups of other deployments on the same Redis (other tests, other people's) never reach it."""
    return f"{REDIS}{'&' if '?' in REDIS else '?'}namespace={database_url.rpartition('/')[2]}"


def scale_out_env(database_url: str) -> dict[str, str]:
    return {"KITH_DATABASE": database_url, "KITH_BUS": bus_url(database_url)}


def is_postgres(store: Store) -> bool:
    return isinstance(store, str) and store.startswith(("postgresql://", "postgres://"))


def plain(value: Any) -> Any:
    """The same value whatever the driver returned: bytes for blobs and bytea."""
    return bytes(value) if isinstance(value, memoryview | bytearray) else value


class Reader:
    """One read-only connection of its own to a store: it sees exactly what has been committed."""

    def __init__(self, store: Store) -> None:
        self.dialect = dialect(store)
        if self.dialect == "postgres":
            self.conn: Any = psycopg.connect(str(store), autocommit=True)
        else:
            self.conn = sqlite3.connect(f"file:{store}?mode=ro", uri=True)

    def __enter__(self) -> Reader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.conn.close()

    def rows(self, sql: str, *params: Any) -> list[tuple[Any, ...]]:
        """Rows of ``sql`` (written with ``?`` placeholders) as tuples of plain values."""
        if self.dialect == "postgres":  # no parameters: a literal % stays a %
            cur = self.conn.execute(sql.replace("?", "%s"), params or None)
        else:
            cur = self.conn.execute(sql, params)
        return [tuple(plain(v) for v in row) for row in cur.fetchall()] if cur.description else []

    def tables(self) -> list[str]:
        """The store's tables (``schema_migrations`` included), by name."""
        return [name for (name,) in self.rows(TABLES_SQL[self.dialect])]

    def columns(self, table: str) -> list[str]:
        cur = self.conn.execute(f'SELECT * FROM "{table}" WHERE 1 = 0')
        return [d[0] for d in cur.description]

    def table(self, name: str) -> list[tuple[Any, ...]]:
        """Every row of a table, ordered by all of its columns (a stable order on either backend)."""
        order = ", ".join(str(i) for i in range(1, len(self.columns(name)) + 1))
        return self.rows(f'SELECT * FROM "{name}" ORDER BY {order}')

    def schema(self) -> list[tuple[Any, ...]]:
        return self.rows(SCHEMA_SQL[self.dialect])

    def dump(self) -> dict[str, list[tuple[Any, ...]]]:
        """Every row of every table."""
        return {name: self.table(name) for name in self.tables()}


TABLES_SQL = {
    # (message_search is SQLite's full-text index of message_tokens, with its shadow tables: derived data)
    "sqlite": "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
    " AND name NOT LIKE 'message_search%' ORDER BY name",
    "postgres": "SELECT table_name FROM information_schema.tables"
    " WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY table_name",
}

# the schema itself, as rows: a snapshot that covers it notices a changed table or index too
SCHEMA_SQL = {
    "sqlite": "SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY type, name",
    # (pg_catalog rather than information_schema: the same facts, many times faster to ask)
    "postgres": "SELECT 'column', c.relname, a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull::text,"
    " coalesce(pg_get_expr(d.adbin, d.adrelid), '') FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid"
    " JOIN pg_namespace n ON n.oid = c.relnamespace"
    " LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum"
    " WHERE n.nspname = 'public' AND c.relkind = 'r' AND a.attnum > 0 AND NOT a.attisdropped"
    " UNION ALL SELECT 'index', tablename, indexname, indexdef, '', '' FROM pg_indexes WHERE schemaname = 'public'"
    " ORDER BY 1, 2, 3",
}


def dialect(store: Store) -> str:
    return "postgres" if is_postgres(store) else "sqlite"


def query(store: Store, sql: str, *params: Any) -> list[tuple[Any, ...]]:
    with Reader(store) as reader:
        return reader.rows(sql, *params)


def tables(store: Store) -> list[str]:
    with Reader(store) as reader:
        return reader.tables()


def dump(store: Store) -> dict[str, list[tuple[Any, ...]]]:
    with Reader(store) as reader:
        return reader.dump()
