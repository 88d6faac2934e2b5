"""The PostgreSQL store: writer threads and order keys, per-job rollback, reads, migrations, row locks.

PostgreSQL only, by nature; the SQLite store's own behaviour is tested in test_sqlite_writer.py.
"""

from __future__ import annotations

import asyncio
import random
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator
from importlib import resources
from pathlib import Path
from typing import Any

import psycopg
import pytest
from backends import Reader, create_database, drop_database, only_on, query
from domain import Kit
from storage.old_schema import PASSWORD, check_upgraded, write_version_1

from kith.accounts.models import PROFILE_UPDATED, Caller
from kith.accounts.passwords import Passwords
from kith.events import EventLog
from kith.jsonenc import encode
from kith.storage import migrate
from kith.storage.database import Tx
from kith.storage.migrate import SchemaOutdated, SchemaTooNew
from kith.storage.postgres import PostgresDatabase, PostgresMigrator

pytestmark = only_on("postgres")

SHIPPED = resources.files("kith.storage") / "migrations" / "postgres"


class Boom(Exception):
    pass


@pytest.fixture
def empty_url() -> Iterator[str]:
    """A database with nothing in it, not even the schema."""
    url = create_database()
    yield url
    drop_database(url)


@pytest.fixture
async def db(empty_url: str) -> AsyncIterator[PostgresDatabase]:
    database = PostgresDatabase(empty_url, writers=4, readers=4)
    await database.start()
    await database.write(create_table)
    yield database
    await database.close()


def create_table(tx: Tx) -> None:
    tx.execute(
        "CREATE TABLE marks (id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY, key INTEGER NOT NULL,"
        " value TEXT NOT NULL, committed_before INTEGER)"
    )


def marks(db: PostgresDatabase) -> list[tuple[int, str]]:
    return [(key, value) for key, value in query(db.url, "SELECT key, value FROM marks ORDER BY id")]


# -- writes ----------------------------------------------------------------------------------


async def test_writes_with_the_same_order_key_commit_in_call_order(db: PostgresDatabase) -> None:
    def job(tx: Tx, key: int, n: int) -> str:
        # the job before it with the same key has committed: this transaction sees it
        before = tx.value("SELECT COUNT(*) FROM marks WHERE key = ?", (key,))
        time.sleep(random.random() / 1000)  # let the other writer threads overtake
        tx.execute("INSERT INTO marks (key, value, committed_before) VALUES (?, ?, ?)", (key, f"{n:03}", before))
        return threading.current_thread().name

    # queued in call order over keys that land on every writer thread, awaited in reverse
    pending = [db.write(job, key, n, order_key=key) for n in range(60) for key in range(8)]
    threads: dict[int, set[str]] = {}
    for i, future in reversed(list(enumerate(pending))):
        threads.setdefault(i % 8, set()).add(await future)
    rows = query(db.url, "SELECT key, value, committed_before FROM marks ORDER BY id")
    assert len(rows) == 480
    for key in range(8):
        mine = [(value, before) for k, value, before in rows if k == key]
        assert mine == [(f"{n:03}", n) for n in range(60)], f"order key {key} lost its call order"
    # one thread per key, and the keys ran side by side on all the writer threads
    assert all(len(names) == 1 for names in threads.values())
    assert len(set().union(*threads.values())) == db.writer_count == 4


async def test_a_failing_job_is_rolled_back_alone(db: PostgresDatabase) -> None:
    def good(tx: Tx, key: int, value: str) -> str:
        tx.execute("INSERT INTO marks (key, value) VALUES (?, ?)", (key, value))
        return value

    def failing(tx: Tx, key: int) -> None:
        tx.execute("INSERT INTO marks (key, value) VALUES (?, 'doomed')", (key,))
        raise Boom("this job fails after writing")

    jobs = []
    for key in range(4):  # on the same thread as its neighbours (same key), and on others
        jobs += [db.write(good, key, f"before{key}", order_key=key), db.write(failing, key, order_key=key)]
        jobs.append(db.write(good, key, f"after{key}", order_key=key))
    results = await asyncio.gather(*jobs, return_exceptions=True)
    assert [type(r) for r in results[1::3]] == [Boom] * 4
    assert all(isinstance(r, str) for i, r in enumerate(results) if i % 3 != 1)
    assert sorted(marks(db)) == sorted((k, f"{w}{k}") for k in range(4) for w in ("before", "after"))
    # every writer thread keeps working afterwards
    await asyncio.gather(*(db.write(good, 9, f"later{k}", order_key=k) for k in range(4)))
    assert len(marks(db)) == 12


