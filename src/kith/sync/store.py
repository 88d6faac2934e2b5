"""SQL of the event log: append inside write transactions, read pages for sync."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from kith.chats.models import message_json
from kith.storage.database import Tx, placeholders
from kith.sync.models import Emitted, frame

_NEXT_SEQ = "UPDATE users SET last_event_seq = last_event_seq + 1 WHERE id = ? RETURNING last_event_seq"
_INSERT = "INSERT INTO events (user_id, seq, type, message_id, payload, created_at) VALUES (?, ?, ?, ?, ?, ?)"


class EventLog:
    """Appends events to users' logs within one write transaction.

    The seq is taken from the user's counter row in the same transaction that appends the event,
    so it is gapless: a rolled-back transaction takes its seqs with it.
    ``emitted`` collects what was appended, for the service to publish after the commit.
    """

    __slots__ = ("emitted", "now", "tx")

    def __init__(self, tx: Tx, now: int) -> None:
        self.tx = tx
        self.now = now
        self.emitted: list[Emitted] = []

    def _next_seq(self, user_id: int) -> int:
        return int(self.tx.value(_NEXT_SEQ, (user_id,)))

    def append(self, user_id: int, type_: str, data: bytes) -> int:
        seq = self._next_seq(user_id)
        self.tx.execute(_INSERT, (user_id, seq, type_, None, data.decode(), self.now))
        self.emitted.append(Emitted(user_id, seq, frame(seq, type_, self.now, data)))
        return seq

    def append_many(self, user_ids: Iterable[int], type_: str, data: bytes) -> None:
        for user_id in user_ids:
            self.append(user_id, type_, data)

    def append_message(self, user_ids: Iterable[int], message_id: int, data: bytes) -> None:
        """A message event for each user; the message itself is stored once and referenced."""
        rows = []
        for user_id in user_ids:
            seq = self._next_seq(user_id)
            rows.append((user_id, seq, "message", message_id, None, self.now))
            self.emitted.append(Emitted(user_id, seq, frame(seq, "message", self.now, data)))
        self.tx.executemany(_INSERT, rows)


def head(tx: Tx, user_id: int) -> int:
    return int(tx.value("SELECT last_event_seq FROM users WHERE id = ?", (user_id,)) or 0)


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
