"""Copy a whole deployment between stores (SQLite <-> PostgreSQL), table by table, then verify.

The target is migrated to the current schema first and must hold no data. Rows are copied in
primary-key order in batches, each table in one transaction; identity sequences are moved past the
copied ids on PostgreSQL; finally every table's row count is compared. The server must be stopped
while this runs (nothing else may write to the source).
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from kith.storage import migrate

# in dependency order, with the columns that order each table
TABLES: tuple[tuple[str, str], ...] = (
    ("users", "id"),
    ("event_heads", "user_id"),
    ("devices", "id"),
    ("sign_in_keys", "user_id, key_hash"),
    ("friendships", "user_id, friend_id"),
    ("friend_requests", "id"),
    ("blocks", "user_id, blocked_id"),
    ("official_accounts", "id"),  # before conversations: an official one names its account
    ("conversations", "id"),
    ("members", "conversation_id, user_id"),
    ("messages", "id"),
    ("message_tokens", "message_id"),  # on SQLite its triggers fill the full-text index as it is copied
    ("mentions", "user_id, conversation_id, seq"),
    ("hidden_messages", "user_id, message_id"),
    ("blobs", "sha256"),
    ("media", "id"),
    ("media_refs", "media_id, ref_kind, ref_id"),
    ("follows", "account_id, user_id"),
    ("access_tokens", "token_hash"),
    ("webhook_deliveries", "id"),
    ("webhook_replies", "account_id, msg_id"),
    ("mass_sends", "id"),
    ("qr_tickets", "ticket"),
    ("account_tags", "account_id, id"),
    ("follower_tags", "account_id, tag_id, user_id"),
    ("account_material", "account_id, media_id"),
    ("account_news", "id"),
    ("account_templates", "account_id, template_id"),
    ("moment_posts", "id"),
    ("moment_audience", "post_id, user_id"),
    ("moment_timeline", "user_id, post_id"),
    ("moment_likes", "post_id, user_id"),
    ("moment_comments", "id"),
    ("moment_settings", "user_id"),
    ("invite_links", "user_id"),
    ("group_links", "id"),
    ("push_subscriptions", "id"),
    ("push_settings", "user_id"),
    ("push_coalesce", "user_id, conversation_id"),
    ("events", "user_id, seq"),
    ("outbox", "id"),
)
_IDENTITY_TABLES = (
    "users", "devices", "friend_requests", "conversations", "messages", "outbox", "official_accounts",
    "webhook_deliveries", "mass_sends", "account_news", "moment_posts", "moment_comments", "group_links",
    "push_subscriptions",
)  # fmt: skip
BATCH = 2000


@dataclass
class Endpoint:
    """A raw connection to one store, with the few operations a copy needs."""

    url: str
    conn: Any
    dialect: str

    @classmethod
    def open(cls, url: str, create: bool = False) -> Endpoint:
        if url.startswith("sqlite:"):
            from kith.storage.sqlite import connect

            path = Path(url.removeprefix("sqlite:///").removeprefix("sqlite://"))
            if not (create or path.exists()):
                raise TransferError(f"no database at {path}")
            path.parent.mkdir(parents=True, exist_ok=True)
            return cls(url, connect(path), "sqlite")
        if url.startswith(("postgresql://", "postgres://")):
            import psycopg

            conn = psycopg.connect(url.replace("postgres://", "postgresql://", 1), autocommit=True)
            return cls(url, conn, "postgres")
        raise ValueError(f"unsupported database URL {url!r}")

    def mark(self) -> str:
        return "?" if self.dialect == "sqlite" else "%s"

    def migrator(self) -> migrate.Migrator:
        if self.dialect == "sqlite":
            return migrate.SqliteMigrator(self.conn)
        from kith.storage.postgres import PostgresMigrator

        self.conn.row_factory = _dict_rows()
        return PostgresMigrator(self.conn)

    def count(self, table: str) -> int:
        return int(self._rows(f"SELECT COUNT(*) FROM {table}")[0][0])

    def _rows(self, sql: str, params: tuple[Any, ...] = ()) -> list[Any]:
        if self.dialect == "postgres":
            from psycopg.rows import tuple_row

            with self.conn.cursor(row_factory=tuple_row) as cur:
                cur.execute(sql, params)
                return cur.fetchall()
        return self.conn.execute(sql, params).fetchall()

    def batches(self, table: str, order: str) -> Iterator[tuple[list[str], list[tuple[Any, ...]]]]:
        """Rows in primary-key order, ``BATCH`` at a time (keyset pagination, no OFFSET)."""
        keys = [k.strip() for k in order.split(",")]
        last: tuple[Any, ...] | None = None
        while True:
            where, params = "", ()
            if last is not None:
                where = f"WHERE ({', '.join(keys)}) > ({', '.join([self.mark()] * len(keys))})"
                params = last
            sql = f"SELECT * FROM {table} {where} ORDER BY {order} LIMIT {BATCH}"
            if self.dialect == "postgres":
                from psycopg.rows import tuple_row

                with self.conn.cursor(row_factory=tuple_row) as cur:
                    cur.execute(sql, params)
                    columns = [d.name for d in cur.description or ()]
                    rows = cur.fetchall()
            else:
                cur = self.conn.execute(sql, params)
                columns = [d[0] for d in cur.description]
                rows = [tuple(r) for r in cur.fetchall()]
            if not rows:
                return
            yield columns, rows
            positions = [columns.index(k) for k in keys]
            last = tuple(rows[-1][p] for p in positions)

    def insert(self, table: str, columns: list[str], rows: list[tuple[Any, ...]]) -> None:
        marks = ", ".join([self.mark()] * len(columns))
        sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})"
        if self.dialect == "postgres":
            with self.conn.cursor() as cur:
                cur.executemany(sql, rows)
        else:
            self.conn.executemany(sql, rows)

    def begin(self) -> None:
        self.conn.execute("BEGIN")

    def commit(self) -> None:
        self.conn.execute("COMMIT")

    def reset_identities(self) -> None:
        if self.dialect != "postgres":
            return
        for table in _IDENTITY_TABLES:
            self.conn.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'),"
                f" COALESCE((SELECT MAX(id) FROM {table}), 0) + 1, false)"
            )

    def close(self) -> None:
        self.conn.close()


def _dict_rows() -> Any:
    from psycopg.rows import dict_row

    return dict_row


class Progress:
    """One line per table, rewritten in place on a terminal: `messages  120000/250000  48%`."""

    def __init__(self, out: TextIO) -> None:
        self.out = out
        self.tty = out.isatty()
        self.last = 0.0

    def update(self, table: str, done: int, total: int, final: bool = False) -> None:
        now = time.monotonic()
        if not final and (not self.tty or now - self.last < 0.1):
            return
        self.last = now
        percent = 100 * done // total if total else 100
        bar = "#" * (percent // 4)
        line = f"{table:<16} [{bar:<25}] {done:>10}/{total:<10} {percent:>3}%"
        self.out.write(("\r" if self.tty else "") + line + ("\n" if final else ""))
        self.out.flush()


class TransferError(RuntimeError):
    pass


def copy(source_url: str, target_url: str, out: TextIO = sys.stdout) -> dict[str, int]:
    """Copy every table from source to target; returns the verified row counts."""
    source, target = Endpoint.open(source_url), Endpoint.open(target_url, create=True)
    try:
        migrate.check_current(source.migrator())
        migrate.upgrade(target.migrator())
        nonempty = [t for t, _ in TABLES if target.count(t)]
        if nonempty:
            raise TransferError(f"the target already holds data (tables {', '.join(nonempty)}); use an empty database")
        progress = Progress(out)
        counts: dict[str, int] = {}
        for table, order in TABLES:
            total, done = source.count(table), 0
            target.begin()
            for columns, rows in source.batches(table, order):
                target.insert(table, columns, rows)
                done += len(rows)
                progress.update(table, done, total)
            target.commit()
            progress.update(table, done, total, final=True)
            counts[table] = done
        target.reset_identities()
        for table, _ in TABLES:
            if (source.count(table), target.count(table)) != (counts[table], counts[table]):
                raise TransferError(f"{table}: the row counts differ after the copy")
        out.write(f"verified: {sum(counts.values())} rows in {len(counts)} tables match\n")
        return counts
    finally:
        source.close()
        target.close()
