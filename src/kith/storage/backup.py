"""Back up a deployment's store to one file, and restore it into an empty place.

SQLite: SQLite's online backup API copies the database page by page from one read transaction, so
the copy is a consistent snapshot even while the server runs and writes (in WAL mode a reader
never blocks the writer, nor the writer it). The copy is written to a temporary file beside the
target, checked (``PRAGMA integrity_check``), switched to a self-contained rollback journal and
renamed into place, so a half-written backup never carries the target's name.

PostgreSQL: ``pg_dump --format=custom`` (one snapshot as well) when ``pg_dump`` is on the PATH; a
restore is ``pg_restore`` into an empty database. Without the client tools the commands to run are
printed instead.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, unquote, urlsplit, urlunsplit

from kith.storage import migrate


class BackupError(RuntimeError):
    pass


@dataclass(frozen=True)
class Outcome:
    """What a backup or restore did: the file or database written and its tables' row counts."""

    target: str
    counts: dict[str, int]

    @property
    def rows(self) -> int:
        return sum(self.counts.values())


def sqlite_path(url: str) -> Path:
    return Path(url.removeprefix("sqlite:///").removeprefix("sqlite://"))


def is_postgres(url: str) -> bool:
    return url.startswith(("postgresql://", "postgres://"))


# -- SQLite ------------------------------------------------------------------------------------


def _counts(conn: sqlite3.Connection) -> dict[str, int]:
    names = [
        row[0]
        for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
    ]
    return {name: int(conn.execute(f'SELECT COUNT(*) FROM "{name}"').fetchone()[0]) for name in sorted(names)}


def _copy(source: sqlite3.Connection, target: Path) -> dict[str, int]:
    """Copy ``source`` into a new file ``target`` through a temporary file; returns the row counts."""
    partial = target.with_name(f".{target.name}.partial-{os.getpid()}")
    partial.unlink(missing_ok=True)
    try:
        copy = sqlite3.connect(str(partial), isolation_level=None)
        try:
            # pages=-1: the whole database in one step, from one read snapshot. Stepping a few pages
            # at a time would restart whenever the server commits, and might never finish under load.
            source.backup(copy)
            check = copy.execute("PRAGMA integrity_check").fetchone()[0]
            if check != "ok":
                raise BackupError(f"the copy failed its integrity check: {check}")
            copy.execute("PRAGMA journal_mode=DELETE")  # one self-contained file, no -wal beside it
            counts = _counts(copy)
        finally:
            copy.close()
        with open(partial, "rb") as f:
            os.fsync(f.fileno())
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)
    with contextlib.suppress(OSError):  # the rename itself is durable once the folder is synced
        folder = os.open(target.parent, os.O_RDONLY)
        try:
            os.fsync(folder)
        finally:
            os.close(folder)
    return counts


def backup_sqlite(database: Path, target: Path) -> Outcome:
    """An online, consistent copy of the SQLite database ``database`` in the new file ``target``."""
    if not database.exists():
        raise BackupError(f"no database at {database}")
    if target.exists():
        raise BackupError(f"{target} already exists; give a new file name")
    target.parent.mkdir(parents=True, exist_ok=True)
    source = sqlite3.connect(f"file:{database}?mode=ro", uri=True, isolation_level=None)
    try:
        source.execute("PRAGMA busy_timeout=10000")
        return Outcome(str(target), _copy(source, target))
    finally:
        source.close()


def restore_sqlite(backup: Path, database: Path) -> Outcome:
    """Put the backup ``backup`` in place as the (not yet existing) SQLite database ``database``.

    The server must not be running on ``database``; the file must not exist, so a restore never
    overwrites data. A backup from an older kith is upgraded by the next ``kith migrate`` or
    ``kith serve``; one from a newer kith is refused.
    """
    if not backup.is_file():
        raise BackupError(f"no backup file at {backup}")
    for path in (database, database.with_name(database.name + "-wal")):
        if path.exists():
            raise BackupError(f"{path} already exists: restore into an empty data directory")
    source = sqlite3.connect(f"file:{backup}?mode=ro", uri=True, isolation_level=None)
    try:
        try:
            applied = {row[0] for row in source.execute("SELECT version FROM schema_migrations")}
        except sqlite3.DatabaseError as exc:
            raise BackupError(f"{backup} is not a kith backup: {exc}") from None
        known = {m.version for m in migrate.available("sqlite")}
        if applied - known:
            raise BackupError(
                f"the backup has schema version {max(applied - known)}, newer than this kith understands;"
                " restore it with a newer kith"
            )
        database.parent.mkdir(parents=True, exist_ok=True)
        counts = _copy(source, database)
    finally:
        source.close()
    return Outcome(str(database), counts)


