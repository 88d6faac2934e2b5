"""`kith backup` while the server runs and writes, `kith restore` into a fresh place, and every table
compared row for row with the source as it was at the moment of the backup.

The traffic during the backup is one user sending messages one after another, so the source at the
backup moment is known exactly: the rows before the traffic, plus the first N of its messages
(N is read off the backup) with their events and the counters they moved. Everything else must be
identical. On PostgreSQL the same round trip runs through pg_dump and pg_restore.
"""

from __future__ import annotations

import asyncio
import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from backends import Reader, Store, create_database, drop_database, is_postgres, scale_out_env
from helpers import FAST_ENV, Server, User, befriend, direct, register, sign_in

from kith.storage import backup as backups
from kith.storage.backup import without_password

Dump = dict[str, list[tuple[Any, ...]]]


def kith(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "kith", *args],
        env={**os.environ, **FAST_ENV},
        capture_output=True,
        text=True,
        timeout=120,
    )


def where(store: Store) -> list[str]:
    """The CLI flags that point kith at ``store``."""
    return ["--database", str(store)] if is_postgres(store) else ["--database", f"sqlite:///{store}"]


def read(store: Store) -> tuple[Dump, dict[str, list[str]]]:
    with Reader(store) as reader:
        return reader.dump(), {t: reader.columns(t) for t in reader.tables()}


async def populate(server: Server) -> tuple[User, User, int]:
    """A bit of everything, then the two users and the direct conversation the traffic uses."""
    alice, bob, carol, dave = [await register(server) for _ in range(4)]
    await befriend(alice, bob)
    await befriend(alice, carol)
    await bob.ok("POST", "/friend-requests", json={"handle": carol.handle, "greeting": "hello"})  # left pending
    await dave.ok("POST", "/blocks", json={"handle": alice.handle})
    await alice.ok("PATCH", "/me", json={"status": "busy 🙂"})
    await alice.ok("PATCH", f"/friends/{bob.id}", json={"remark": "Bobby"})
    group = await alice.ok("POST", "/conversations/groups", json={"name": "trio", "user_ids": [bob.id, carol.id]})
    await carol.ok("POST", f"/conversations/{group['id']}/messages", json={"id": "g1", "text": "hi all"})
    recalled = await bob.ok("POST", f"/conversations/{group['id']}/messages", json={"id": "g2", "text": "oops"})
    await bob.ok("POST", f"/conversations/{group['id']}/messages/{recalled['message']['seq']}/recall")
    await sign_in(server, alice.handle, "laptop")
    conversation = await direct(alice, bob)
    return alice, bob, conversation


class Traffic:
    """Alice sends to Bob, one message after another, until stopped (bounded in count and time)."""

    def __init__(self, sender: User, conversation_id: int) -> None:
        self.sender = sender
        self.conversation_id = conversation_id
        self.sent = 0
        self.stop = asyncio.Event()

    async def run(self, most: int = 5000, seconds: float = 60) -> None:
        deadline = time.monotonic() + seconds
        while not self.stop.is_set() and self.sent < most and time.monotonic() < deadline:
            path = f"/conversations/{self.conversation_id}/messages"
            await self.sender.ok("POST", path, json={"id": f"t{self.sent}", "text": f"message {self.sent}"})
            self.sent += 1

    async def until(self, count: int, seconds: float = 30) -> None:
        deadline = time.monotonic() + seconds
        while self.sent < count:
            assert time.monotonic() < deadline, f"the traffic stalled at {self.sent} messages"
            await asyncio.sleep(0.01)


