"""Fresh PostgreSQL databases and Redis settings for tests that run on the scale-out backends.

The services run on this machine before the tests do (PostgreSQL on 127.0.0.1:5432 with trust
auth, Redis on 127.0.0.1:6379); `KITH_TEST_PG` and `KITH_TEST_REDIS` point elsewhere.
"""

from __future__ import annotations

import os
import uuid

import psycopg

PG_ADMIN = os.environ.get("KITH_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")
REDIS = os.environ.get("KITH_TEST_REDIS", "redis://127.0.0.1:6379/0")


def backends() -> list[str]:
    """Backends the suite runs on: `KITH_TEST_BACKENDS=sqlite,postgres` (the default) or one of them."""
    names = [b.strip() for b in os.environ.get("KITH_TEST_BACKENDS", "sqlite,postgres").split(",") if b.strip()]
    unknown = set(names) - {"sqlite", "postgres"}
    assert not unknown, f"unknown backends in KITH_TEST_BACKENDS: {unknown}"
    return names


def _with_database(url: str, name: str) -> str:
    base, _, _ = url.rpartition("/")
    return f"{base}/{name}"


def create_database() -> str:
    """A new, empty database; returns its URL."""
    name = "kith_t_" + uuid.uuid4().hex[:12]
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    return _with_database(PG_ADMIN, name)


def drop_database(url: str) -> None:
    name = url.rpartition("/")[2]
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def scale_out_env(database_url: str) -> dict[str, str]:
    return {"KITH_DATABASE": database_url, "KITH_BUS": REDIS}