async def test_a_failing_job_raises_its_own_exception_to_its_caller(db: PostgresDatabase) -> None:
    def fails(tx: Tx) -> None:
        tx.execute("INSERT INTO marks (key, value) VALUES (0, 'nope')")
        raise Boom("mine")

    with pytest.raises(Boom, match="mine"):
        await db.write(fails)

    def bad_sql(tx: Tx) -> None:
        tx.execute("INSERT INTO marks (key, value) VALUES (0, 'half')")
        tx.execute("INSERT INTO no_such_table VALUES (1)")

    with pytest.raises(psycopg.errors.UndefinedTable):
        await db.write(bad_sql)
    assert marks(db) == []


async def test_an_awaited_write_is_visible_to_the_next_read(db: PostgresDatabase) -> None:
    def count(tx: Tx) -> int:
        return int(tx.value("SELECT COUNT(*) FROM marks"))

    def add(tx: Tx, n: int) -> None:
        tx.execute("INSERT INTO marks (key, value) VALUES (?, ?)", (n % 8, f"v{n}"))

    for n in range(30):
        await db.write(add, n, order_key=n)  # a different writer thread each time
        # every reader connection of the pool must see it, not just the one that read last
        counts = await asyncio.gather(*(db.read(count) for _ in range(6)))
        assert counts == [n + 1] * 6
    # and another connection does too: the commit is done when the write settles
    assert query(db.url, "SELECT COUNT(*) FROM marks") == [(30,)]


async def test_a_deadlocked_job_runs_again_and_commits(new_store: Callable[[], str]) -> None:
    url = new_store()
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("CREATE TABLE pair (id INTEGER PRIMARY KEY, n INTEGER NOT NULL)")
        conn.execute("INSERT INTO pair VALUES (1, 0), (2, 0)")
    db = PostgresDatabase(url, writers=2)
    await db.start()
    attempts = {"a": 0, "b": 0}
    both_hold_one = threading.Barrier(2)

    def job(tx: Tx, name: str, first: int, second: int) -> int:
        attempts[name] += 1
        tx.execute("UPDATE pair SET n = n + 1 WHERE id = ?", (first,))
        if attempts[name] == 1:
            both_hold_one.wait(10)  # each now waits for the other's row: PostgreSQL picks a victim
        tx.execute("UPDATE pair SET n = n + 1 WHERE id = ?", (second,))
        return attempts[name]

    try:
        results = await asyncio.gather(db.write(job, "a", 1, 2, order_key=0), db.write(job, "b", 2, 1, order_key=1))
    finally:
        await db.close()
    assert sorted(results) == [1, 2], "one of the two ran again"
    assert query(url, "SELECT id, n FROM pair ORDER BY id") == [(1, 2), (2, 2)]


async def _behind_a_gate(db: PostgresDatabase, keys: list[int]) -> threading.Event:
    """Each writer thread of ``keys`` held by a job until the returned event is set, so that what is
    queued behind it meanwhile makes one batch."""
    gate = threading.Event()
    started = threading.Semaphore(0)

    def hold(tx: Tx) -> None:
        started.release()
        gate.wait(10)

    for key in keys:
        db.write(hold, order_key=key)
    for _ in keys:
        await asyncio.to_thread(started.acquire, True, 10)
    return gate


async def test_jobs_queued_together_commit_in_one_transaction(empty_url: str) -> None:
    batches: list[int] = []
    db = PostgresDatabase(empty_url, writers=1, observer=lambda jobs, _seconds: batches.append(jobs), batch_max=8)
    await db.start()
    try:
        await db.write(create_table)
        gate = await _behind_a_gate(db, [0])

        def add(tx: Tx, n: int) -> int:
            tx.execute("INSERT INTO marks (key, value) VALUES (?, ?)", (0, f"{n:02}"))
            return int(tx.value("SELECT txid_current()"))

        pending = [db.write(add, n) for n in range(20)]
        gate.set()
        transactions = await asyncio.gather(*pending)
    finally:
        await db.close()
    # at most batch_max to a transaction, in call order, each job's writes in it
    assert batches[-3:] == [8, 8, 4]
    assert [transactions.count(t) for t in dict.fromkeys(transactions)] == [8, 8, 4]
    assert [value for _, value in marks(db)] == [f"{n:02}" for n in range(20)]