# -- PostgreSQL --------------------------------------------------------------------------------


def pg_dump_command(url: str, target: Path) -> list[str]:
    return ["pg_dump", "--format=custom", f"--file={target}", f"--dbname={url}"]


def _hide_password(command: list[str]) -> tuple[list[str], dict[str, str]]:
    shown: list[str] = []
    secret: dict[str, str] = {}
    for arg in command:
        if arg.startswith("--dbname="):
            bare, secret = without_password(arg.removeprefix("--dbname="))
            arg = "--dbname=" + bare
        shown.append(arg)
    return shown, secret


def pg_restore_command(backup: Path, url: str) -> list[str]:
    return ["pg_restore", "--no-owner", "--no-privileges", "--exit-on-error", f"--dbname={url}", str(backup)]


def without_password(url: str) -> tuple[str, dict[str, str]]:
    """``url`` without its password, and the environment that carries it instead: a command line
    is visible to every local user (``ps``), the environment of a process only to its owner."""
    parts = urlsplit(url)
    if parts.password is None:
        return url, {}
    netloc = parts.netloc.rsplit("@", 1)[1]
    user = parts.username
    bare = urlunsplit(parts._replace(netloc=f"{quote(unquote(user), safe='')}@{netloc}" if user else netloc))
    return bare, {"PGPASSWORD": unquote(parts.password)}


def _run(command: list[str]) -> None:
    command, secret = _hide_password(command)
    if shutil.which(command[0]) is None:
        raise BackupError(
            f"{command[0]} is not on the PATH; install the PostgreSQL client tools, or run:\n  " + " ".join(command)
        )
    done = subprocess.run(command, capture_output=True, text=True, env={**os.environ, **secret})
    if done.returncode != 0:
        raise BackupError(f"{command[0]} failed: {done.stderr.strip()}")


def _pg_counts(url: str) -> dict[str, int]:
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        names = [
            row[0]
            for row in conn.execute(
                "SELECT table_name FROM information_schema.tables"
                " WHERE table_schema = 'public' AND table_type = 'BASE TABLE'"
            ).fetchall()
        ]
        return {name: int(conn.execute(f'SELECT COUNT(*) FROM "{name}"').fetchone()[0]) for name in sorted(names)}  # type: ignore[index]


def backup_postgres(url: str, target: Path) -> Outcome:
    if target.exists():
        raise BackupError(f"{target} already exists; give a new file name")
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{target.name}.partial-{os.getpid()}")
    try:
        _run(pg_dump_command(url, partial))
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)
    return Outcome(str(target), {})


def restore_postgres(backup: Path, url: str) -> Outcome:
    """``pg_restore`` into ``url``, which must be an empty database (create it first)."""
    if not backup.is_file():
        raise BackupError(f"no backup file at {backup}")
    if _pg_counts(url):
        raise BackupError("the target database already has tables: restore into a new, empty database")
    _run(pg_restore_command(backup, url))
    return Outcome(url, _pg_counts(url))


# -- either ------------------------------------------------------------------------------------


def backup(database_url: str, target: Path) -> Outcome:
    if is_postgres(database_url):
        return backup_postgres(database_url.replace("postgres://", "postgresql://", 1), target)
    return backup_sqlite(sqlite_path(database_url), target)


def restore(backup_file: Path, database_url: str) -> Outcome:
    if is_postgres(database_url):
        return restore_postgres(backup_file, database_url.replace("postgres://", "postgresql://", 1))
    return restore_sqlite(backup_file, sqlite_path(database_url))