def at_cut(before: Dump, after: Dump, columns: dict[str, list[str]], cut: int) -> Dump:
    """The source as it was when the traffic had stored its messages up to id ``cut``.

    ``before`` is the source before the traffic began, ``after`` once it ended; the traffic only
    stores messages (with their events and search tokens) and moves the counters a send moves.
    """

    def col(table: str, name: str) -> int:
        return columns[table].index(name)

    expected = dict(before)
    mid = col("messages", "id")
    new_messages = [r for r in after["messages"] if r not in before["messages"] and r[mid] <= cut]
    expected["messages"] = sorted(before["messages"] + new_messages)
    new_ids = {r[mid] for r in new_messages}
    tokens_of = col("message_tokens", "message_id")
    expected["message_tokens"] = sorted(
        before["message_tokens"] + [r for r in after["message_tokens"] if r[tokens_of] in new_ids]
    )
    ekind, eref = col("events", "ref_kind"), col("events", "ref_id")
    expected["events"] = sorted(
        before["events"] + [r for r in after["events"] if r[ekind] == "message" and r[eref] in new_ids]
    )
    last: dict[int, tuple[int, int]] = {}  # conversation -> (seq, created_at) of its last new message
    own: dict[tuple[int, int], int] = {}  # (conversation, sender) -> seq of their last new message
    mc, ms, mu, mt = (col("messages", c) for c in ("conversation_id", "seq", "sender_id", "created_at"))
    for r in new_messages:
        last[r[mc]] = max(last.get(r[mc], (0, 0)), (r[ms], r[mt]))
        own[(r[mc], r[mu])] = max(own.get((r[mc], r[mu]), 0), r[ms])
    heads: dict[int, int] = {}
    eu, es = col("events", "user_id"), col("events", "seq")
    for r in expected["events"]:
        heads[r[eu]] = max(heads.get(r[eu], 0), r[es])
    hu, hs = col("event_heads", "user_id"), col("event_heads", "last_seq")
    expected["event_heads"] = [
        tuple(heads.get(r[hu], 0) if i == hs else v for i, v in enumerate(r)) for r in before["event_heads"]
    ]
    ci, cs, ca = (col("conversations", c) for c in ("id", "last_seq", "last_activity_at"))
    expected["conversations"] = [
        tuple({cs: last[r[ci]][0], ca: last[r[ci]][1]}.get(i, v) for i, v in enumerate(r)) if r[ci] in last else r
        for r in before["conversations"]
    ]
    nc, nu, nr = (col("members", c) for c in ("conversation_id", "user_id", "read_seq"))
    expected["members"] = [
        tuple(max(v, own.get((r[nc], r[nu]), 0)) if i == nr else v for i, v in enumerate(r)) for r in before["members"]
    ]
    return {table: sorted(rows) for table, rows in expected.items()}


async def round_trip(source: Server, target_store: Store, backup_file: Path, tmp_path: Path) -> None:
    alice, bob, conversation = await populate(source)
    before, columns = read(source.store)
    traffic = Traffic(alice, conversation)
    sending = asyncio.create_task(traffic.run())
    try:
        await traffic.until(40)
        started = traffic.sent
        made = await asyncio.to_thread(kith, "backup", *where(source.store), "--to", str(backup_file))
        finished = traffic.sent
        assert made.returncode == 0, made.stderr
        await traffic.until(finished + 40)  # and the server goes on writing after it
    finally:
        traffic.stop.set()
        await sending
    after, _ = read(source.store)

    restored = kith("restore", *where(target_store), "--from", str(backup_file))
    assert restored.returncode == 0, restored.stderr
    assert "restored into" in restored.stdout
    copy, copy_columns = read(target_store)
    assert copy_columns == columns

    mid = columns["messages"].index("id")
    first_traffic_id = min(r[mid] for r in after["messages"] if r not in before["messages"])
    cut = max(r[mid] for r in copy["messages"])
    in_backup = cut - first_traffic_id + 1
    # the backup was taken while messages were being stored: some before it, some after
    # (one more than acknowledged: a message may be committed while its answer is on the way)
    assert started <= in_backup <= finished + 1, (started, in_backup, finished)
    assert in_backup < traffic.sent
    expected = at_cut(before, after, columns, cut)
    copy = {table: sorted(rows) for table, rows in copy.items()}
    assert set(copy) == set(expected)
    for table in expected:
        assert copy[table] == expected[table], f"{table} differs from the source at the backup moment"

    # a server on the restored store serves it: sign in, read history, go on sending
    env = scale_out_env(str(target_store)) if is_postgres(target_store) else {}
    second = Server(tmp_path / "restored", env)  # on SQLite, target_store is the kith.db in there
    second.start()
    try:
        again = await sign_in(second, alice.handle, "after restore")
        history = await again.ok("GET", f"/conversations/{conversation}/messages", params={"limit": 1})
        assert history["messages"][0]["text"] == f"message {in_backup - 1}"
        ack = await again.ok("POST", f"/conversations/{conversation}/messages", json={"id": "z", "text": "back"})
        assert ack["message"]["seq"] == history["messages"][0]["seq"] + 1
        await again.aclose()
    finally:
        second.stop()
    for user in (alice, bob):
        await user.aclose()