async def test_a_failing_job_in_a_batch_fails_alone(empty_url: str) -> None:
    batches: list[int] = []
    db = PostgresDatabase(empty_url, writers=1, observer=lambda jobs, _seconds: batches.append(jobs))
    await db.start()
    try:
        await db.write(create_table)
        gate = await _behind_a_gate(db, [0])

        def add(tx: Tx, n: int) -> int:
            tx.execute("INSERT INTO marks (key, value) VALUES (0, ?)", (f"{n:02}",))
            if n == 5:
                raise Boom("the sixth job fails after writing")
            if n == 7:
                tx.execute("INSERT INTO no_such_table VALUES (1)")  # and the eighth in PostgreSQL
            return n

        pending = [db.write(add, n) for n in range(10)]
        gate.set()
        results = await asyncio.gather(*pending, return_exceptions=True)
    finally:
        await db.close()
    assert isinstance(results[5], Boom) and isinstance(results[7], psycopg.errors.UndefinedTable)
    assert [r for n, r in enumerate(results) if n not in (5, 7)] == [0, 1, 2, 3, 4, 6, 8, 9]
    # the batch rolled back, then each job ran on its own: all but the two failing ones committed
    assert [value for _, value in marks(db)] == [f"{n:02}" for n in (0, 1, 2, 3, 4, 6, 8, 9)]
    assert batches[-10:] == [1] * 10


async def test_batches_that_wait_on_each_other_both_commit(new_store: Callable[[], str]) -> None:
    url = new_store()
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("CREATE TABLE pair (id INTEGER PRIMARY KEY, n INTEGER NOT NULL)")
        conn.execute("INSERT INTO pair VALUES (1, 0), (2, 0)")
    db = PostgresDatabase(url, writers=2)
    await db.start()
    attempts = {"a": 0, "b": 0}
    both_hold_one = threading.Barrier(2)

    def first(tx: Tx, name: str, row: int) -> None:
        attempts[name] += 1
        tx.execute("UPDATE pair SET n = n + 1 WHERE id = ?", (row,))
        if attempts[name] == 1:
            both_hold_one.wait(10)  # each batch holds one row now, and its next job wants the other's

    def second(tx: Tx, row: int) -> None:
        tx.execute("UPDATE pair SET n = n + 10 WHERE id = ?", (row,))

    try:
        gate = await _behind_a_gate(db, [0, 1])
        pending = [db.write(first, "a", 1, order_key=0), db.write(second, 2, order_key=0)]
        pending += [db.write(first, "b", 2, order_key=1), db.write(second, 1, order_key=1)]
        gate.set()
        started = time.monotonic()
        await asyncio.wait_for(asyncio.gather(*pending), 10)
        took = time.monotonic() - started
    finally:
        await db.close()
    # the first wait cut short rolled its batch back, which let the other through; the rolled back
    # one (or both, had both waits run out at once) then ran again job by job
    assert sorted(attempts.values()) in ([1, 2], [2, 2])
    assert query(url, "SELECT id, n FROM pair ORDER BY id") == [(1, 11), (2, 11)]
    # the wait was cut short by the batch's lock timeout, not left to PostgreSQL's deadlock check
    assert took < 0.9, took


async def test_reads_are_read_only(db: PostgresDatabase) -> None:
    def sneaky(tx: Tx) -> None:
        tx.execute("INSERT INTO marks (key, value) VALUES (0, 'from a reader')")

    with pytest.raises(psycopg.errors.ReadOnlySqlTransaction):
        await db.read(sneaky)
    assert marks(db) == []


async def test_a_read_sees_one_snapshot(db: PostgresDatabase) -> None:
    """Like SQLite's, a read is one consistent snapshot, even while writes commit during it."""
    inside, written = threading.Event(), threading.Event()

    def twice(tx: Tx) -> tuple[int, int]:
        first = int(tx.value("SELECT COUNT(*) FROM marks"))
        inside.set()
        assert written.wait(10)
        return first, int(tx.value("SELECT COUNT(*) FROM marks"))

    def add(tx: Tx) -> None:
        tx.execute("INSERT INTO marks (key, value) VALUES (0, 'meanwhile')")

    reading = asyncio.ensure_future(db.read(twice))
    assert await asyncio.to_thread(inside.wait, 10)
    await db.write(add)
    written.set()
    assert await reading == (0, 0)


