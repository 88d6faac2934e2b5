"""Fixtures that run every server and in-process test on each backend of `KITH_TEST_BACKENDS`.

The backends are ``sqlite`` (a SQLite file and the in-process bus) and ``postgres`` (a fresh
PostgreSQL database per server or kit, and the Redis bus). The ``backend`` fixture is module-scoped
and parametrized over them, so a test that uses ``server``, ``shared_server``, ``kit`` or one of the
factories runs once per backend, with the backend in its id: ``test_x[postgres]``. PostgreSQL
databases are created for the test and dropped (``WITH (FORCE)``) at teardown.
"""

from __future__ import annotations

import contextlib
import itertools
import sys
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from backends import DATABASES, Store, backends, check_services, fresh_store, scale_out_env
from domain import Kit
from helpers import Server

BACKENDS = backends()


@pytest.fixture(scope="session")
def scale_out_services() -> Iterator[None]:
    """PostgreSQL and Redis answer (otherwise every postgres test errors with the reason); at the
    end of the session, every database the tests made is dropped."""
    check_services()
    yield
    DATABASES.close()


@pytest.fixture(scope="module", params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    """The backend this module's tests run on now: "sqlite" or "postgres"."""
    if request.param == "postgres":
        request.getfixturevalue("scale_out_services")
    return str(request.param)


class Stores:
    """Fresh, empty stores on one backend; each is removed (a database dropped) at ``close``."""

    def __init__(self, backend: str, folder: Path) -> None:
        self.backend = backend
        self.folder = folder
        self._numbers = itertools.count(1)
        self._exit = contextlib.ExitStack()

    def new(self) -> Store:
        return self._exit.enter_context(fresh_store(self.backend, self.folder / f"store{next(self._numbers)}.db"))

    def close(self) -> None:
        self._exit.close()


@pytest.fixture
def new_store(backend: str, tmp_path: Path) -> Iterator[Callable[[], Store]]:
    """new_store() -> a fresh, empty store on the current backend: a SQLite path or a PostgreSQL URL."""
    stores = Stores(backend, tmp_path)
    yield stores.new
    stores.close()


@pytest.fixture
def make_server(backend: str, new_store: Callable[[], Store], tmp_path: Path) -> Iterator[Callable[..., Server]]:
    """make_server(env={...}) -> a started server with settings of its own, on the current backend:
    its data directory's SQLite file, or a fresh PostgreSQL database and the Redis bus.

    Servers are stopped at teardown, before their databases are dropped.
    """
    servers: list[Server] = []

    def make(env: dict[str, str] | None = None, start: bool = True) -> Server:
        scale_out = scale_out_env(str(new_store())) if backend == "postgres" else {}
        srv = Server(tmp_path / f"server{len(servers) + 1}", {**scale_out, **(env or {})})
        servers.append(srv)
        return srv.start() if start else srv

    yield make
    for srv in servers:
        srv.stop()


@pytest.fixture
def server(make_server: Callable[..., Server]) -> Server:
    """A fresh kith server (real process, real port, a fresh store) for one test."""
    return make_server()


@pytest.fixture(scope="module")
def shared_server(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """One server for a whole module (per backend), for tests that only add their own users and data."""
    folder = tmp_path_factory.mktemp(f"kith-{backend}")
    with fresh_store(backend, folder / "data" / "kith.db") as store:
        srv = Server(folder / "data", scale_out_env(str(store)) if backend == "postgres" else {}).start()
        yield srv
        srv.stop()


@pytest.fixture
async def make_kit(new_store: Callable[[], Store]) -> AsyncIterator[Callable[..., Awaitable[Kit]]]:
    """make_kit(**settings) -> the services in-process on a fresh store of the current backend."""
    kits: list[Kit] = []

    async def make(**settings: Any) -> Kit:
        kit = await Kit.open(new_store(), **settings)
        kits.append(kit)
        return kit

    yield make
    for kit in kits:
        await kit.close()


@pytest.fixture
async def kit(make_kit: Callable[..., Awaitable[Kit]]) -> Kit:
    """The services in-process on a fresh store, with a fake clock."""
    return await make_kit()
