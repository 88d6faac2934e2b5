"""SQL of the event log: append inside write transactions, read pages for sync."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from kith.chats.models import message_json
from kith.events.models import Emitted, frame
from kith.storage.database import Tx, placeholders

_ADVANCE = "UPDATE event_heads SET last_seq = last_seq + ? WHERE user_id = ? RETURNING last_seq"
_INSERT = "INSERT INTO events (user_id, seq, type, message_id, payload, created_at) VALUES (?, ?, ?, ?, ?, ?)"


class EventLog:
    """Collects the events of one write job and appends them to users' logs when the job ends.

    Seqs come from each user's counter row (``event_heads``) in the same transaction, so a user's
    log is gapless: a rolled-back job takes its seqs with it. ``flush`` takes the counters in
    ascending user id, the same order in every job, and nothing else locks them, so concurrent
    jobs on PostgreSQL never deadlock on them; one counter update per user covers all of that
    user's new events.
    """

    __slots__ = ("_pending", "emitted", "now", "tx")

    def __init__(self, tx: Tx, now: int) -> None:
        self.tx = tx
        self.now = now
        self._pending: dict[int, list[tuple[str, int | None, bytes]]] = {}
        self.emitted: list[Emitted] = []  # filled by flush(), published after the commit

    def append(self, user_id: int, type_: str, data: bytes) -> None:
        self._pending.setdefault(user_id, []).append((type_, None, data))

    def append_many(self, user_ids: Iterable[int], type_: str, data: bytes) -> None:
        for user_id in user_ids:
            self.append(user_id, type_, data)

    def append_message(self, user_ids: Iterable[int], message_id: int, data: bytes) -> None:
        """A message event for each user; the message itself is stored once and referenced."""
        entry = ("message", message_id, data)
        for user_id in user_ids:
            self._pending.setdefault(user_id, []).append(entry)

    def flush(self) -> list[Emitted]:
        rows = []
        for user_id in sorted(self._pending):
            entries = self._pending[user_id]
            seq = int(self.tx.value(_ADVANCE, (len(entries), user_id))) - len(entries)
            for type_, message_id, data in entries:
                seq += 1
                payload = None if message_id is not None else data.decode()
                rows.append((user_id, seq, type_, message_id, payload, self.now))
                self.emitted.append(Emitted(user_id, seq, frame(seq, type_, self.now, data)))
        self._pending.clear()
        if rows:
            self.tx.executemany(_INSERT, rows)
        return self.emitted


def head(tx: Tx, user_id: int) -> int:
    return int(tx.value("SELECT last_seq FROM event_heads WHERE user_id = ?", (user_id,)) or 0)


def heads(tx: Tx, user_ids: list[int]) -> dict[int, int]:
    found: dict[int, int] = {}
    for start in range(0, len(user_ids), 500):
        chunk = user_ids[start : start + 500]
        rows = tx.all(f"SELECT user_id, last_seq FROM event_heads WHERE user_id IN ({placeholders(len(chunk))})", chunk)
        found.update((r["user_id"], r["last_seq"]) for r in rows)
    return found


def page(tx: Tx, user_id: int, since: int, limit: int) -> list[bytes]:
    """Frames of the events after ``since``, in order, at most ``limit``."""
    rows = tx.all(
        "SELECT seq, type, message_id, payload, created_at FROM events"
        " WHERE user_id = ? AND seq > ? ORDER BY seq LIMIT ?",
        (user_id, since, limit),
    )
    message_ids = list({r["message_id"] for r in rows if r["message_id"] is not None})
    messages: dict[int, bytes] = {}
    for start in range(0, len(message_ids), 500):
        chunk = message_ids[start : start + 500]
        for m in tx.all(f"SELECT * FROM messages WHERE id IN ({placeholders(len(chunk))})", chunk):
            messages[m["id"]] = message_json(m)
    return [_frame(r, messages) for r in rows]


def _frame(row: Any, messages: dict[int, bytes]) -> bytes:
    data = messages[row["message_id"]] if row["message_id"] is not None else row["payload"].encode()
    return frame(row["seq"], row["type"], row["created_at"], data)
