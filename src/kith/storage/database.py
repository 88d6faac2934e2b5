"""The Store interface every domain area talks to.

Domain SQL lives in each area's ``store.py`` as plain functions ``fn(tx, ...)`` that run inside a
transaction. Services never hold a connection: they hand such a function to ``Database.write``
(serialized, group-committed, durable on return) or ``Database.read`` (a consistent snapshot).
SQL is written once in the common dialect of SQLite and PostgreSQL, with ``?`` placeholders.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable, Sequence
from typing import Any, Protocol, TypeVar

T = TypeVar("T")
Row = Any  # a mapping-style row: row["column"]


class Tx(Protocol):
    """One open transaction. Rows are read by column name. ``dialect`` ("sqlite" or "postgres") is for
    the few statements the two cannot share (full-text search)."""

    dialect: str

    def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        """Run a statement; returns the number of rows changed."""
        ...

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None: ...

    def one(self, sql: str, params: Sequence[Any] = ()) -> Row | None: ...

    def all(self, sql: str, params: Sequence[Any] = ()) -> list[Row]: ...

    def value(self, sql: str, params: Sequence[Any] = ()) -> Any:
        """First column of the first row, or None."""
        ...


class Database(Protocol):
    def write(self, fn: Callable[..., T], *args: Any, order_key: int | None = None) -> asyncio.Future[T]:
        """Queue ``fn(tx, *args)`` for a write transaction; the awaitable settles once the commit is
        durable.

        The job is queued when ``write`` is *called*, not when it is awaited. Writes with the same
        ``order_key`` commit in call order (SQLite's single writer keeps every write in call order).
        If ``fn`` raises, its changes are rolled back and the exception propagates; other writes
        that shared the same commit are unaffected.
        """
        ...

    async def read(self, fn: Callable[..., T], *args: Any) -> T:
        """Run ``fn(tx, *args)`` in a read-only snapshot."""
        ...

    async def close(self) -> None: ...


def placeholders(n: int) -> str:
    return ",".join("?" * n)


def settle(future: asyncio.Future[Any], result: Any, error: BaseException | None) -> None:
    """Complete ``future`` with the outcome of a job, unless its waiter has given up on it."""
    if future.done():
        return
    if error is None:
        future.set_result(result)
    else:
        future.set_exception(error)
