"""SQL of the event log: append inside write transactions, read pages for sync."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from kith.events.models import Emitted, frame
from kith.events.outbox import OutboxJob, insert_jobs
from kith.events.types import EventType
from kith.storage.database import Tx, placeholders

# renders the objects of one kind: ids -> their JSON as the reader should see it now
Renderer = Callable[[Tx, list[int]], Mapping[int, bytes]]

# SQLite: the heads of the users who get the same number of events advanced in one statement
_ADVANCE = "UPDATE event_heads SET last_seq = last_seq + ? WHERE user_id IN ({}) RETURNING user_id, last_seq"
_INSERT = "INSERT INTO events (user_id, seq, type, ref_kind, ref_id, payload, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)"

# PostgreSQL: the heads of many users advanced and their events inserted in one round trip. The
# subquery locks the heads in ascending user id (its rows are locked as they leave the sort, in
# order); the UPDATE writes only rows that subquery has already returned, hence already locked, so
# every lock wait of the statement is on the next higher id while holding only lower ones.
_APPEND_PG = """
WITH advanced AS (
    UPDATE event_heads h SET last_seq = h.last_seq + v.n
    FROM (SELECT user_id FROM event_heads WHERE user_id = ANY(?::bigint[]) ORDER BY user_id FOR UPDATE) l,
        unnest(?::bigint[], ?::bigint[]) AS v (user_id, n)
    WHERE l.user_id = v.user_id AND h.user_id = l.user_id
    RETURNING h.user_id, h.last_seq, v.n
), inserted AS (
    INSERT INTO events (user_id, seq, type, ref_kind, ref_id, payload, created_at)
    SELECT e.user_id, a.last_seq - a.n + e.k, e.type, e.ref_kind, e.ref_id, e.payload, ?
    FROM unnest(?::bigint[], ?::bigint[], ?::text[], ?::text[], ?::bigint[], ?::text[])
        AS e (user_id, k, type, ref_kind, ref_id, payload)
    JOIN advanced a ON a.user_id = e.user_id
)
SELECT user_id, last_seq FROM advanced
"""
_CHUNK_USERS = 1000  # users per statement, which bounds its size (a group has at most a few hundred)
_CHUNK_USERS_SQLITE = 500  # SQLite's statements take at most 32,766 parameters; this keeps them small


class EventLog:
    """Collects the events (and outbox jobs) of one write job and writes them when the job ends.

    Seqs come from each user's counter row (``event_heads``) in the same transaction, so a user's
    log is gapless: a rolled-back job takes its seqs with it. ``flush`` takes the counters in
    ascending user id, the same order in every job, and nothing else locks them, so concurrent
    jobs on PostgreSQL never deadlock on them. On PostgreSQL one statement advances the counters
    of up to ``_CHUNK_USERS`` users and inserts their events (a group message to 500 members is one
    round trip, not 501); on SQLite one counter update for the users who get as many events (all of
    them, for a message) and one batch insert.
    """

    __slots__ = ("_jobs", "_pending", "emitted", "now", "tx")

    def __init__(self, tx: Tx, now: int) -> None:
        self.tx = tx
        self.now = now
        self._pending: dict[int, list[tuple[EventType, int | None, bytes]]] = {}
        self._jobs: list[OutboxJob] = []
        self.emitted: list[Emitted] = []  # filled by flush(), published after the commit

    def append(self, user_id: int, type_: EventType, data: bytes) -> None:
        """An event carrying ``data`` (JSON) for ``user_id``."""
        self._pending.setdefault(user_id, []).append((type_, None, data))

    def append_many(self, user_ids: Iterable[int], type_: EventType, data: bytes) -> None:
        for user_id in user_ids:
            self.append(user_id, type_, data)

    def append_ref(self, user_ids: Iterable[int], type_: EventType, ref_id: int, data: bytes) -> None:
        """An event referring to object ``ref_id`` of kind ``type_.ref`` for each user: the object is
        stored once by its domain; ``data`` (its JSON now) is pushed live, the store renders it later."""
        assert type_.ref is not None, f"{type_.name} carries its data; use append"
        entry = (type_, ref_id, data)
        for user_id in user_ids:
            self._pending.setdefault(user_id, []).append(entry)

    def stored_ref(self, users: list[int], seqs: list[int], type_: EventType, data: bytes) -> None:
        """Events the database appended itself, in the same transaction (PostgreSQL's send
        function): ``users[i]`` got seq ``seqs[i]``. Published after the commit, as the others."""
        for user_id, seq in zip(users, seqs, strict=True):
            self.emitted.append(Emitted(user_id, seq, frame(seq, type_.name, self.now, data)))

    def enqueue(self, topic: str, payload: bytes, delay_ms: int = 0) -> None:
        """Work for an outbox worker once this job has committed (never if it rolls back), not
        before ``delay_ms`` from now."""
        self._jobs.append(OutboxJob(topic, payload, delay_ms))

    def flush(self) -> list[Emitted]:
        users = sorted(self._pending)
        if self.tx.dialect == "postgres":
            for start in range(0, len(users), _CHUNK_USERS):
                self._append_pg(users[start : start + _CHUNK_USERS])
        else:
            self._append_sqlite(users)
        self._pending.clear()
        if self._jobs:
            insert_jobs(self.tx, self._jobs, self.now)
            self._jobs.clear()
        return self.emitted

    def _append_sqlite(self, users: list[int]) -> None:
        by_count: dict[int, list[int]] = {}
        for user_id in users:
            by_count.setdefault(len(self._pending[user_id]), []).append(user_id)
        heads: dict[int, int] = {}
        for n, same in by_count.items():
            for start in range(0, len(same), _CHUNK_USERS_SQLITE):
                chunk = same[start : start + _CHUNK_USERS_SQLITE]
                # a power of two of placeholders (the last id repeated): few texts for the statement cache
                width = 1 << (len(chunk) - 1).bit_length()
                sql = _ADVANCE.format(placeholders(width))
                heads.update((r[0], r[1]) for r in self.tx.all(sql, (n, *chunk, *[chunk[-1]] * (width - len(chunk)))))
        if len(heads) != len(users):  # the job fails and rolls back, the heads it advanced with it
            raise LookupError(f"users {sorted(set(users) - set(heads))} have no event log")
        rows: list[tuple[int, int, str, str | None, int | None, str | None, int]] = []
        for user_id in users:
            entries = self._pending[user_id]
            self._emit(user_id, int(heads[user_id]) - len(entries), entries, rows)
        if rows:
            self.tx.executemany(_INSERT, rows)

    def _append_pg(self, users: list[int]) -> None:
        counts = [len(self._pending[u]) for u in users]
        e_user: list[int] = []
        e_k: list[int] = []
        e_type: list[str] = []
        e_ref_kind: list[str | None] = []
        e_ref_id: list[int | None] = []
        e_payload: list[str | None] = []
        for user_id in users:
            for k, (type_, ref_id, data) in enumerate(self._pending[user_id], 1):
                e_user.append(user_id)
                e_k.append(k)
                e_type.append(type_.name)
                if ref_id is None:
                    e_ref_kind.append(None)
                    e_ref_id.append(None)
                    e_payload.append(data.decode())
                else:
                    e_ref_kind.append(type_.ref)
                    e_ref_id.append(ref_id)
                    e_payload.append(None)
        params = (users, users, counts, self.now, e_user, e_k, e_type, e_ref_kind, e_ref_id, e_payload)
        heads = {r["user_id"]: r["last_seq"] for r in self.tx.all(_APPEND_PG, params)}
        if len(heads) != len(users):  # nothing is half done: the job fails and rolls back
            raise LookupError(f"users {sorted(set(users) - set(heads))} have no event log")
        for user_id in users:
            entries = self._pending[user_id]
            self._emit(user_id, int(heads[user_id]) - len(entries), entries, None)

    def _emit(
        self,
        user_id: int,
        seq: int,
        entries: list[tuple[EventType, int | None, bytes]],
        rows: list[tuple[int, int, str, str | None, int | None, str | None, int]] | None,
    ) -> None:
        """The frames of ``user_id``'s new events, whose seqs follow ``seq`` (and their rows, if wanted)."""
        for type_, ref_id, data in entries:
            seq += 1
            if rows is not None:
                if ref_id is None:
                    rows.append((user_id, seq, type_.name, None, None, data.decode(), self.now))
                else:
                    rows.append((user_id, seq, type_.name, type_.ref, ref_id, None, self.now))
            self.emitted.append(Emitted(user_id, seq, frame(seq, type_.name, self.now, data)))

    @property
    def has_jobs(self) -> bool:
        return bool(self._jobs)


