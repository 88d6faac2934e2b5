"""Schema migrations: applied once, in order, each whole or not at all; a newer schema is refused.

SQLite only: these tests are about the SQLite migrator and its file. PostgreSQL's migrations
(under the advisory lock) are tested in test_postgres.py.
"""

from __future__ import annotations

import shutil
import sqlite3
from importlib import resources
from pathlib import Path

import pytest
from backends import only_on
from domain import Kit

from kith.storage import migrate
from kith.storage.migrate import SchemaOutdated, SchemaTooNew, SqliteMigrator
from kith.storage.sqlite import SqliteDatabase, connect

SHIPPED = resources.files("kith.storage") / "migrations" / "sqlite"

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


class FolderMigrator(SqliteMigrator):
    """A SQLite migrator reading its migrations from a folder of the test's own.

    ``migrate.available`` looks the dialect up under the package's ``migrations/`` folder; an
    absolute folder name takes the place of that path, which lets a test play a later kith that
    ships more migrations than this one.
    """

    def __init__(self, conn: sqlite3.Connection, folder: Path) -> None:
        super().__init__(conn)
        self.dialect = str(folder)


def later_kith(tmp_path: Path, *extra: tuple[str, str]) -> Path:
    """A migrations folder with everything shipped today plus ``extra`` (name, sql) files."""
    folder = tmp_path / "later-migrations"
    folder.mkdir()
    for entry in SHIPPED.iterdir():
        if entry.name.endswith(".sql"):
            shutil.copyfile(str(entry), folder / entry.name)
    for name, sql in extra:
        (folder / name).write_text(sql)
    return folder


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
        with pytest.raises(SchemaOutdated, match=r"needs migrations \[1\].*kith migrate"):
            migrate.check_current(SqliteMigrator(conn))
    finally:
        conn.close()
    with pytest.raises(SchemaOutdated):
        SqliteDatabase(path).check_schema()


def test_check_current_names_only_the_missing_ones(tmp_path: Path) -> None:
    path = tmp_path / "one-behind.db"
    SqliteDatabase(path).migrate()
    folder = later_kith(tmp_path, ("0002_notes.sql", "CREATE TABLE notes (id INTEGER PRIMARY KEY);\n"))
    conn = connect(path)
    try:
        with pytest.raises(SchemaOutdated, match=r"needs migrations \[2\]"):
            migrate.check_current(FolderMigrator(conn, folder))
    finally:
        conn.close()


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
    kit = await Kit.open(path)  # the schema of today's kith, with some data in it
    try:
        alice, bob = await kit.user("old_alice"), await kit.user("old_bob")
        await kit.friends(alice, bob)
        conversation = await kit.chats.open_direct(alice, bob.user_id)
        await kit.chats.send(alice, conversation.id, "m1", "kept across the upgrade")
    finally:
        await kit.close()

    folder = later_kith(
        tmp_path,
        (
            "0002_user_locale.sql",
            "-- a later kith adds a column with a default\n"
            "ALTER TABLE users ADD COLUMN locale TEXT NOT NULL DEFAULT 'en';\n"
            "CREATE INDEX users_by_locale ON users (locale);\n",
        ),
    )
    conn = connect(path)
    try:
        assert migrate.upgrade(FolderMigrator(conn, folder)) == [2]
        assert migrate.upgrade(FolderMigrator(conn, folder)) == []
        migrate.check_current(FolderMigrator(conn, folder))
        rows = conn.execute("SELECT handle, locale FROM users ORDER BY id").fetchall()
        assert [tuple(r) for r in rows] == [("old_alice", "en"), ("old_bob", "en")]
        assert conn.execute("SELECT body FROM messages").fetchone()[0] == "kept across the upgrade"
    finally:
        conn.close()

    # and today's kith, which does not know migration 2, now refuses the upgraded file
    with pytest.raises(SchemaTooNew, match="version 2"):
        await Kit.open(path)


def test_a_failing_migration_changes_nothing(tmp_path: Path) -> None:
    path = tmp_path / "half.db"
    SqliteDatabase(path).migrate()
    folder = later_kith(
        tmp_path,
        (
            "0002_broken.sql",
            "CREATE TABLE first_half (id INTEGER PRIMARY KEY);\nALTER TABLE no_such_table ADD COLUMN x TEXT;\n",
        ),
    )
    conn = connect(path)
    try:
        with pytest.raises(sqlite3.OperationalError):
            migrate.upgrade(FolderMigrator(conn, folder))
    finally:
        conn.close()
    assert "first_half" not in tables(path)
    assert applied_versions(path) == [m.version for m in migrate.available("sqlite")]
