"""Schema migrations: applied once, in order, each whole or not at all; a newer schema is refused.

SQLite only: these tests are about the SQLite migrator and its file. PostgreSQL's migrations
(under the advisory lock) are tested in test_postgres.py.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from backends import only_on
from domain import Kit
from storage.old_schema import PASSWORD, check_upgraded, write_version_1

from kith.accounts.passwords import Passwords
from kith.storage import migrate
from kith.storage.migrate import SchemaOutdated, SchemaTooNew, SqliteMigrator
from kith.storage.sqlite import SqliteDatabase, connect

pytestmark = only_on("sqlite")


def applied_versions(path: Path) -> list[int]:
    conn = sqlite3.connect(path)
    try:
        return [r[0] for r in conn.execute("SELECT version FROM schema_migrations ORDER BY version")]
    finally:
        conn.close()


def tables(path: Path) -> set[str]:
    conn = sqlite3.connect(path)
    try:
        return {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    finally:
        conn.close()


def upgrade_to(path: Path, version: int) -> None:
    """A database at an older schema version: only the migrations up to ``version``."""
    conn = connect(path)
    try:
        migrate.upgrade(SqliteMigrator(conn), [m for m in migrate.available("sqlite") if m.version <= version])
    finally:
        conn.close()


def test_a_fresh_database_gets_every_migration(tmp_path: Path) -> None:
    db = SqliteDatabase(tmp_path / "fresh.db")
    known = [m.version for m in migrate.available("sqlite")]
    assert known, "the package ships migrations"

    assert db.migrate() == known
    assert applied_versions(db.path) == known
    assert {"users", "devices", "friendships", "friend_requests", "blocks", "conversations", "members"} <= tables(
        db.path
    )
    assert {"messages", "events"} <= tables(db.path)
    db.check_schema()  # current: no error


def test_upgrading_twice_applies_nothing_the_second_time(tmp_path: Path) -> None:
    db = SqliteDatabase(tmp_path / "twice.db")
    assert db.migrate() != []
    assert db.migrate() == []
    assert applied_versions(db.path) == [m.version for m in migrate.available("sqlite")]


def test_check_current_reports_pending_migrations(tmp_path: Path) -> None:
    path = tmp_path / "empty.db"
    conn = connect(path)
    try:
        every = ", ".join(str(m.version) for m in migrate.available("sqlite"))
        with pytest.raises(SchemaOutdated, match=rf"needs migrations \[{every}\].*kith migrate"):
            migrate.check_current(SqliteMigrator(conn))
    finally:
        conn.close()
    with pytest.raises(SchemaOutdated):
        SqliteDatabase(path).check_schema()


def test_check_current_names_only_the_missing_ones(tmp_path: Path) -> None:
    path = tmp_path / "one-behind.db"
    upgrade_to(path, 1)
    later = ", ".join(str(m.version) for m in migrate.available("sqlite")[1:])
    with pytest.raises(SchemaOutdated, match=rf"needs migrations \[{later}\]"):
        SqliteDatabase(path).check_schema()


def test_a_database_newer_than_the_code_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "newer.db"
    db = SqliteDatabase(path)
    db.migrate()
    conn = sqlite3.connect(path)
    with conn:
        conn.execute("INSERT INTO schema_migrations (version, name, applied_at) VALUES (9999, '9999_future.sql', 0)")
    conn.close()

    with pytest.raises(SchemaTooNew, match=r"schema version 9999, newer than this kith.*upgrade kith"):
        db.migrate()
    with pytest.raises(SchemaTooNew, match="9999"):
        db.check_schema()
    assert applied_versions(path) == [*(m.version for m in migrate.available("sqlite")), 9999]


async def test_an_older_database_is_upgraded_and_keeps_its_data(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    upgrade_to(path, 1)
    conn = connect(path)
    try:
        write_version_1(lambda sql, params: conn.execute(sql, params), await Passwords(1, 8192).hash(PASSWORD))
    finally:
        conn.close()
    later = ", ".join(str(m.version) for m in migrate.available("sqlite")[1:])
    with pytest.raises(SchemaOutdated, match=rf"\[{later}\]"):
        SqliteDatabase(path).check_schema()

    kit = await Kit.open(path)  # migrates, as `kith serve` does
    try:
        await check_upgraded(kit)
    finally:
        await kit.close()
    assert applied_versions(path) == [m.version for m in migrate.available("sqlite")]


async def test_a_database_upgraded_by_a_later_kith_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "later.db"
    SqliteDatabase(path).migrate()
    later = migrate.later(
        migrate.available("sqlite"),
        ("9003_user_locale.sql", "ALTER TABLE users ADD COLUMN locale TEXT NOT NULL DEFAULT 'en';\n"),
    )
    conn = connect(path)
    try:
        assert migrate.upgrade(SqliteMigrator(conn), later) == [9003]
        assert migrate.upgrade(SqliteMigrator(conn), later) == []
        migrate.check_current(SqliteMigrator(conn), later)
    finally:
        conn.close()
    with pytest.raises(SchemaTooNew, match="version 9003"):
        await Kit.open(path)


def test_a_failing_migration_changes_nothing(tmp_path: Path) -> None:
    path = tmp_path / "half.db"
    SqliteDatabase(path).migrate()
    broken = migrate.later(
        migrate.available("sqlite"),
        (
            "9003_broken.sql",
            "CREATE TABLE first_half (id INTEGER PRIMARY KEY);\nALTER TABLE no_such_table ADD COLUMN x TEXT;\n",
        ),
    )
    conn = connect(path)
    try:
        with pytest.raises(sqlite3.OperationalError):
            migrate.upgrade(SqliteMigrator(conn), broken)
    finally:
        conn.close()
    assert "first_half" not in tables(path)
    assert applied_versions(path) == [m.version for m in migrate.available("sqlite")]


def test_a_function_body_is_one_statement() -> None:
    sql = """-- a comment
CREATE TABLE t (a INTEGER);
CREATE FUNCTION f() RETURNS INTEGER LANGUAGE plpgsql AS $$
BEGIN
    -- kept: inside the body
    PERFORM 1;
    RETURN 2;
END;
$$;
SELECT 1;
"""
    statements = migrate.split_statements(sql)
    assert statements[0] == "CREATE TABLE t (a INTEGER)"
    assert statements[1].startswith("CREATE FUNCTION f()") and statements[1].endswith("END;\n$$")
    assert "-- kept: inside the body" in statements[1] and "PERFORM 1;" in statements[1]
    assert statements[2:] == ["SELECT 1"]