@pytest.mark.usefixtures("backend")
async def test_backup_while_writing_then_restore_matches_every_table(
    make_server: Any, backend: str, tmp_path: Path
) -> None:
    # the traffic sends as fast as the server answers: on a fast machine that is past the per-device
    # send budget before the backup ends, and a 429 is not what this test is about
    source = make_server({"KITH_RATE_SEND_DEVICE": "off", "KITH_RATE_SEND_USER": "off"})
    if backend == "sqlite":
        await round_trip(source, tmp_path / "restored" / "kith.db", tmp_path / "backups" / "kith.backup", tmp_path)
        return
    target = create_database()  # empty: no schema, as pg_restore wants it
    try:
        await round_trip(source, target, tmp_path / "kith.pgdump", tmp_path)
    finally:
        drop_database(target)


# -- refusals (SQLite files: whatever the backends under test) ---------------------------------------------------


def test_backup_and_restore_refuse_to_overwrite(tmp_path: Path) -> None:
    data = tmp_path / "data"
    assert kith("migrate", "--data-dir", str(data)).returncode == 0
    target = tmp_path / "b.db"
    assert kith("backup", "--data-dir", str(data), "--to", str(target)).returncode == 0
    again = kith("backup", "--data-dir", str(data), "--to", str(target))
    assert again.returncode == 1 and "already exists" in again.stderr
    # a restore never overwrites a database
    onto = kith("restore", "--data-dir", str(data), "--from", str(target))
    assert onto.returncode == 1 and "empty data directory" in onto.stderr
    missing = kith("restore", "--data-dir", str(tmp_path / "new"), "--from", str(tmp_path / "nothing.db"))
    assert missing.returncode == 1 and "no backup file" in missing.stderr
    # one from a newer kith is refused, and nothing is left behind
    with sqlite3.connect(target) as conn:
        conn.execute("INSERT INTO schema_migrations (version, name, applied_at) VALUES (9999, 'future', 0)")
    conn.close()
    newer = kith("restore", "--data-dir", str(tmp_path / "new"), "--from", str(target))
    assert newer.returncode == 1 and "newer than this kith" in newer.stderr
    assert not (tmp_path / "new" / "kith.db").exists()
    # the backup is one self-contained file (no write-ahead log needed beside it)
    with sqlite3.connect(f"file:{target}?mode=ro", uri=True) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
    conn.close()


def test_pg_commands_are_printed_when_the_tools_are_missing(tmp_path: Path, monkeypatch: Any) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # no pg_dump here
    with pytest.raises(backups.BackupError) as caught:
        backups.backup("postgresql://kith@db.example/kith", tmp_path / "x.pgdump")
    assert "pg_dump --format=custom" in str(caught.value) and "postgresql://kith@db.example/kith" in str(caught.value)


def test_a_password_in_the_url_goes_to_the_environment_not_the_command_line() -> None:
    bare, secret = without_password("postgresql://kith:s%40cret@db:5432/kith")
    assert (bare, secret) == ("postgresql://kith@db:5432/kith", {"PGPASSWORD": "s@cret"})
    assert without_password("postgresql://kith@db/kith") == ("postgresql://kith@db/kith", {})