def head(tx: Tx, user_id: int) -> int:
    return int(tx.value("SELECT last_seq FROM event_heads WHERE user_id = ?", (user_id,)) or 0)


def heads(tx: Tx, user_ids: list[int]) -> dict[int, int]:
    found: dict[int, int] = {}
    for start in range(0, len(user_ids), 500):
        chunk = user_ids[start : start + 500]
        rows = tx.all(f"SELECT user_id, last_seq FROM event_heads WHERE user_id IN ({placeholders(len(chunk))})", chunk)
        found.update((r["user_id"], r["last_seq"]) for r in rows)
    return found


def clear(tx: Tx, user_id: int) -> None:
    """Empty a user's log, keeping its head (the account is being deleted; its sockets are told to close)."""
    tx.execute("DELETE FROM events WHERE user_id = ?", (user_id,))


def forget(tx: Tx, user_id: int) -> None:
    """A deleted user's log and its head."""
    tx.execute("DELETE FROM events WHERE user_id = ?", (user_id,))
    tx.execute("DELETE FROM event_heads WHERE user_id = ?", (user_id,))


def payloads_like(tx: Tx, pattern: str, after: tuple[int, int], limit: int) -> list[Any]:
    """Events after ``after`` (user id, seq) whose stored payload matches the LIKE ``pattern``, in
    order, at most ``limit`` (a scan: run it as a read, a page at a time)."""
    return tx.all(
        "SELECT user_id, seq, payload FROM events WHERE (user_id > ? OR (user_id = ? AND seq > ?))"
        " AND payload LIKE ? ORDER BY user_id, seq LIMIT ?",
        (after[0], after[0], after[1], pattern, limit),
    )


