"""Checks that a request changed nothing: the whole SQLite file before and after, and the server's log.

The server keeps its database in WAL mode, so the test process can open the file read-only
(``mode=ro``) while the server runs and see exactly what has been committed.
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

from helpers import Server, User

Snapshot = dict[str, list[tuple[Any, ...]]]


def snapshot(db_path: Path) -> Snapshot:
    """Every row of every table (and the schema itself), each table's rows in a stable order."""
    with contextlib.closing(sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)) as conn:
        tables = [row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
        result: Snapshot = {}
        for table in ["sqlite_master", *tables]:
            width = len(conn.execute(f'SELECT * FROM "{table}" LIMIT 0').description)
            order = ", ".join(str(i) for i in range(1, width + 1))
            result[table] = conn.execute(f'SELECT * FROM "{table}" ORDER BY {order}').fetchall()
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
def no_change(server: Server) -> Iterator[None]:
    """Assert that the database is exactly the same after the block as before it."""
    before = snapshot(server.db_path)
    yield
    changes = differences(before, snapshot(server.db_path))
    assert not changes, "the database changed:\n" + "\n".join(changes)


@contextlib.asynccontextmanager
async def unchanged(server: Server, *users: User, allowed_log: tuple[str, ...] = ()) -> AsyncIterator[None]:
    """The database is unchanged by the block and the server logs no error while it runs.

    Signing in touches a device's ``last_seen_at`` at most once a minute; an authenticated read by
    each of ``users`` first makes sure no such touch falls inside the block.
    """
    for user in users:
        await user.ok("GET", "/me")
    watch = LogWatch(server)
    with no_change(server):
        yield
    watch.assert_no_errors(allowed_log)
