"""The server under test: `kith serve` as a separate process on a temporary data directory."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import httpx

# Cheap password hashing makes sign-up (setup) fast; it is an ordinary setting and is not on the send path.
# the benchmark signs up to 1,000 users from loopback: exempt from the per-address limits
FAST_SIGNUP_ENV = {
    "KITH_PASSWORD_TIME_COST": "1",
    "KITH_PASSWORD_MEMORY_KIB": "8192",
    "KITH_RATE_LIMIT_EXEMPT": "127.0.0.0/8,::1",
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def rss_kib(pid: int) -> int | None:
    """The resident set size of a process, from /proc/<pid>/status (None if unavailable)."""
    try:
        with open(f"/proc/{pid}/status") as fh:
            for line in fh:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def cpu_seconds(pid: int) -> float | None:
    """User + system CPU time of a process (all its threads), from /proc/<pid>/stat."""
    try:
        with open(f"/proc/{pid}/stat") as fh:
            fields = fh.read().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def wait_healthy(url: str, timeout: float, proc: subprocess.Popen[bytes] | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"the server exited with code {proc.returncode}")
        try:
            if httpx.get(url + "/healthz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.05)
    raise RuntimeError(f"the server at {url} did not answer /healthz within {timeout:.0f} s")


def _ws(url: str) -> str:
    return url.replace("http://", "ws://", 1).replace("https://", "wss://", 1) + "/api/v1/ws"


class Target:
    """A server to benchmark: its base URL and, when known, its process id (for memory)."""

    def __init__(self, url: str, pid: int | None = None) -> None:
        self.url = url.rstrip("/")
        self.pid = pid

    @property
    def ws_url(self) -> str:
        return _ws(self.url)

    @property
    def ws_urls(self) -> list[str]:
        """Every node's WebSocket URL; clients are spread over them."""
        return [self.ws_url]

    def log_errors(self) -> list[str]:
        return []

    def rss_kib(self) -> int | None:
        return rss_kib(self.pid) if self.pid else None

    def cpu_seconds(self) -> float | None:
        return cpu_seconds(self.pid) if self.pid else None

    def stop(self) -> None:
        pass


class LocalServer(Target):
    """Starts ``python -m kith serve`` on a free port of 127.0.0.1 with a fresh data directory.

    ``prepare(data_dir)``, if given, runs before the server starts, on the directory it will serve from:
    a benchmark that builds a large world directly in the store does it there.
    """

    def __init__(
        self,
        keep_data: bool = False,
        extra_env: dict[str, str] | None = None,
        prepare: Callable[[Path], None] | None = None,
    ) -> None:
        self.data_dir = Path(tempfile.mkdtemp(prefix="kith-bench-"))
        self.port = free_port()
        self.keep_data = keep_data
        self.log = self.data_dir / "server.log"
        env = {**os.environ, **FAST_SIGNUP_ENV, **(extra_env or {})}
        if prepare is not None:
            try:
                prepare(self.data_dir / "data")
            except BaseException:
                shutil.rmtree(self.data_dir, ignore_errors=True)
                raise
        command = [sys.executable, "-m", "kith", "serve", "--host", "127.0.0.1", "--port", str(self.port)]
        command += ["--data-dir", str(self.data_dir / "data"), "--log-level", "warning"]
        with open(self.log, "ab") as logfile:
            self.proc = subprocess.Popen(command, env=env, stdout=logfile, stderr=subprocess.STDOUT)
        super().__init__(f"http://127.0.0.1:{self.port}", self.proc.pid)

    def start(self, timeout: float = 30) -> LocalServer:
        try:
            wait_healthy(self.url, timeout, self.proc)
        except RuntimeError as exc:
            self.stop()
            raise RuntimeError(f"{exc}\n{self.log_tail()}") from None
        return self

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def log_errors(self) -> list[str]:
        """Lines of the server's log that report an error (the benchmark shows them as a note)."""
        try:
            text = self.log.read_text(errors="replace")
        except OSError:
            return []
        return [line for line in text.splitlines() if "ERROR" in line or line.startswith("Traceback")]

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        if not self.keep_data:
            shutil.rmtree(self.data_dir, ignore_errors=True)


def create_database(admin_url: str) -> str:
    """A new, empty PostgreSQL database next to the one ``admin_url`` names; returns its URL."""
    import psycopg

    name = "kith_bench_" + os.urandom(6).hex()
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    return admin_url.rsplit("/", 1)[0] + "/" + name


def drop_database(admin_url: str, url: str) -> None:
    import psycopg

    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {url.rsplit('/', 1)[1]} WITH (FORCE)")


def fresh_namespace(bus: str) -> str:
    """The bus URL with a namespace of its own: a run's fresh database starts its user ids again at 1,
    and must not meet an earlier run's wake-ups or rate-limit buckets for the same ids in Redis."""
    if not bus.startswith(("redis://", "rediss://", "unix://")):
        return bus
    parts = urlsplit(bus)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != "namespace"]
    query.append(("namespace", f"bench{os.urandom(6).hex()}"))
    return urlunsplit(parts._replace(query=urlencode(query)))


class Cluster(Target):
    """``nodes`` servers sharing one fresh PostgreSQL database and a bus (the scale-out mode).

    The first node's URL serves setup; clients are spread over all nodes. CPU time is the sum over
    the nodes; memory is the first node's.
    """

    def __init__(self, nodes: int, database: str | None, bus: str | None, keep_data: bool = False) -> None:
        self.admin_url = database
        self.db_url = create_database(database) if database else None
        env = {"KITH_DATABASE": self.db_url} if self.db_url else {}
        if bus:
            env["KITH_BUS"] = fresh_namespace(bus)
        self.servers = [LocalServer(keep_data, env) for _ in range(nodes)]
        super().__init__(self.servers[0].url, self.servers[0].pid)

    def start(self, timeout: float = 30) -> Cluster:
        try:
            for server in self.servers:
                server.start(timeout)
        except RuntimeError:
            self.stop()
            raise
        return self

    @property
    def ws_urls(self) -> list[str]:
        return [s.ws_url for s in self.servers]

    def cpu_seconds(self) -> float | None:
        times = [s.cpu_seconds() for s in self.servers]
        return None if None in times else sum(t for t in times if t is not None)

    def log_errors(self) -> list[str]:
        return [line for s in self.servers for line in s.log_errors()]

    def stop(self) -> None:
        for server in self.servers:
            server.stop()
        if self.admin_url and self.db_url:
            drop_database(self.admin_url, self.db_url)
            self.db_url = None
