"""A node behind PgBouncer in transaction mode (docs/storage.md): each transaction may run on another
server connection, so nothing may outlive one (no prepared statements, no session settings).

PgBouncer (Debian's `pgbouncer`, which scripts/test installs) runs here with fewer server
connections than the node opens, so the node's connections really do share them.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import psycopg
import pytest
from backends import only_on, scale_out_env
from helpers import Server, User, befriend, direct, free_port, register

pytestmark = only_on("postgres")

SERVER_CONNECTIONS = 3  # the node opens 8 writer connections and up to 8 readers: all share these 3


@pytest.fixture
def bouncer(new_store: Callable[[], str], tmp_path: Path) -> Iterator[str]:
    """A fresh database, reached through a PgBouncer of its own in transaction mode; yields that URL."""
    exe = shutil.which("pgbouncer") or "/usr/sbin/pgbouncer"
    assert os.path.exists(exe), "PgBouncer is not installed (apt-get install pgbouncer; scripts/test does it)"
    direct_url = new_store()
    parts = urlsplit(direct_url)
    user, database = parts.username or "postgres", parts.path.lstrip("/")
    home = tmp_path / "pgbouncer"
    home.mkdir()
    port = free_port()
    (home / "users.txt").write_text(f'"{user}" ""\n')
    (home / "pgbouncer.ini").write_text(
        f"[databases]\n{database} = host={parts.hostname} port={parts.port or 5432} dbname={database}\n"
        f"[pgbouncer]\nlisten_addr = 127.0.0.1\nlisten_port = {port}\nunix_socket_dir =\n"
        f"auth_type = trust\nauth_file = {home / 'users.txt'}\npool_mode = transaction\n"
        f"default_pool_size = {SERVER_CONNECTIONS}\nmax_client_conn = 100\n"
    )
    command = [exe, str(home / "pgbouncer.ini")]
    if os.geteuid() == 0:  # it will not run as root
        shutil.chown(home, "postgres")
        command[1:1] = ["-u", "postgres"]
    proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    url = f"postgresql://{user}@127.0.0.1:{port}/{database}"
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                psycopg.connect(url, connect_timeout=2).close()
                break
            except psycopg.OperationalError:
                assert proc.poll() is None and time.monotonic() < deadline, "PgBouncer did not start"
                time.sleep(0.1)
        yield url
    finally:
        proc.terminate()
        proc.wait(10)


async def test_a_node_works_through_pgbouncer_in_transaction_mode(bouncer: str, tmp_path: Path) -> None:
    env = {**scale_out_env(bouncer), "KITH_DATABASE_PREPARED_STATEMENTS": "0"}
    server = Server(tmp_path / "node", env).start()
    try:
        alice, bob, carol = [await register(server, name) for name in ("alice", "bob", "carol")]
        await befriend(alice, bob)
        await befriend(alice, carol)
        chat = await direct(alice, bob)
        group = (await alice.ok("POST", "/conversations/groups", json={"user_ids": [bob.id, carol.id]}))["id"]

        # every statement of a send runs far more often than a driver's threshold for preparing it,
        # from many senders at once, so the node's connections take turns on PgBouncer's few
        async def send(user: User, conversation: int, n: int) -> dict[str, Any]:
            body = {"id": f"{conversation}-{n}", "text": f"needle {n}"}
            return await user.ok("POST", f"/conversations/{conversation}/messages", json=body)

        sent = await asyncio.gather(
            *(send(alice if n % 2 else bob, chat, n) for n in range(40)),
            *(send((alice, bob, carol)[n % 3], group, n) for n in range(40)),
        )
        ids = {chat: {s["message"]["id"] for s in sent[:40]}, group: {s["message"]["id"] for s in sent[40:]}}
        for conversation in (chat, group):
            history = await alice.ok("GET", f"/conversations/{conversation}/messages", params={"limit": 100})
            seqs = [m["seq"] for m in history["messages"]]
            assert seqs == list(range(1, len(seqs) + 1)), "one order, no gaps"
            assert ids[conversation] <= {m["id"] for m in history["messages"]}
        for user, theirs in ((alice, ids[chat] | ids[group]), (bob, ids[chat] | ids[group]), (carol, ids[group])):
            events = await user.sync_all()
            assert [e["seq"] for e in events] == list(range(1, len(events) + 1)), "a gapless log"
            got = [e["data"]["id"] for e in events if e["type"] == "message"]
            assert len(got) == len(set(got)) and theirs <= set(got), "each message once"
        found = await carol.ok("GET", "/search/messages", params={"q": "needle"})
        assert found["messages"] and all(m["conversation_id"] == group for m in found["messages"])
        resent = {"id": f"{chat}-1", "text": "needle 1"}
        again = await alice.call("POST", f"/conversations/{chat}/messages", json=resent)
        assert again.status_code == 200 and again.json()["duplicate"]
    finally:
        server.stop()
    assert "Traceback" not in server.log.read_text()