def set_payloads(tx: Tx, rows: list[tuple[str, int, int]]) -> None:
    """Rewrite stored payloads: (payload, user_id, seq) rows."""
    tx.executemany("UPDATE events SET payload = ? WHERE user_id = ? AND seq = ?", rows)


def page(tx: Tx, user_id: int, since: int, limit: int, renderers: Mapping[str, Renderer]) -> list[bytes]:
    """Frames of the events after ``since``, in order, at most ``limit``; referred objects are rendered
    by their kind's renderer, one call per kind and page."""
    rows = tx.all(
        "SELECT seq, type, ref_kind, ref_id, payload, created_at FROM events"
        " WHERE user_id = ? AND seq > ? ORDER BY seq LIMIT ?",
        (user_id, since, limit),
    )
    wanted: dict[str, set[int]] = {}
    for r in rows:
        if r["ref_kind"] is not None:
            wanted.setdefault(r["ref_kind"], set()).add(r["ref_id"])
    rendered: dict[str, Mapping[int, bytes]] = {}
    for kind, ids in wanted.items():
        objects: dict[int, bytes] = {}
        ordered = sorted(ids)
        for start in range(0, len(ordered), 500):
            objects.update(renderers[kind](tx, ordered[start : start + 500]))
        rendered[kind] = objects
    return [_frame(r, rendered) for r in rows]


def _frame(row: Any, rendered: Mapping[str, Mapping[int, bytes]]) -> bytes:
    kind = row["ref_kind"]
    if kind is None:
        data = row["payload"].encode()
    else:  # an object its domain no longer has: the event still counts, showing only what it was
        data = rendered[kind].get(row["ref_id"]) or b'{"id":%d,"gone":true}' % row["ref_id"]
    return frame(row["seq"], row["type"], row["created_at"], data)
