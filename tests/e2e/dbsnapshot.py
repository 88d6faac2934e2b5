"""Checks that a request changed nothing: the whole database before and after, and the server's log.

The test process reads the server's database through a connection of its own while the server
runs (the SQLite file, in WAL mode, opened read-only; or the PostgreSQL database) and so sees exactly
what has been committed.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Collection, Iterator
from typing import Any

from backends import Reader
from helpers import Server, User

Snapshot = dict[str, list[tuple[Any, ...]]]


def snapshot(reader: Reader, touched: Collection[int] = ()) -> Snapshot:
    """Every row of every table (and the schema itself), each table's rows in a stable order.

    The ``last_seen_at`` of the ``touched`` devices is left out: any authenticated request may
    refresh it (at most once a minute).
    """
    result = {"(schema)": reader.schema(), **reader.dump()}
    if touched:
        names = reader.columns("devices")
        key, seen = names.index("id"), names.index("last_seen_at")
        result["devices"] = [
            (*row[:seen], None, *row[seen + 1 :]) if row[key] in touched else row for row in result["devices"]
        ]
    return result


def differences(before: Snapshot, after: Snapshot) -> list[str]:
    """Human-readable differences between two snapshots (empty when they are equal)."""
    out = []
    for table in sorted(set(before) | set(after)):
        old, new = before.get(table, []), after.get(table, [])
        if old != new:
            gone = [row for row in old if row not in new]
            added = [row for row in new if row not in old]
            out.append(f"{table}: rows removed {gone[:3]}, rows added {added[:3]}")
    return out


class LogWatch:
    """What the server wrote to its log since a point in time."""

    def __init__(self, server: Server) -> None:
        self.server = server
        self.offset = server.log.stat().st_size

    def new_text(self) -> str:
        with open(self.server.log, "rb") as f:
            f.seek(self.offset)
            return f.read().decode(errors="replace")

    def assert_no_errors(self, allowed: tuple[str, ...] = ()) -> None:
        """No traceback and no ERROR record was logged, except lines containing an ``allowed`` text."""
        text = self.new_text()
        if any(marker in text for marker in allowed):
            return
        for marker in ("Traceback", "ERROR", "Task exception was never retrieved", "unhandled error"):
            assert marker not in text, f"the server logged an error:\n{text[-3000:]}"


@contextlib.contextmanager
def no_change(server: Server, touched: Collection[int] = ()) -> Iterator[None]:
    """Assert that the database is exactly the same after the block as before it (but for the
    ``last_seen_at`` of the ``touched`` devices)."""
    with Reader(server.store) as reader:
        before = snapshot(reader, touched)
        yield
        changes = differences(before, snapshot(reader, touched))
    assert not changes, "the database changed:\n" + "\n".join(changes)


@contextlib.asynccontextmanager
async def unchanged(server: Server, *users: User, allowed_log: tuple[str, ...] = ()) -> AsyncIterator[None]:
    """The database is unchanged by the block and the server logs no error while it runs.

    The block may make authenticated requests as ``users``: each may refresh its device's
    ``last_seen_at`` (at most once a minute, whenever the minute happens to end), and nothing else.
    """
    watch = LogWatch(server)
    with no_change(server, {user.device_id for user in users}):
        yield
    watch.assert_no_errors(allowed_log)