async def test_close_drains_queued_writes(empty_url: str) -> None:
    db = PostgresDatabase(empty_url, writers=3)
    await db.start()
    await db.write(create_table)

    def add(tx: Tx, n: int) -> None:
        tx.execute("INSERT INTO marks (key, value) VALUES (?, ?)", (n % 3, f"d{n:02}"))

    pending = [db.write(add, n, order_key=n) for n in range(30)]
    await db.close()
    await asyncio.gather(*pending)
    assert sorted(v for _, v in marks(db)) == [f"d{n:02}" for n in range(30)]


# -- migrations ------------------------------------------------------------------------------


def versions(url: str) -> list[int]:
    return [v for (v,) in query(url, "SELECT version FROM schema_migrations ORDER BY version")]


def columns(reader: Reader, dialect: str) -> dict[str, list[str]]:
    """Each table's columns, in order."""
    if dialect == "postgres":
        rows = reader.rows(
            "SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = 'public'"
            " ORDER BY table_name, ordinal_position"
        )
    else:
        rows = [(t, c) for t in reader.tables() for (c,) in reader.rows(f"SELECT name FROM pragma_table_info('{t}')")]
    found: dict[str, list[str]] = {}
    for table, column in rows:
        found.setdefault(table, []).append(column)
    return found


def test_a_fresh_database_gets_every_migration(empty_url: str, tmp_path: Path) -> None:
    shipped = [m.version for m in migrate.available("postgres")]
    assert PostgresDatabase(empty_url).migrate() == shipped
    assert versions(empty_url) == shipped
    PostgresDatabase(empty_url).check_schema()
    assert PostgresDatabase(empty_url).migrate() == []  # nothing the second time
    # the same tables with the same columns as SQLite's schema: the SQL is written once for both
    from kith.storage.sqlite import SqliteDatabase

    SqliteDatabase(tmp_path / "same.db").migrate()
    with Reader(empty_url) as pg, Reader(tmp_path / "same.db") as lite:
        assert columns(pg, "postgres") == columns(lite, "sqlite")


def test_check_schema_reports_pending_migrations(empty_url: str) -> None:
    with pytest.raises(SchemaOutdated, match=r"\[1"):
        PostgresDatabase(empty_url).check_schema()


def test_a_database_newer_than_the_code_is_refused(empty_url: str) -> None:
    PostgresDatabase(empty_url).migrate()
    with psycopg.connect(empty_url, autocommit=True) as conn:
        conn.execute("INSERT INTO schema_migrations (version, name, applied_at) VALUES (9999, '9999_future.sql', 0)")
    with pytest.raises(SchemaTooNew, match="9999"):
        PostgresDatabase(empty_url).migrate()
    with pytest.raises(SchemaTooNew, match="9999"):
        PostgresDatabase(empty_url).check_schema()
    assert versions(empty_url)[-1] == 9999  # and nothing was touched


def later_kith() -> list[migrate.Migration]:
    """Today's migrations plus two that fail if they ever run twice."""
    return migrate.later(
        migrate.available("postgres"),
        ("9003_notes.sql", "CREATE TABLE notes (id INTEGER PRIMARY KEY);\n"),
        ("9004_note.sql", "INSERT INTO notes (id) VALUES (1);\n"),
    )


def race(*jobs: Callable[[], Any]) -> list[Any]:
    """Run the jobs on threads that start together; returns their results (or exceptions)."""
    start = threading.Barrier(len(jobs))
    results: list[Any] = [None] * len(jobs)

    def run(i: int) -> None:
        start.wait()
        try:
            results[i] = jobs[i]()
        except Exception as exc:
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(jobs))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return results


@pytest.mark.parametrize("nodes", [2, 4])
def test_nodes_migrating_a_fresh_database_together_apply_each_migration_once(empty_url: str, nodes: int) -> None:
    results = race(*(PostgresDatabase(empty_url).migrate for _ in range(nodes)))
    assert not [r for r in results if isinstance(r, Exception)], results
    shipped = [m.version for m in migrate.available("postgres")]
    assert versions(empty_url) == shipped
    PostgresDatabase(empty_url).check_schema()


