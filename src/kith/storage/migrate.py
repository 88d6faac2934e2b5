"""A small versioned-SQL migration runner.

Migrations are numbered files ``NNNN_name.sql`` under ``migrations/<dialect>/``; each runs once, in
order, in its own transaction, and is recorded in ``schema_migrations``. A database that has seen a
migration this code does not know is newer than the code: the server refuses to run on it.
"""

from __future__ import annotations

import re
import sqlite3
import time
from dataclasses import dataclass
from importlib import resources
from typing import Protocol

_NAME = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")


class SchemaTooNew(RuntimeError):
    pass


class SchemaOutdated(RuntimeError):
    pass


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    sql: str


def available(dialect: str) -> list[Migration]:
    folder = resources.files("kith.storage") / "migrations" / dialect
    found = []
    for entry in folder.iterdir():
        match = _NAME.match(entry.name)
        if match:
            found.append(Migration(int(match.group(1)), entry.name, entry.read_text("utf-8")))
    return sorted(found, key=lambda m: m.version)


def later(base: list[Migration], *extra: tuple[str, str]) -> list[Migration]:
    """``base`` plus migrations given as (file name, SQL): what a later kith would ship."""
    added = []
    for name, sql in extra:
        match = _NAME.match(name)
        if not match:
            raise ValueError(f"not a migration file name: {name!r}")
        added.append(Migration(int(match.group(1)), name, sql))
    return sorted([*base, *added], key=lambda m: m.version)


class Migrator(Protocol):
    dialect: str

    def applied(self) -> set[int]: ...

    def apply(self, migration: Migration) -> bool:
        """Run one migration; False if another process applied it meanwhile."""
        ...


class SqliteMigrator:
    dialect = "sqlite"

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def applied(self) -> set[int]:
        self.conn.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL,"
            " applied_at INTEGER NOT NULL)"
        )
        return {row[0] for row in self.conn.execute("SELECT version FROM schema_migrations")}

    def apply(self, migration: Migration) -> bool:
        # executescript() would commit on its own; run the statements inside one explicit transaction
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            for statement in split_statements(migration.sql):
                self.conn.execute(statement)
            self.conn.execute(
                "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
                (migration.version, migration.name, int(time.time() * 1000)),
            )
            self.conn.execute("COMMIT")
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        return True


def split_statements(sql: str) -> list[str]:
    """Split a migration file on semicolons that end a line (our files keep to that form), except
    inside a ``$$``-quoted function body."""
    statements, current = [], []
    quoted = False
    for line in sql.splitlines():
        if line.strip().startswith("--") and not quoted:
            continue
        current.append(line)
        quoted ^= line.count("$$") % 2 == 1
        if line.rstrip().endswith(";") and not quoted:
            statement = "\n".join(current).strip().rstrip(";")
            if statement:
                statements.append(statement)
            current = []
    tail = "\n".join(current).strip()
    if tail:
        statements.append(tail)
    return statements


def _check_not_newer(migrator: Migrator, known: list[Migration]) -> set[int]:
    applied = migrator.applied()
    unknown = applied - {m.version for m in known}
    if unknown:
        raise SchemaTooNew(
            f"the database has schema version {max(unknown)}, newer than this kith understands"
            f" (up to {max((m.version for m in known), default=0)}); upgrade kith before starting it"
        )
    return applied


def upgrade(migrator: Migrator, known: list[Migration] | None = None) -> list[int]:
    """Apply every pending migration of ``known`` (what this kith ships); returns the versions applied."""
    known = available(migrator.dialect) if known is None else known
    applied = _check_not_newer(migrator, known)
    done = []
    for migration in known:
        if migration.version not in applied and migrator.apply(migration):
            done.append(migration.version)
    return done


def check_current(migrator: Migrator, known: list[Migration] | None = None) -> None:
    known = available(migrator.dialect) if known is None else known
    applied = _check_not_newer(migrator, known)
    pending = [m.version for m in known if m.version not in applied]
    if pending:
        raise SchemaOutdated(f"the database needs migrations {pending}; run `kith migrate`")
