"""The `kith` command: admin verbs, migrate, and refusing a database newer than the code.

SQLite only: these drive the CLI on a data directory and its SQLite file. `kith migrate-store` is
tested in storage/test_transfer.py, and the admin verbs on PostgreSQL through the websocket and
authorization tests, which run them against a server on either backend.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import httpx
from backends import only_on
from helpers import FAST_ENV, Server

pytestmark = only_on("sqlite")


FIRST, SECOND = "violet anchor 93 drum", "quiet lantern 58 moss"  # strong enough for the password policy


def kith(data_dir: Path, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "kith", *args[:1], "--data-dir", str(data_dir), *args[1:]],
        env={**os.environ, **FAST_ENV},
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_admin_creates_lists_resets_and_disables_users(tmp_path: Path) -> None:
    data = tmp_path / "data"
    created = kith(data, "admin", "create-user", "Dana", "--display-name", "Dana S", "--password", FIRST)
    assert created.returncode == 0, created.stderr
    assert "created @dana" in created.stdout
    taken = kith(data, "admin", "create-user", "dana", "--display-name", "Other", "--password", FIRST)
    assert taken.returncode == 1 and "handle is taken" in taken.stderr
    weak = kith(data, "admin", "create-user", "erin", "--display-name", "Erin", "--password", "short")
    assert weak.returncode == 1 and "at least 8" in weak.stderr

    server = Server(data).start()
    try:
        sign_in = {"handle": "dana", "password": FIRST}
        response = httpx.post(server.url + "/api/v1/sessions", json=sign_in)
        assert response.status_code == 201
        token = response.json()["token"]

        listed = kith(data, "admin", "list-users")
        assert listed.returncode == 0
        assert "dana" in listed.stdout and "Dana S" in listed.stdout and "active" in listed.stdout

        # a reset signs out every device
        assert kith(data, "admin", "reset-password", "dana", "--password", SECOND).returncode == 0
        me = httpx.get(server.url + "/api/v1/me", headers={"Authorization": f"Bearer {token}"})
        assert me.status_code == 401
        assert httpx.post(server.url + "/api/v1/sessions", json=sign_in).status_code == 401
        sign_in["password"] = SECOND
        assert httpx.post(server.url + "/api/v1/sessions", json=sign_in).status_code == 201

        assert kith(data, "admin", "disable-user", "dana").returncode == 0
        assert httpx.post(server.url + "/api/v1/sessions", json=sign_in).status_code == 401
        assert "disabled" in kith(data, "admin", "list-users").stdout
        assert kith(data, "admin", "enable-user", "dana").returncode == 0
        assert httpx.post(server.url + "/api/v1/sessions", json=sign_in).status_code == 201
        missing = kith(data, "admin", "disable-user", "nobody")
        assert missing.returncode == 1 and "no user" in missing.stderr
    finally:
        server.stop()


def test_migrate_and_refuse_a_newer_database(tmp_path: Path) -> None:
    data = tmp_path / "data"
    first = kith(data, "migrate")
    assert first.returncode == 0 and "applied migrations [1" in first.stdout
    assert "up to date" in kith(data, "migrate").stdout
    with sqlite3.connect(data / "kith.db") as conn:
        conn.execute("INSERT INTO schema_migrations (version, name, applied_at) VALUES (9999, 'future', 0)")
    refused = kith(data, "serve", "--port", "0")
    assert refused.returncode == 1
    assert "schema version 9999" in refused.stderr and "upgrade kith" in refused.stderr
    assert kith(data, "migrate").returncode == 1


def test_bad_settings_are_reported(tmp_path: Path) -> None:
    bad = kith(tmp_path, "serve", "--port", "eighty")
    assert bad.returncode == 2 and "port" in bad.stderr