def test_nodes_racing_through_several_migrations_apply_each_once(empty_url: str) -> None:
    later = later_kith()

    def node() -> list[int]:
        with psycopg.connect(empty_url, autocommit=True, row_factory=psycopg.rows.dict_row) as conn:
            return migrate.upgrade(PostgresMigrator(conn), later)

    results = race(node, node, node)
    assert not [r for r in results if isinstance(r, Exception)], results
    assert versions(empty_url) == [m.version for m in later]
    assert query(empty_url, "SELECT id FROM notes") == [(1,)]  # 0004 ran once
    # each migration is reported by the one node that applied it
    assert sorted(v for r in results for v in r) == [m.version for m in later]


async def test_an_older_database_is_upgraded_and_keeps_its_data(empty_url: str) -> None:
    with psycopg.connect(empty_url, autocommit=True, row_factory=psycopg.rows.dict_row) as conn:
        migrate.upgrade(PostgresMigrator(conn), [m for m in migrate.available("postgres") if m.version <= 1])
        password_hash = await Passwords(1, 8192).hash(PASSWORD)
        write_version_1(lambda sql, params: conn.execute(sql.replace("?", "%s"), params), password_hash)
        for table in ("users", "conversations", "messages"):  # the rows above were written with their ids
            conn.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT MAX(id) FROM {table}))")
    later = ", ".join(str(m.version) for m in migrate.available("postgres")[1:])
    with pytest.raises(SchemaOutdated, match=rf"\[{later}\]"):
        PostgresDatabase(empty_url).check_schema()
    kit = await Kit.open(empty_url)  # migrates, as `kith serve` does
    try:
        await check_upgraded(kit)
    finally:
        await kit.close()
    assert versions(empty_url) == [m.version for m in migrate.available("postgres")]


# -- row locks keep logs gapless -------------------------------------------------------------


async def test_concurrent_jobs_on_many_writer_threads_keep_every_log_gapless(
    make_kit: Callable[..., Any],
) -> None:
    kit: Kit = await make_kit(database_writers=8)
    users = [await kit.user(f"lock{i}") for i in range(8)]
    for i, a in enumerate(users):
        for b in users[i + 1 :]:
            await kit.friends(a, b)
    group = await kit.chats.create_group(users[0], "everyone", [u.user_id for u in users[1:]])
    pairs = [(users[i], users[(i + 1) % 8]) for i in range(8)] + [(users[0], users[4]), (users[2], users[6])]
    directs = [(a, b, (await kit.chats.open_direct(a, b.user_id)).id) for a, b in pairs]
    rng = random.Random(3)
    jobs: list[Any] = []
    for n in range(400):
        roll = rng.random()
        if roll < 0.5:
            sender: Caller = rng.choice(users)
            jobs.append(kit.chats.send(sender, group.id, f"g{n}", f"g {n} {sender.user_id}"))
        elif roll < 0.9:
            a, b, conversation = rng.choice(directs)
            sender = rng.choice((a, b))
            jobs.append(kit.chats.send(sender, conversation, f"d{n}", f"d {n} {sender.user_id}"))
        else:
            jobs.append(kit.chats.mark_read(rng.choice(users), group.id, rng.randrange(1, 50)))
    await asyncio.gather(*jobs)

    for user in users:
        [(head,)] = await kit.rows("SELECT last_seq FROM event_heads WHERE user_id = ?", user.user_id)
        seqs = [s for (s,) in await kit.rows("SELECT seq FROM events WHERE user_id = ? ORDER BY seq", user.user_id)]
        assert seqs == list(range(1, head + 1)), f"user {user.user_id}'s log has a gap or a repeat"
    for conversation in {group.id, *(c for _, _, c in directs)}:
        rows = await kit.rows("SELECT seq, kind, sender_id, body FROM messages WHERE conversation_id = ?", conversation)
        assert sorted(seq for seq, *_ in rows) == list(range(1, len(rows) + 1)), f"conversation {conversation}"
        # one sender's messages keep the order they were sent in (their order key is the sender)
        for user in users:
            mine = [int(body.split()[1]) for _, kind, sender, body in sorted(rows) if sender == user.user_id]
            assert mine == sorted(mine)
        assert sum(kind == "text" for _, kind, _, _ in rows) > 10


def count_attempts(kit: Kit) -> Callable[[], int]:
    """Wraps the kit's store so that the returned function tells how many jobs were run again."""
    attempts: list[int] = []
    write = kit.db.write

    def counting(fn: Callable[..., Any], *args: Any, order_key: int | None = None) -> Any:
        index = len(attempts)
        attempts.append(0)

        def job(tx: Tx, *job_args: Any) -> Any:
            attempts[index] += 1
            return fn(tx, *job_args)

        return write(job, *args, order_key=order_key)

    kit.db.write = counting  # type: ignore[method-assign]
    return lambda: sum(n - 1 for n in attempts)


async def test_flushes_over_overlapping_users_never_deadlock(make_kit: Callable[..., Any]) -> None:
    """Jobs appending to random, overlapping sets of users, in random order, on many writer threads:
    each flush takes its users' counters in one statement, in ascending id, so none waits in a cycle.
    (One job to a transaction here: a batch holds the counters of several flushes, in no common order,
    and relies on its lock timeout instead; test_batches_that_wait_on_each_other_both_commit.)"""
    kit: Kit = await make_kit(database_writers=8, database_batch_max=1)
    users = [(await kit.user(f"flush{i}")).user_id for i in range(40)]
    rng = random.Random(5)
    picks = [rng.sample(users, rng.randrange(2, 30)) for _ in range(240)]

    def job(tx: Tx, log: EventLog, n: int, picked: list[int]) -> None:
        for user_id in picked:
            log.append(user_id, PROFILE_UPDATED, encode({"n": n}))
        log.flush()  # the counters are locked now, until the commit
        time.sleep(0.002)  # so that the others run into them

    before = dict(await kit.rows("SELECT user_id, last_seq FROM event_heads"))
    retried = count_attempts(kit)
    await asyncio.gather(*(kit.chats.writer.run(job, n, picked, order_key=n) for n, picked in enumerate(picks)))
    assert retried() == 0, f"{retried()} jobs deadlocked and ran again"
    for user_id in users:
        [(head,)] = await kit.rows("SELECT last_seq FROM event_heads WHERE user_id = ?", user_id)
        seqs = [s for (s,) in await kit.rows("SELECT seq FROM events WHERE user_id = ? ORDER BY seq", user_id)]
        assert head == before[user_id] + sum(user_id in picked for picked in picks)
        assert seqs == list(range(1, head + 1))


@pytest.mark.parametrize("batch_max", [1, 32])
async def test_concurrent_jobs_do_not_deadlock(make_kit: Callable[..., Any], batch_max: int) -> None:
    """Sends in a group of friends while each of them updates their profile: one job to a transaction,
    none deadlocks; in batches, those that wait on each other are cut short and run again, and all of
    them commit, every log gapless."""
    kit: Kit = await make_kit(database_batch_max=batch_max)
    users = [await kit.user(f"dl{i}") for i in range(5)]
    for i, a in enumerate(users):
        for b in users[i + 1 :]:
            await kit.friends(a, b)
    group = await kit.chats.create_group(users[0], "all", [u.user_id for u in users[1:]])
    retried = count_attempts(kit)
    rng = random.Random(1)
    await asyncio.gather(
        *(kit.chats.send(rng.choice(users), group.id, f"s{n}", f"text {n}") for n in range(60)),
        *(kit.accounts.update_profile(u, status=f"busy {n}") for n in range(2) for u in users),
    )
    if batch_max == 1:
        assert retried() == 0, f"{retried()} jobs deadlocked and ran again"
    rows = await kit.rows("SELECT seq FROM messages WHERE conversation_id = ? ORDER BY seq", group.id)
    assert [seq for (seq,) in rows][-60:] == list(range(len(rows) - 59, len(rows) + 1))
    for user in users:
        [(head,)] = await kit.rows("SELECT last_seq FROM event_heads WHERE user_id = ?", user.user_id)
        seqs = [s for (s,) in await kit.rows("SELECT seq FROM events WHERE user_id = ? ORDER BY seq", user.user_id)]
        assert seqs == list(range(1, head + 1))
